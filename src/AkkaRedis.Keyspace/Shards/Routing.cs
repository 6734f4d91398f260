using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;

namespace AkkaRedis.Keyspace.Shards;

/// <summary>Which shard(s) a command must run on, from its keys' hash slots.</summary>
public static class Routing
{
    /// <summary>
    /// The single shard that owns every key of the command (0 when it has none it can find, e.g. a bad count
    /// argument: the handler then answers the error), or -1 with <paramref name="several"/> set to the
    /// ascending distinct shards when the keys live on more than one.
    /// </summary>
    public static int ShardFor(CommandSpec spec, byte[][] args, int[] slotOwner, int[] allShards, out int[]? several) =>
        ShardFor(spec, args, slotOwner, allShards, out several, out _);

    /// <param name="firstSlot">The hash slot of the first key, when its keys are at fixed positions; else -1.</param>
    public static int ShardFor(CommandSpec spec, byte[][] args, int[] slotOwner, int[] allShards, out int[]? several, out int firstSlot)
    {
        several = null;
        firstSlot = -1;
        if (spec.Route == CommandRoute.AllShards)
        {
            several = allShards;
            return -1;
        }
        int shard = -1;
        bool many = false;
        if (spec.SimpleKeys)
        {
            // Hot path: fixed key positions, no allocation.
            var facts = spec.Facts;
            int last = facts.LastKeyIndex(args.Length);
            for (int i = facts.FirstKey; i <= last && i < args.Length; i += facts.Step)
            {
                int slot = HashSlot.Of(args[i]);
                if (i == facts.FirstKey) firstSlot = slot;
                int owner = slotOwner[slot];
                if (shard < 0) shard = owner;
                else if (owner != shard) many = true;
            }
        }
        else
        {
            foreach (int position in spec.KeyPositions(args))
            {
                int owner = slotOwner[HashSlot.Of(args[position])];
                if (shard < 0) shard = owner;
                else if (owner != shard) many = true;
            }
        }
        if (!many) return shard < 0 ? 0 : shard;
        var shards = new SortedSet<int>();
        foreach (int position in spec.KeyPositions(args)) shards.Add(slotOwner[HashSlot.Of(args[position])]);
        several = shards.ToArray();
        return -1;
    }
}
