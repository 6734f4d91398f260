using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Persistence;

namespace AkkaRedis.Keyspace.Journal;

/// <summary>
/// A key's whole state as commands, as Redis's AOF rewrite writes it (rewriteAppendOnlyFileRio): SET, RPUSH,
/// HSET, SADD or ZADD with at most 64 items per command, then PEXPIREAT. Used for the base of a rewrite and for the
/// effect of a command whose keys live in different slots (each key's new state, so any shard can replay its part).
/// </summary>
public static class KeyState
{
    private static readonly byte[] FunctionCommand = "FUNCTION"u8.ToArray(), LoadSubcommand = "LOAD"u8.ToArray();

    /// <summary>Redis's AOF_REWRITE_ITEMS_PER_CMD.</summary>
    private const int ItemsPerCommand = 64;

    /// <summary>Writes <paramref name="entry"/> (null: the key is gone); <paramref name="replace"/>: whatever the key held before is replaced.</summary>
    public static void Write(EffectLog log, int db, byte[] key, Entry? entry, bool replace)
    {
        // SET replaces a value of any type (and its expiry); the collection commands add to what is there.
        if (entry == null || replace && entry.Value is not byte[]) log.Add(db, [Cmd.Del, key]);
        if (entry == null) return;
        switch (entry.Value)
        {
            case byte[] text:
                log.Add(db, [Cmd.Set, key, text]);
                break;
            case RedisList list:
                WriteItems(log, db, Cmd.RPush, key, list.Items, list.Count, 1);
                break;
            case RedisSet set:
                WriteItems(log, db, Cmd.SAdd, key, set.Members, set.Count, 1);
                break;
            case RedisSortedSet zset:
                WriteItems(log, db, Cmd.ZAdd, key, zset.Ascending().SelectMany(n => new[] { ScoreText(n.Score), n.Member }), zset.Count * 2, 2);
                break;
            case RedisHash hash:
                WriteItems(log, db, Cmd.HSet, key, hash.Entries.SelectMany(p => new[] { p.Key, p.Value }), hash.Count * 2, 2);
                break;
            case RedisStream stream:
                foreach (var command in Streams.AsCommands(key, stream)) log.Add(db, command);
                break;
            default:
                throw new InvalidOperationException($"No AOF form for {entry.Value.GetType().Name}");
        }
        if (entry.ExpireAt >= 0) log.Add(db, [Cmd.PExpireAt, key, Args.Bytes(entry.ExpireAt)]);
    }

    /// <summary>A score as the rewrite writes it: %.17g, so it reads back as the same double; "inf" and "-inf" as words.</summary>
    private static byte[] ScoreText(double score) => System.Text.Encoding.ASCII.GetBytes(Protocol.DoubleFormat.Format(score));

    private static void WriteItems(EffectLog log, int db, byte[] command, byte[] key, IEnumerable<byte[]> items, int count, int itemWidth)
    {
        int perCommand = ItemsPerCommand * itemWidth;
        var args = new byte[2 + Math.Min(count, perCommand)][];
        int filled = 0;
        foreach (var item in items)
        {
            args[2 + filled++] = item;
            if (filled < args.Length - 2) continue;
            args[0] = command;
            args[1] = key;
            log.Add(db, args);
            count -= filled;
            filled = 0;
            if (count > 0 && count < perCommand) args = new byte[2 + count][];
        }
    }

    /// <summary>
    /// Writes the whole keyspace as commands to <paramref name="output"/>: the base of a rewritten AOF, read from its
    /// start with database 0 selected. Every shard must be held. It streams through a small buffer: a snapshot as
    /// large as the dataset, grown by doubling, cost a full garbage collection and most of the hold (measured).
    /// </summary>
    public static void Snapshot(Data.Keyspace keyspace, long nowMs, IEnumerable<Scripting.FunctionLibrary> libraries, Stream output)
    {
        var log = new EffectLog(output);
        log.Add(0, [Cmd.Select, "0"u8.ToArray()]);
        WriteLibraries(log, libraries);
        for (int db = 0; db < keyspace.DatabaseCount; db++)
            foreach (var shard in keyspace.Shards)
                WriteDatabase(log, shard, db, nowMs);
        log.FlushToSink();
    }

    /// <summary>One shard's keys (and the function libraries it keeps) as commands: a cluster shard's snapshot.</summary>
    public static void Snapshot(ShardStore shard, long nowMs, IEnumerable<Scripting.FunctionLibrary> libraries, EffectLog log)
    {
        WriteLibraries(log, libraries);
        for (int db = 0; db < shard.Databases.Length; db++) WriteDatabase(log, shard, db, nowMs);
    }

    /// <summary>Function libraries first, as Redis's rewrite writes them.</summary>
    private static void WriteLibraries(EffectLog log, IEnumerable<Scripting.FunctionLibrary> libraries) =>
        WriteLibraries(log, libraries.Select(library => library.Code));

    public static void WriteLibraries(EffectLog log, IEnumerable<string> codes)
    {
        foreach (var code in codes)
            log.Add(0, [FunctionCommand, LoadSubcommand, System.Text.Encoding.UTF8.GetBytes(code)]);
    }

    private static void WriteDatabase(EffectLog log, ShardStore shard, int db, long nowMs)
    {
        foreach (var (_, entry) in shard.Databases[db].All())
        {
            // Expired keys are left out, as Redis's rewrite leaves them out.
            if (entry.ExpiredAt(nowMs)) continue;
            Write(log, db, entry.Key, entry, replace: false);
        }
    }
}
