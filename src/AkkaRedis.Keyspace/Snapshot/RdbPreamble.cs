using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Journal;
using AkkaRedis.Persistence;

namespace AkkaRedis.Keyspace.Snapshot;

/// <summary>
/// An AOF base that redis-server wrote as RDB (aof-use-rdb-preamble yes, its default), read as the commands of an AOF
/// rewrite (<see cref="KeyState"/>): function libraries, then each key's state and expiry. So an appendonlydir copied
/// from redis-server 7, or its Redis 6 appendonly.aof with a preamble, loads here.
/// </summary>
public sealed class RdbPreamble(Server.ServerConfig config) : IRdbPreamble
{
    public byte[] ToCommands(byte[] file, out int rdbLength)
    {
        var contents = RdbFile.Read(file, config, out rdbLength);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var output = new MemoryStream();
        var log = new EffectLog(output);
        log.Add(0, [Cmd.Select, "0"u8.ToArray()]);
        KeyState.WriteLibraries(log, contents.Libraries);
        foreach (var (db, key, value, expireAt) in contents.Entries)
        {
            // Keys already expired are left out, as rdbLoad leaves them out.
            if (expireAt >= 0 && expireAt <= now) continue;
            KeyState.Write(log, db, key, new Entry(key, value) { ExpireAt = expireAt }, replace: false);
        }
        log.FlushToSink();
        return output.ToArray();
    }
}
