using Akka.Actor;

namespace AkkaRedis.Server.Cluster;

/// <summary>
/// Keyspace shard <paramref name="shard"/> as an actor ref: a Tell goes through the shard region, which delivers it
/// on whichever node owns the shard now. Everything that addressed a shard by ref (connections, held commands,
/// the server) works unchanged in a cluster.
/// </summary>
public sealed class ShardRegionRef(IActorRef region, int shard, IActorRefProvider provider) : MinimalActorRef
{
    public override ActorPath Path { get; } = region.Path / ("shard-" + shard);
    public override IActorRefProvider Provider { get; } = provider;

    protected override void TellInternal(object message, IActorRef sender) =>
        region.Tell(new ShardEnvelope(shard, message), sender);
}
