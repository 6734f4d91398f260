using System.Runtime.CompilerServices;
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

    /// <summary>
    /// The shard owning every key of a command as it lies in the file, when that is quick to tell (a command whose keys
    /// are at fixed positions, all on one shard); false sends the command to <see cref="TryRoute"/>.
    /// </summary>
    bool TryRouteRaw(in AofRawCommand command, out int shard);
}

/// <summary>Splits AOF units by owning shard: what recovery does with the AOF, and a cluster's runner with a held command's effects.</summary>
public static class AofPartition
{
    /// <summary>
    /// Gives each shard that owns part of <paramref name="unit"/> its own commands of it (a command for every shard,
    /// such as FLUSHALL, goes to each); null, or why a command cannot be routed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string? Split(AofCommand[] unit, IAofRouter router, Action<int, AofCommand[]> add)
    {
        if (unit.Length == 0) return null;
        Span<int> owners = unit.Length <= 64 ? stackalloc int[unit.Length] : new int[unit.Length];
        bool single = true;
        for (int i = 0; i < unit.Length; i++)
        {
            if (!router.TryRoute(unit[i].Args, out owners[i], out var error))
                return $"{error} (command '{System.Text.Encoding.UTF8.GetString(unit[i].Args[0])}')";
            if (owners[i] != owners[0]) single = false;
        }
        if (single && owners[0] >= 0)
        {
            add(owners[0], unit);
            return null;
        }
        for (int shard = 0; shard < router.ShardCount; shard++)
        {
            var part = new List<AofCommand>();
            for (int i = 0; i < unit.Length; i++)
                if (owners[i] == shard || owners[i] < 0) part.Add(unit[i]);
            if (part.Count > 0) add(shard, part.ToArray());
        }
        return null;
    }

    /// <summary>A batch of effects split into one batch per owning shard.</summary>
    public static Dictionary<int, AofBatch> Split(AofBatch batch, IAofRouter router)
    {
        var logs = new Dictionary<int, EffectLog>();
        foreach (var unit in new AofChunk(batch.Resp, batch.Units, batch.FirstDb).ReadUnits())
        {
            var error = Split(unit, router, (shard, part) =>
            {
                if (!logs.TryGetValue(shard, out var log)) logs[shard] = log = new EffectLog();
                log.AddUnit(part);
            });
            if (error != null) throw new InvalidOperationException("An effect cannot be journaled by its shard: " + error);
        }
        return logs.ToDictionary(l => l.Key, l => l.Value.Take());
    }
}

public static class AofPersistenceIds
{
    public static string ForShard(int shard) => $"shard-{shard}";

    public static int ShardOf(string persistenceId) =>
        persistenceId.StartsWith("shard-", StringComparison.Ordinal) && int.TryParse(persistenceId.AsSpan(6), out int shard)
            ? shard
            : throw new ArgumentException($"Not a keyspace shard persistence id: {persistenceId}");
}
