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

    /// <summary>The connection's actor, which receives <see cref="PubSubMessage"/>s; set when the connection starts.</summary>
    public IActorRef Subscriber { get; set; } = ActorRefs.Nobody;

    public int ChannelCount => _channels.Count;
    public int PatternCount => _patterns.Count;

    /// <summary>Channels and patterns together: the count every (un)subscribe reply carries. While it is not 0, a RESP2
    /// connection is in the subscribed state.</summary>
    public int Count => _channels.Count + _patterns.Count;

    public IReadOnlyCollection<byte[]> Channels => _channels;
    public IReadOnlyCollection<byte[]> Patterns => _patterns;

    public void Subscribe(byte[] channel)
    {
        if (_channels.Add(channel)) registry.Subscribe(channel, Subscriber);
    }

    public void Unsubscribe(byte[] channel)
    {
        if (_channels.Remove(channel)) registry.Unsubscribe(channel, Subscriber);
    }

    public void PSubscribe(byte[] pattern)
    {
        if (_patterns.Add(pattern)) registry.PSubscribe(pattern, Subscriber);
    }

    public void PUnsubscribe(byte[] pattern)
    {
        if (_patterns.Remove(pattern)) registry.PUnsubscribe(pattern, Subscriber);
    }

    /// <summary>RESET and a closed connection: every subscription goes.</summary>
    public void Clear()
    {
        foreach (var channel in _channels.ToList()) Unsubscribe(channel);
        foreach (var pattern in _patterns.ToList()) PUnsubscribe(pattern);
    }
}
