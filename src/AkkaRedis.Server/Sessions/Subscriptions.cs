using Akka.Actor;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;

namespace AkkaRedis.Server.Sessions;

/// <summary>
/// The channels and patterns one connection is subscribed to (pubsub.c's c->pubsub_channels and c->pubsub_patterns),
/// kept in step with the node's <see cref="PubSubRegistry"/>, which delivers to <see cref="Subscriber"/>.
/// </summary>
public sealed class Subscriptions(PubSubRegistry registry)
{
    private readonly HashSet<byte[]> _channels = new(ByteArrayComparer.Instance);
    private readonly HashSet<byte[]> _patterns = new(ByteArrayComparer.Instance);
    private readonly HashSet<byte[]> _shardChannels = new(ByteArrayComparer.Instance);

    /// <summary>
    /// Only the connection changes the sets; the lock lets another connection read them whole (ACL SETUSER deciding
    /// whether this one lost a channel it listens on). Not taken by PUBLISH's delivery.
    /// </summary>
    private readonly object _lock = new();

    /// <summary>The connection's actor, which receives <see cref="PubSubMessage"/>s; set when the connection starts.</summary>
    public IActorRef Subscriber { get; set; } = ActorRefs.Nobody;

    public int ChannelCount => _channels.Count;
    public int PatternCount => _patterns.Count;

    public int ShardChannelCount => _shardChannels.Count;

    /// <summary>Channels and patterns together: the count (P)(UN)SUBSCRIBE replies carry (S(UN)SUBSCRIBE's is <see cref="ShardChannelCount"/>).</summary>
    public int Count => _channels.Count + _patterns.Count;

    /// <summary>While true, a RESP2 connection is in the subscribed state.</summary>
    public bool Any => Count + _shardChannels.Count > 0;

    public IReadOnlyCollection<byte[]> Channels => _channels;
    public IReadOnlyCollection<byte[]> Patterns => _patterns;
    public IReadOnlyCollection<byte[]> ShardChannels => _shardChannels;

    public void Subscribe(byte[] channel)
    {
        bool changed;
        lock (_lock) changed = _channels.Add(channel);
        if (changed) registry.Subscribe(channel, Subscriber);
    }

    public void Unsubscribe(byte[] channel)
    {
        bool changed;
        lock (_lock) changed = _channels.Remove(channel);
        if (changed) registry.Unsubscribe(channel, Subscriber);
    }

    public void PSubscribe(byte[] pattern)
    {
        bool changed;
        lock (_lock) changed = _patterns.Add(pattern);
        if (changed) registry.PSubscribe(pattern, Subscriber);
    }

    public void PUnsubscribe(byte[] pattern)
    {
        bool changed;
        lock (_lock) changed = _patterns.Remove(pattern);
        if (changed) registry.PUnsubscribe(pattern, Subscriber);
    }

    public void SSubscribe(byte[] channel)
    {
        bool changed;
        lock (_lock) changed = _shardChannels.Add(channel);
        if (changed) registry.SSubscribe(channel, Subscriber);
    }

    public void SUnsubscribe(byte[] channel)
    {
        bool changed;
        lock (_lock) changed = _shardChannels.Remove(channel);
        if (changed) registry.SUnsubscribe(channel, Subscriber);
    }

    /// <summary>A copy of the subscriptions, safe to take from any thread.</summary>
    public (List<byte[]> Channels, List<byte[]> Patterns, List<byte[]> ShardChannels) Snapshot()
    {
        lock (_lock) return (_channels.ToList(), _patterns.ToList(), _shardChannels.ToList());
    }

    /// <summary>Whether a message this connection was sent is still wanted: its channel or pattern is still subscribed.</summary>
    public bool Wants(PubSubMessage message) =>
        message.Sharded ? _shardChannels.Contains(message.Channel)
        : message.Pattern == null ? _channels.Contains(message.Channel)
        : _patterns.Contains(message.Pattern);

    /// <summary>RESET and a closed connection: every subscription goes.</summary>
    public void Clear()
    {
        foreach (var channel in _channels.ToList()) Unsubscribe(channel);
        foreach (var pattern in _patterns.ToList()) PUnsubscribe(pattern);
        foreach (var channel in _shardChannels.ToList()) SUnsubscribe(channel);
    }
}
