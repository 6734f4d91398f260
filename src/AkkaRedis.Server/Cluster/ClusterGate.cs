using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Shards;

namespace AkkaRedis.Server.Cluster;

/// <summary>
/// Which commands a node can send on in a cluster, and what it answers when it cannot, in Redis Cluster's words.
/// A command for one shard with nothing attached is forwarded to that shard wherever it lives. A multi-key command or
/// a transaction whose shards are not all here runs as a lending hold (<see cref="Lends"/>), and so does a script whose
/// declared keys are not all on this node (it sees those keys only); a WATCH of shards on other nodes travels with a
/// ticket (see the connection's Watch); a blocking pop waits through a relay (BlockRelay, BlockAcrossNodes). FCALL, whose
/// library lives in a Lua state here, runs only when all of its shards are on this node: when they are all on one other
/// node the client is redirected there with MOVED (as Redis Cluster redirects, and cluster-aware clients follow), when
/// they span nodes it gets CROSSSLOT.
/// Whole-keyspace commands (DBSIZE, KEYS, SCAN, FLUSHALL...) act on this node's shards, as on a Redis Cluster node.
/// </summary>
public static class ClusterGate
{
    public const string CrossSlot = "CROSSSLOT Keys in request don't hash to the same slot";
    public const string NotServed = "CLUSTERDOWN Hash slot not served";

    /// <summary>Whether the command needs its shards on this node (see the class comment).</summary>
    public static bool NeedsLocal(in ShardCommand command, int[]? several) =>
        several != null || command.Payload != null;

    /// <summary>
    /// The shards a command lends from when it runs as a <see cref="LendingHold"/> (see <see cref="Lends"/>), or null: a
    /// multi-key command over shards on several nodes, or a script whose declared keys are not all on this node.
    /// </summary>
    public static int[]? Lending(Placement placement, Keyspace.Data.Keyspace keyspace, in ShardCommand command, int[]? several)
    {
        if (command.Payload != null) return null;
        var spec = command.Spec;
        if (spec.Route != CommandRoute.AllShards) return several != null && Lends(placement, several) ? several : null;
        if (!LendableScripts.Contains(spec.Name)) return null;
        var shards = KeyShards(keyspace, command).Distinct().Order().ToArray();
        return shards.Length > 0 && Lends(placement, shards) ? shards : null;
    }

    /// <summary>The shard of each key the command names (its key positions), in argument order.</summary>
    private static IEnumerable<int> KeyShards(Keyspace.Data.Keyspace keyspace, ShardCommand command) =>
        command.Spec.KeyPositions(command.Args).Select(p => keyspace.ShardOf(command.Args[p]));

    /// <summary>
    /// The scripts that can run on lent keys: they name their keys, and the node's script cache has their bodies. (FCALL
    /// cannot: a function library lives in the Lua state of a shard.)
    /// </summary>
    private static readonly HashSet<string> LendableScripts = ["eval", "evalsha", "eval_ro", "evalsha_ro"];

    /// <summary>
    /// Whether a multi-key command (or a transaction) over <paramref name="shards"/> runs as a <see cref="LendingHold"/>:
    /// every shard is placed and some live on other nodes. Only for commands that name all their keys and carry no
    /// connection state but a transaction's queue and watch: not whole-keyspace, WATCH or blocking.
    /// </summary>
    public static bool Lends(Placement placement, IEnumerable<int> shards)
    {
        bool remote = false;
        foreach (int shard in shards)
        {
            var owner = placement.Owners[shard];
            if (owner == null) return false;
            if (!owner.IsSelf) remote = true;
        }
        return remote;
    }

    /// <summary>
    /// Null when <paramref name="command"/> can run from this node; otherwise the error to answer. For whole-keyspace
    /// commands the keys they name (EVAL's, FCALL's) must be local; <paramref name="local"/> gets the shards to hold.
    /// </summary>
    public static string? Refusal(Placement placement, Keyspace.Data.Keyspace keyspace, in ShardCommand command, int shard, int[]? several, out int[]? local)
    {
        local = null;
        var spec = command.Spec;
        if (spec.Route == CommandRoute.AllShards)
        {
            if (placement.LocalShards.Length == 0) return NotServed;
            local = placement.LocalShards;
            return Refusal(placement, keyspace, KeyShards(keyspace, command), FirstKeySlot(command));
        }
        return Refusal(placement, keyspace, several ?? [shard], FirstKeySlot(command));
    }

    /// <summary>Null when every one of <paramref name="shards"/> is on this node; else MOVED, CROSSSLOT or CLUSTERDOWN.</summary>
    public static string? Refusal(Placement placement, Keyspace.Data.Keyspace keyspace, IEnumerable<int> shards, int slotHint)
    {
        ClusterNode? remote = null;
        int remoteShard = -1;
        bool anyLocal = false;
        foreach (int shard in shards)
        {
            var owner = placement.Owners[shard];
            if (owner == null) return NotServed;
            if (owner.IsSelf)
            {
                anyLocal = true;
                continue;
            }
            if (remote != null && remote != owner) return CrossSlot;
            remote ??= owner;
            if (remoteShard < 0) remoteShard = shard;
        }
        if (remote == null) return null;
        if (anyLocal) return CrossSlot;
        int slot = slotHint >= 0 && keyspace.SlotOwner[slotHint] == remoteShard ? slotHint : FirstSlotOf(keyspace, remoteShard);
        return $"MOVED {slot} {remote.Host}:{remote.Port}";
    }

    private static int FirstKeySlot(in ShardCommand command)
    {
        var positions = command.Spec.KeyPositions(command.Args);
        return positions.Count > 0 ? HashSlot.Of(command.Args[positions[0]]) : -1;
    }

    private static int FirstSlotOf(Keyspace.Data.Keyspace keyspace, int shard) => Array.IndexOf(keyspace.SlotOwner, shard);
}
