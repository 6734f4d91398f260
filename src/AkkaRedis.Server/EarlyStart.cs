using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Journal;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Persistence;
using AkkaRedis.Server.Sessions;

namespace AkkaRedis.Server;

/// <summary>
/// What the server prepares before its actor system starts: the command table, and with appendonly yes on a single
/// node the AOF's reading (<see cref="AofPreload"/>), which then runs beside the actor system's start-up.
/// </summary>
public sealed class EarlyStart
{
    public required CommandTable Table { get; init; }
    public required SessionCommandTable SessionCommands { get; init; }
    public AofPreload? Aof { get; init; }

    public static EarlyStart Begin(ServerConfig config)
    {
        var (table, session) = RedisServer.BuildCommands();
        var aof = config.AppendOnly && !config.Cluster
            ? AofPreload.Start(Path.Combine(config.Dir, config.AppendDirName), config.AppendFilename,
                new KeyRouter(table, Keyspace.Data.Keyspace.SlotOwners(config.Shards), config.Shards),
                new AofLoadOptions(config.AofLoadTruncated, config.AofLoadDamaged), Console.WriteLine)
            : null;
        return new EarlyStart { Table = table, SessionCommands = session, Aof = aof };
    }
}
