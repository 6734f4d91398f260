using System.Globalization;
using System.Text;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>Commands over whole databases (db.c): they run with every shard held, so they see one consistent keyspace.</summary>
public static class Databases
{
    public static void Register(CommandTable.Builder table) => table
        .AllShards("dbsize", DbSize)
        .AllShards("flushdb", FlushDb)
        .AllShards("flushall", FlushAll)
        .AllShards("swapdb", SwapDb)
        .AllShards("keys", Keys)
        .AllShards("scan", Scan)
        .AllShards("randomkey", RandomKey);

    private static IEnumerable<Database> Each(CommandContext c, int db) => c.ShardsInScope.Select(s => s.Databases[db]);

    private static void DbSize(CommandContext c) => c.Reply.WriteInteger(Each(c, c.Db).Sum(d => (long)d.Count));

    /// <summary>FLUSHDB/FLUSHALL take at most one argument, ASYNC or SYNC (getFlushCommandFlags).</summary>
    private static bool TryFlushMode(CommandContext c)
    {
        if (c.Argc == 1) return true;
        if (c.Argc == 2 && (Args.Is(c[1], "ASYNC") || Args.Is(c[1], "SYNC"))) return true;
        c.Error(RespErrors.Syntax);
        return false;
    }

    /// <summary>
    /// emptyData: the databases of the shards in scope (all of them, or only <paramref name="db"/>) emptied, each one's
    /// watched keys touched first (touchAllWatchedKeysInDb); how many keys they held. FLUSHDB, FLUSHALL and DEBUG's
    /// reloads empty the data this way.
    /// </summary>
    internal static long EmptyData(CommandContext c, int? db = null)
    {
        long removed = 0;
        foreach (var shard in c.ShardsInScope)
        {
            for (int i = db ?? 0; i <= (db ?? shard.Databases.Length - 1); i++)
            {
                shard.TouchWatchedExisting(i, c.Now);
                removed += shard.Databases[i].Count;
                shard.Databases[i].Clear();
                // An XREADGROUP blocked on a stream of it answers that the stream is gone (signalFlushedDb).
                foreach (var key in shard.KeysWaitedOn(i)) c.ReadyKeys.Add((i, key));
            }
        }
        return removed;
    }

    private static void FlushDb(CommandContext c)
    {
        if (!TryFlushMode(c)) return;
        c.InvalidateAllTracked();
        long removed = EmptyData(c, c.Db);
        c.Changes += (int)Math.Min(int.MaxValue, removed) + 1;
        c.CountChanges(removed);
        c.Reply.WriteOk();
    }

    private static void FlushAll(CommandContext c)
    {
        if (!TryFlushMode(c)) return;
        long removed = EmptyData(c);
        c.InvalidateAllTracked();
        c.Changes++;
        c.CountChanges(removed);
        if (c.Config.Save.Points.Count > 0) Snapshot.SaveCommands.SaveAfterFlush(c);
        c.Reply.WriteOk();
    }

    private static void SwapDb(CommandContext c)
    {
        if (!Args.TryLong(c[1], out long first) || first is < int.MinValue or > int.MaxValue)
        {
            c.Error(RespErrors.InvalidFirstDb);
            return;
        }
        if (!Args.TryLong(c[2], out long second) || second is < int.MinValue or > int.MaxValue)
        {
            c.Error(RespErrors.InvalidSecondDb);
            return;
        }
        if (first < 0 || first >= c.Keyspace.DatabaseCount || second < 0 || second >= c.Keyspace.DatabaseCount)
        {
            c.Error(RespErrors.DbIndexOutOfRange);
            return;
        }
        if (first != second)
        {
            foreach (var shard in c.ShardsInScope)
            {
                shard.TouchWatchedExisting((int)first, c.Now, shard.Databases[(int)second]);
                shard.TouchWatchedExisting((int)second, c.Now, shard.Databases[(int)first]);
                shard.Databases[first].SwapWith(shard.Databases[second]);
                // Clients blocked in either database may find their key there now (scanDatabaseForReadyKeys), and an
                // XREADGROUP's stream may be gone (scanDatabaseForDeletedStreams); the serving judges each key.
                foreach (int db in new[] { (int)first, (int)second })
                    foreach (var key in shard.KeysWaitedOn(db)) c.ReadyKeys.Add((db, key));
            }
            c.Changes++;
        }
        c.Reply.WriteOk();
    }

    private static void Keys(CommandContext c)
    {
        var pattern = c[1];
        bool all = pattern.Length == 1 && pattern[0] == '*';
        var keys = new List<byte[]>();
        foreach (var database in Each(c, c.Db))
            foreach (var (_, entry) in database.All())
            {
                if (entry.ExpiredAt(c.Now)) continue;
                if (all || Glob.Match(pattern, entry.Key)) keys.Add(entry.Key);
            }
        c.Reply.WriteArrayHeader(keys.Count);
        foreach (var key in keys) c.Reply.WriteBulk(key);
    }

    /// <summary>
    /// SCAN's cursor is a hash slot: each call returns whole slots from the cursor on, until COUNT keys are
    /// collected, and the next slot as the new cursor (0 when done). A key present for the whole scan is
    /// therefore always returned, at most once per slot, whatever the tables do between calls.
    /// </summary>
    private static void Scan(CommandContext c)
    {
        if (!CollectionScan.TryCursor(c, c[1], out ulong cursor)) return;
        if (!TryScanOptions(c, 2, out var options)) return;
        var keys = new List<byte[]>();
        ulong slot = cursor;
        while (slot < HashSlot.Count && keys.Count < options.Count)
        {
            foreach (var entry in c.DatabaseOf((int)slot, c.Db).EntriesInSlot((int)slot))
                keys.Add(entry.Key);
            slot++;
        }
        if (slot >= HashSlot.Count) slot = 0;

        // Filter after collecting, as Redis does: expired keys are deleted, then MATCH and TYPE applied.
        var result = new List<byte[]>(keys.Count);
        foreach (var key in keys)
        {
            var entry = c.Lookup(key, c.Db);
            if (entry == null) continue;
            if (options.Pattern != null && !Glob.Match(options.Pattern, key)) continue;
            if (options.Type != null && !string.Equals(Values.TypeName(entry.Value), options.Type, StringComparison.OrdinalIgnoreCase)) continue;
            result.Add(key);
        }
        c.Reply.WriteArrayHeader(2);
        c.Reply.WriteBulk(slot.ToString(CultureInfo.InvariantCulture));
        c.Reply.WriteArrayHeader(result.Count);
        foreach (var key in result) c.Reply.WriteBulk(key);
    }

    public readonly record struct ScanOptions(byte[]? Pattern, long Count, string? Type);

    /// <summary>MATCH / COUNT / TYPE, as scanGenericCommand parses them.</summary>
    public static bool TryScanOptions(CommandContext c, int from, out ScanOptions options, bool allowType = true)
    {
        byte[]? pattern = null;
        long count = 10;
        string? type = null;
        options = default;
        for (int i = from; i < c.Argc; i += 2)
        {
            bool hasValue = i + 1 < c.Argc;
            if (Args.Is(c[i], "COUNT") && hasValue)
            {
                if (!Args.TryInteger(c, c[i + 1], out count)) return false;
                if (count < 1)
                {
                    c.Error(RespErrors.Syntax);
                    return false;
                }
            }
            else if (Args.Is(c[i], "MATCH") && hasValue)
            {
                pattern = c[i + 1];
                if (pattern.Length == 1 && pattern[0] == '*') pattern = null;
            }
            else if (allowType && Args.Is(c[i], "TYPE") && hasValue) type = Args.Text(c[i + 1]);
            else
            {
                c.Error(RespErrors.Syntax);
                return false;
            }
        }
        options = new ScanOptions(pattern, count, type);
        return true;
    }

    private static void RandomKey(CommandContext c)
    {
        long total = Each(c, c.Db).Sum(d => (long)d.Count);
        // Expired keys met on the way are deleted and the draw repeated, as dbRandomKey does.
        while (total > 0)
        {
            long pick = c.Random.NextInt64(total);
            Entry? chosen = null;
            foreach (var database in Each(c, c.Db))
            {
                if (pick >= database.Count)
                {
                    pick -= database.Count;
                    continue;
                }
                chosen = database.RandomEntry(c.Random);
                break;
            }
            if (chosen == null) break;
            if (c.Lookup(chosen.Key, c.Db) != null)
            {
                c.Reply.WriteBulk(chosen.Key);
                return;
            }
            total = Each(c, c.Db).Sum(d => (long)d.Count);
        }
        c.Reply.WriteNull();
    }
}
