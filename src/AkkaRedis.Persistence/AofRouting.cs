namespace AkkaRedis.Persistence;

/// <summary>
/// Which shard replays a command read from the AOF. The file is one log for the whole keyspace, as Redis's
/// is; on recovery each command goes to the shard that owns its keys' slots now, so the shard count may
/// change between runs.
/// </summary>
public interface IAofRouter
{
    int ShardCount { get; }

    /// <summary>
    /// The shard owning every key of <paramref name="args"/>, or -1 for a command without keys that every
    /// shard applies to its own data (FLUSHALL, SWAPDB). False with a reason when the command cannot be replayed.
    /// </summary>
    bool TryRoute(byte[][] args, out int shard, out string? error);
}

public static class AofPersistenceIds
{
    public static string ForShard(int shard) => $"shard-{shard}";

    public static int ShardOf(string persistenceId) =>
        persistenceId.StartsWith("shard-", StringComparison.Ordinal) && int.TryParse(persistenceId.AsSpan(6), out int shard)
            ? shard
            : throw new ArgumentException($"Not a keyspace shard persistence id: {persistenceId}");
}
