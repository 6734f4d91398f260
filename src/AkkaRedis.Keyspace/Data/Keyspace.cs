namespace AkkaRedis.Keyspace.Data;

/// <summary>
/// Every shard's data, and which shard owns each hash slot. The array is fixed at start-up; each
/// <see cref="ShardStore"/> is touched only by its shard actor, or by a command that holds that shard
/// (see CrossShard.cs for the hand-over protocol).
/// </summary>
public sealed class Keyspace
{
    public Keyspace(int shardCount, int databases)
    {
        Shards = new ShardStore[shardCount];
        for (int i = 0; i < shardCount; i++) Shards[i] = new ShardStore(i, databases);
        SlotOwner = new int[HashSlot.Count];
        for (int slot = 0; slot < HashSlot.Count; slot++) SlotOwner[slot] = OwnerOf(slot, shardCount);
        DatabaseCount = databases;
    }

    public ShardStore[] Shards { get; }
    public int[] SlotOwner { get; }
    public int DatabaseCount { get; }

    /// <summary>Contiguous slot ranges, as Redis Cluster assigns them to masters.</summary>
    public static int OwnerOf(int slot, int shardCount) => (int)((long)slot * shardCount / HashSlot.Count);

    /// <summary>The first slot owned by <paramref name="shard"/>.</summary>
    public static int FirstSlot(int shard, int shardCount) => (int)(((long)shard * HashSlot.Count + shardCount - 1) / shardCount);

    public int ShardOf(ReadOnlySpan<byte> key) => SlotOwner[HashSlot.Of(key)];
}

/// <summary>One shard's databases and counters.</summary>
public sealed class ShardStore(int index, int databases)
{
    public int Index { get; } = index;
    public Database[] Databases { get; } = Enumerable.Range(0, databases).Select(_ => new Database()).ToArray();

    public long KeyspaceHits;
    public long KeyspaceMisses;
    public long ExpiredKeys;
    public long CommandsProcessed;

    /// <summary>Writes since the journal was last rewritten (Redis's "dirty").</summary>
    public long Dirty;

    /// <summary>Per command id: calls, microseconds, failed calls (INFO commandstats).</summary>
    public long[] Calls = [];
    public long[] Microseconds = [];
    public long[] FailedCalls = [];
    public long[] RejectedCalls = [];

    public void EnsureStats(int commands)
    {
        if (Calls.Length >= commands) return;
        Array.Resize(ref Calls, commands);
        Array.Resize(ref Microseconds, commands);
        Array.Resize(ref FailedCalls, commands);
        Array.Resize(ref RejectedCalls, commands);
    }

    public void ResetStats()
    {
        KeyspaceHits = KeyspaceMisses = ExpiredKeys = CommandsProcessed = 0;
        Array.Clear(Calls);
        Array.Clear(Microseconds);
        Array.Clear(FailedCalls);
        Array.Clear(RejectedCalls);
    }
}
