using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;

namespace AkkaRedis.Keyspace.Journal;

/// <summary>
/// A key's whole state as commands, as Redis's AOF rewrite writes it (rewriteAppendOnlyFileRio): SET, RPUSH,
/// HSET or SADD with at most 64 items per command, then PEXPIREAT. Used for the base of a rewrite and for the
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
            case RedisHash hash:
                WriteItems(log, db, Cmd.HSet, key, hash.Entries.SelectMany(p => new[] { p.Key, p.Value }), hash.Count * 2, 2);
                break;
            default:
                throw new InvalidOperationException($"No AOF form for {entry.Value.GetType().Name}");
        }
        if (entry.ExpireAt >= 0) log.Add(db, [Cmd.PExpireAt, key, Args.Bytes(entry.ExpireAt)]);
    }

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

    /// <summary>The whole keyspace as commands: the base of a rewritten AOF. Every shard must be held.</summary>
    public static byte[] Snapshot(Data.Keyspace keyspace, long nowMs, IEnumerable<Scripting.FunctionLibrary> libraries)
    {
        var log = new EffectLog();
        // Function libraries first, as Redis's rewrite writes them.
        foreach (var library in libraries)
            log.Add(0, [FunctionCommand, LoadSubcommand, System.Text.Encoding.UTF8.GetBytes(library.Code)]);
        for (int db = 0; db < keyspace.DatabaseCount; db++)
        {
            foreach (var shard in keyspace.Shards)
            {
                foreach (var (_, entry) in shard.Databases[db].All())
                {
                    // Expired keys are left out, as Redis's rewrite leaves them out.
                    if (entry.ExpireAt >= 0 && entry.ExpireAt <= nowMs) continue;
                    Write(log, db, entry.Key, entry, replace: false);
                }
            }
        }
        var batch = log.Take();
        if (batch.FirstDb <= 0) return batch.Resp;
        // The base is read from its start with database 0 selected.
        var select = new EffectLog();
        select.Add(0, [Cmd.Select, Args.Bytes(batch.FirstDb)]);
        return [.. select.Take().Resp, .. batch.Resp];
    }
}
