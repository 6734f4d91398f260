using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Keyspace.Shards;

namespace AkkaRedis.Server.Cluster;

/// <summary>
/// Cluster mode's start: the keyspace shards become entities of Akka.Cluster.Sharding (type "keyspace"), each its
/// own sharding shard so each can move alone; the server and connections address them through <see cref="ShardRegionRef"/>s.
/// </summary>
public static class KeyspaceCluster
{
    public const string TypeName = "keyspace";

    public static async Task<(IActorRef[] Shards, ClusterView View)> StartAsync(ActorSystem system, Keyspace.Data.Keyspace keyspace, ServerState state)
    {
        var shards = new IActorRef[keyspace.Shards.Length];
        var sharding = ClusterSharding.Get(system);
        var settings = ClusterShardingSettings.Create(system);
        var region = await sharding.StartAsync(
            TypeName,
            entityId => KeyspaceShard.Props(keyspace, int.Parse(entityId, System.Globalization.CultureInfo.InvariantCulture), state, shards),
            settings,
            new ShardMessageExtractor(),
            sharding.DefaultShardAllocationStrategy(settings),
            ShardStop.Instance);
        var provider = ((ExtendedActorSystem)system).Provider;
        for (int i = 0; i < shards.Length; i++) shards[i] = new ShardRegionRef(region, i, provider);

        var cluster = Akka.Cluster.Cluster.Get(system);
        var self = new ClusterNode(cluster.SelfAddress, ClusterNode.IdOf(cluster.SelfAddress), state.Config.AnnouncedHost, state.Config.AnnouncedPort, true);
        var view = new ClusterView(new Placement(self, [self], new ClusterNode?[shards.Length], 0), system);
        system.ActorOf(Props.Create(() => new PlacementTracker(view, shards)), "placement");
        system.ActorOf(Props.Create(() => new LostHolds()), "lost-holds");
        // Pub/sub: this node's PUBLISHes go to the other nodes' relays too.
        var mediator = DistributedPubSub.Get(system).Mediator;
        string selfAddress = cluster.SelfAddress.ToString();
        system.ActorOf(Props.Create(() => new PubSubRelay(state.PubSub, mediator, selfAddress)), "pubsub-relay");
        state.PubSub.Forward = (channel, message, sharded) => mediator.Tell(new Publish(PubSubRelay.Topic, new ClusterPublish(channel, message, selfAddress, sharded)));
        return (shards, view);
    }
}
