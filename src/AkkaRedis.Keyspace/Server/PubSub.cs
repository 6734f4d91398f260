using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using AkkaRedis.Keyspace.Data;

namespace AkkaRedis.Keyspace.Server;

/// <summary>
/// A published message on its way to one subscribed connection; <paramref name="Pattern"/> when it matched a
/// PSUBSCRIBE, <paramref name="Sharded"/> when SPUBLISH sent it to SSUBSCRIBE's channels.
/// </summary>
public sealed record PubSubMessage(byte[] Channel, byte[] Message, byte[]? Pattern, bool Sharded = false);

/// <summary>
/// Who is subscribed to what on this node (pubsub.c's server.pubsub_channels, pubsub_patterns and pubsubshard_channels). Connections
/// subscribe and unsubscribe their own actor; PUBLISH, run by any connection (or script), looks the receivers up and
/// tells each a <see cref="PubSubMessage"/>. Not keyspace data, and shared by every connection as the registry of
/// clients is: each entry is an immutable set replaced atomically, so a PUBLISH sees a subscription as soon as the
/// SUBSCRIBE that made it has answered, as Redis promises.
/// </summary>
public sealed class PubSubRegistry
{
    private readonly ConcurrentDictionary<byte[], ImmutableHashSet<IActorRef>> _channels = new(ByteArrayComparer.Instance);
    private readonly ConcurrentDictionary<byte[], ImmutableHashSet<IActorRef>> _patterns = new(ByteArrayComparer.Instance);
    private readonly ConcurrentDictionary<byte[], ImmutableHashSet<IActorRef>> _shardChannels = new(ByteArrayComparer.Instance);

    public void Subscribe(byte[] channel, IActorRef subscriber) => Add(_channels, channel, subscriber);
    public void Unsubscribe(byte[] channel, IActorRef subscriber) => Remove(_channels, channel, subscriber);
    public void PSubscribe(byte[] pattern, IActorRef subscriber) => Add(_patterns, pattern, subscriber);
    public void PUnsubscribe(byte[] pattern, IActorRef subscriber) => Remove(_patterns, pattern, subscriber);
    public void SSubscribe(byte[] channel, IActorRef subscriber) => Add(_shardChannels, channel, subscriber);
    public void SUnsubscribe(byte[] channel, IActorRef subscriber) => Remove(_shardChannels, channel, subscriber);

    private static void Add(ConcurrentDictionary<byte[], ImmutableHashSet<IActorRef>> table, byte[] name, IActorRef subscriber) =>
        table.AddOrUpdate(name, _ => [subscriber], (_, set) => set.Add(subscriber));

    private static void Remove(ConcurrentDictionary<byte[], ImmutableHashSet<IActorRef>> table, byte[] name, IActorRef subscriber)
    {
        while (table.TryGetValue(name, out var set))
        {
            var smaller = set.Remove(subscriber);
            // The last subscriber takes the entry with it, only if no one changed it meanwhile.
            if (smaller.IsEmpty ? table.TryRemove(KeyValuePair.Create(name, set)) : table.TryUpdate(name, smaller, set)) return;
        }
    }

    /// <summary>Cluster mode: sends a message published here to the other nodes (set by the cluster's start); true for SPUBLISH.</summary>
    public Action<byte[], byte[], bool>? Forward { get; set; }

    /// <summary>
    /// PUBLISH (SPUBLISH: <paramref name="sharded"/>): delivers to this node's subscribers and, in a cluster, to every
    /// other node's, as Redis Cluster does (any node serves any slot here, so SPUBLISH goes everywhere too); answers how
    /// many received it here (as a Redis Cluster node counts its own clients).
    /// </summary>
    public long Publish(byte[] channel, byte[] message, bool sharded = false)
    {
        long receivers = Deliver(channel, message, sharded);
        Forward?.Invoke(channel, message, sharded);
        return receivers;
    }

    /// <summary>
    /// Delivers to this node's subscribers of the channel and, unless <paramref name="sharded"/>, of every matching
    /// pattern (SSUBSCRIBE's channels are a namespace of their own, without patterns); how many received it.
    /// </summary>
    public long Deliver(byte[] channel, byte[] message, bool sharded)
    {
        long receivers = 0;
        if ((sharded ? _shardChannels : _channels).TryGetValue(channel, out var subscribers))
            receivers += Send(subscribers, new PubSubMessage(channel, message, null, sharded));
        if (sharded) return receivers;
        foreach (var (pattern, patternSubscribers) in _patterns)
            if (Glob.Match(pattern, channel)) receivers += Send(patternSubscribers, new PubSubMessage(channel, message, pattern));
        return receivers;
    }

    private static int Send(ImmutableHashSet<IActorRef> subscribers, PubSubMessage delivery)
    {
        foreach (var subscriber in subscribers) subscriber.Tell(delivery);
        return subscribers.Count;
    }

    /// <summary>PUBSUB CHANNELS (SHARDCHANNELS): the channels with at least one subscriber, those matching <paramref name="pattern"/> if given.</summary>
    public List<byte[]> Channels(byte[]? pattern, bool sharded = false) =>
        (sharded ? _shardChannels : _channels).Keys.Where(channel => pattern == null || Glob.Match(pattern, channel)).ToList();

    /// <summary>PUBSUB NUMSUB (SHARDNUMSUB): a channel's subscribers (patterns not counted).</summary>
    public int Subscribers(byte[] channel, bool sharded = false) => (sharded ? _shardChannels : _channels).TryGetValue(channel, out var set) ? set.Count : 0;

    /// <summary>PUBSUB NUMPAT, INFO's pubsub_patterns: patterns with at least one subscriber.</summary>
    public int PatternCount => _patterns.Count;

    /// <summary>INFO's pubsub_channels.</summary>
    public int ChannelCount => _channels.Count;
}
