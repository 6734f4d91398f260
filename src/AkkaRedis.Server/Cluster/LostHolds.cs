using Akka.Actor;
using Akka.Event;
using AkkaRedis.Keyspace.Shards;

namespace AkkaRedis.Server.Cluster;

/// <summary>
/// Cluster mode: a held command sent to a shard actor that has just stopped (it moved to another node after this node
/// last saw it) ends in dead letters; this answers it TRYAGAIN and releases the shards it already held, which would
/// otherwise wait for it forever.
/// </summary>
public sealed class LostHolds : ReceiveActor
{
    public LostHolds()
    {
        Receive<DeadLetter>(dead =>
        {
            var message = dead.Message is ShardEnvelope envelope ? envelope.Message : dead.Message;
            if (message is HeldCommand held) CrossShard.Abort(held, CrossShard.ShardMoved);
        });
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(DeadLetter));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
