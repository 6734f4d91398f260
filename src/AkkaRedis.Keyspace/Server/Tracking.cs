using Akka.Actor;

namespace AkkaRedis.Keyspace.Server;

/// <summary>
/// A read-only command's payload from a connection with CLIENT TRACKING on (not BCAST, and not left out by OPTIN or
/// OPTOUT): its shard remembers the command's keys for the connection, as Redis's trackingRememberKeys does.
/// </summary>
public sealed class TrackedRead
{
    public static readonly TrackedRead Instance = new();
    private TrackedRead() { }
}

/// <summary>
/// To a tracking connection from a shard: keys it read (or, <paramref name="Broadcast"/>, keys under prefixes it
/// subscribed to in BCAST mode) were modified; <paramref name="BySelf"/>[i]: the key was modified by this connection's
/// own command (NOLOOP leaves those out). The connection decides, by its tracking mode at that moment, whether and
/// where to send the invalidation. Keys null: the keyspace was flushed, everything is invalid.
/// </summary>
public sealed record TrackingInvalidation(byte[][]? Keys, bool[]? BySelf, bool Broadcast);

/// <summary>
/// Invalidations to write, on the tracking connection itself or on the one it redirects to (CLIENT TRACKING REDIRECT),
/// in that connection's protocol: each key its own message (keys read), or all in one (a BCAST prefix's); null: a flush.
/// </summary>
public sealed record RedirectedInvalidation(byte[][]? Keys, bool OnePerKey);

/// <summary>A prefix of BCAST mode and the connections subscribed to it (the empty prefix: every key).</summary>
public sealed record BroadcastPrefix(byte[] Prefix, IActorRef[] Clients)
{
    public bool Covers(byte[] key) => key.AsSpan().StartsWith(Prefix);
}
