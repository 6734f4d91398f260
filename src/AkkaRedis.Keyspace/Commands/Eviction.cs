using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>
/// maxmemory (evict.c). Memory in use is the memory at startup plus every shard's accounted key sizes (each shard keeps
/// its own and publishes the sum; see <see cref="ShardStore.UsedBytes"/>). Before a command, a shard over the limit
/// evicts its own keys by the policy, choosing among maxmemory-samples keys as Redis's approximated LRU, LFU and TTL
/// do, until the whole is under the limit or it has nothing left to evict; then a command that may grow the data
/// (denyoom) is refused with -OOM, as processCommand refuses it.
/// </summary>
public static class Eviction
{
    public const string OutOfMemory = "OOM command not allowed when used memory > 'maxmemory'.";

    /// <summary>The memory counted against maxmemory: what INFO's used_memory reports while a limit is set.</summary>
    public static long UsedMemory(Data.Keyspace keyspace, ServerState server)
    {
        long used = server.MemoryAtStartup;
        foreach (var shard in keyspace.Shards) used += shard.UsedBytes;
        return used;
    }

    /// <summary>
    /// Keeps the shard's accounting in step with the limit and evicts while over it. False when the dataset is still
    /// over the limit (the policy is noeviction, or this shard has nothing it may evict).
    /// </summary>
    public static bool MakeRoom(CommandContext c, ShardStore shard)
    {
        long limit = c.Config.MaxMemory;
        if (limit <= 0)
        {
            shard.Accounting = false;
            return true;
        }
        if (!shard.Accounting) shard.StartAccounting(MemoryEstimate.AccountingSamples);
        else shard.PublishUsedBytes();
        var policy = c.Config.MaxMemoryPolicy;
        while (UsedMemory(c.Keyspace, c.Server) > limit)
        {
            if (policy == "noeviction" || !EvictOne(c, shard, policy)) return false;
            shard.PublishUsedBytes();
        }
        return true;
    }

    /// <summary>Evicts the best of a sample of this shard's keys; false when there is no key the policy may evict.</summary>
    private static bool EvictOne(CommandContext c, ShardStore shard, string policy)
    {
        bool volatileOnly = policy.StartsWith("volatile", StringComparison.Ordinal);
        Entry? best = null;
        int bestDb = 0;
        long bestScore = long.MinValue;
        int samples = c.Config.MaxMemorySamples;
        for (int db = 0; db < shard.Databases.Length; db++)
        {
            var database = shard.Databases[db];
            if ((volatileOnly ? database.VolatileCount : database.Count) == 0) continue;
            for (int i = 0; i < samples; i++)
            {
                var entry = volatileOnly ? database.RandomVolatile(c.Random) : database.RandomEntry(c.Random);
                if (entry == null) break;
                long score = Score(c, policy, entry);
                if (best != null && score <= bestScore) continue;
                best = entry;
                bestDb = db;
                bestScore = score;
            }
        }
        if (best == null) return false;
        Evict(c, shard, bestDb, best);
        return true;
    }

    /// <summary>Higher is a better victim: idle seconds (LRU), 255 less the decayed counter (LFU), nearness of expiry (TTL), or any (random).</summary>
    private static long Score(CommandContext c, string policy, Entry entry) => policy switch
    {
        "allkeys-lru" or "volatile-lru" => c.NowSeconds - entry.LastAccessSeconds,
        "allkeys-lfu" or "volatile-lfu" => 255 - Lfu.Current(entry, c.Now, c.Config.LfuDecayTime),
        "volatile-ttl" => -entry.ExpireAt,
        _ => 0,
    };

    /// <summary>Deletes an evicted key as Redis does: its watchers and readers told, a DEL journaled, the evicted event sent, counted.</summary>
    private static void Evict(CommandContext c, ShardStore shard, int db, Entry entry)
    {
        int slot = HashSlot.Of(entry.Key);
        shard.Databases[db].Remove(slot, entry);
        c.SignalModified(db, entry.Key);
        c.Journal?.Add(db, [Cmd.Del, entry.Key]);
        c.Notify(KeyspaceEvent.Evicted, "evicted", entry.Key, db);
        shard.EvictedKeys++;
    }
}
