using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Journal;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Persistence;
using AkkaRedis.Server.Sessions;

namespace AkkaRedis.Server;

/// <summary>
/// What the server prepares before its actor system starts: the command table, the AOF's router, and with appendonly
/// yes on a single node the AOF's reading (<see cref="AofPreload"/>), which then runs beside the actor system's start-up.
/// </summary>
public sealed class EarlyStart
{
    public required CommandTable Table { get; init; }
    public required SessionCommandTable SessionCommands { get; init; }

    /// <summary>Which shard an AOF command belongs to: the preload's and then the journal's.</summary>
    public required KeyRouter AofRouter { get; init; }

    public AofPreload? Aof { get; init; }

    /// <summary>Reads an AOF base that redis-server wrote as RDB: the preload's and then the journal's.</summary>
    public required IRdbPreamble RdbPreamble { get; init; }

    public static EarlyStart Begin(ServerConfig config)
    {
        var (table, session) = RedisServer.BuildCommands();
        var router = new KeyRouter(table, Keyspace.Data.Keyspace.SlotOwners(config.Shards), config.Shards);
        var rdb = new Keyspace.Snapshot.RdbPreamble(config);
        var aof = config.AppendOnly && !config.Cluster
            ? AofPreload.Start(Path.Combine(config.Dir, config.AppendDirName), config.AppendFilename, router,
                new AofLoadOptions(config.AofLoadTruncated, config.AofLoadDamaged), Console.WriteLine, rdb)
            : null;
        return new EarlyStart { Table = table, SessionCommands = session, AofRouter = router, Aof = aof, RdbPreamble = rdb };
    }
}
