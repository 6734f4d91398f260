using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using AkkaRedis.Keyspace.Server;

namespace AkkaRedis.Server.Cluster;

/// <summary>A message PUBLISHed (SPUBLISHed: <paramref name="Sharded"/>) on the node at <paramref name="Origin"/>, on its way to the other nodes' subscribers.</summary>
public sealed record ClusterPublish(byte[] Channel, byte[] Message, string Origin, bool Sharded = false);

/// <summary>
/// Cluster mode's pub/sub: every node's relay subscribes to one topic of Akka's distributed pub/sub mediator; a PUBLISH
/// is delivered on its own node and sent to the topic (see <see cref="PubSubRegistry.Forward"/>), and each other node's
/// relay delivers it to its subscribers. The mediator learns of a new node's relay by gossip, within about a second.
/// </summary>
public sealed class PubSubRelay : ReceiveActor
{
    public const string Topic = "akkaredis-pubsub";

    public PubSubRelay(PubSubRegistry registry, IActorRef mediator, string self)
    {
        mediator.Tell(new Subscribe(Topic, Self));
        Receive<ClusterPublish>(published =>
        {
            if (published.Origin != self) registry.Deliver(published.Channel, published.Message, published.Sharded);
        });
        Receive<SubscribeAck>(_ => { });
    }
}
