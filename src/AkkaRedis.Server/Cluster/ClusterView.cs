using System.Security.Cryptography;
using System.Text;
using Akka.Actor;

namespace AkkaRedis.Server.Cluster;

/// <summary>A member of the cluster as clients see it: its Redis Cluster node id and the address clients connect to.</summary>
public sealed record ClusterNode(Address Address, string Id, string Host, int Port, bool IsSelf)
{
    /// <summary>The Akka.Remote port, shown where Redis Cluster shows the cluster bus port.</summary>
    public int BusPort => Address.Port ?? 0;

    /// <summary>A 40-hex-digit id derived from the node's cluster address, so every node names every other alike.</summary>
    public static string IdOf(Address address) =>
        Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes($"{address.Host}:{address.Port}"))).ToLowerInvariant();
}

/// <summary>
/// Where every keyspace shard lives right now, as last seen by <see cref="PlacementTracker"/>: an immutable
/// snapshot, replaced whole. <paramref name="Owners"/>[shard] is null while a shard has no home (it is moving,
/// or its node was lost and it has not started again yet).
/// </summary>
public sealed record Placement(ClusterNode Self, ClusterNode[] Nodes, ClusterNode?[] Owners, long Epoch)
{
    /// <summary>
    /// The actors of the shards on this node (Nobody elsewhere), by shard index: where held commands go. Not through the
    /// shard region: the region may buffer a message for a shard in hand-off, and drops such messages, which would leave
    /// the shards already held waiting forever. A message to an actor that has stopped since is caught by <see cref="LostHolds"/>.
    /// </summary>
    public IActorRef[] LocalRefs { get; init; } = Enumerable.Repeat(ActorRefs.Nobody, Owners.Length).ToArray();

    public bool IsLocal(int shard) => Owners[shard]?.IsSelf == true;

    public int[] LocalShards { get; } = Enumerable.Range(0, Owners.Length).Where(i => Owners[i]?.IsSelf == true).ToArray();

    public bool Complete => Owners.All(o => o != null);
}

/// <summary>
/// The placement that connections and CLUSTER commands read. One actor (the tracker) writes it; readers take the
/// current snapshot with one volatile read. This is routing metadata, never data: the shards alone own their keys.
/// </summary>
public sealed class ClusterView(Placement initial, IActorRefFactory system)
{
    /// <summary>Where this node starts the actors of commands that span nodes (<see cref="Keyspace.Shards.LendingHold"/>).</summary>
    public IActorRefFactory System { get; } = system;

    private volatile Placement _current = initial;

    public Placement Current => _current;

    public void Publish(Placement placement) => _current = placement;
}
