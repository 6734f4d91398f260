using AkkaRedis.Keyspace.Data;

namespace AkkaRedis.Server.Sessions;

/// <summary>
/// A connection's CLIENT TRACKING mode (null in <see cref="ClientSession.Tracking"/>: off). Replaced whole when the
/// mode changes, so CLIENT LIST on another connection reads one consistent mode.
/// </summary>
public sealed record ClientTracking(long RedirectId, bool Broadcast, bool OptIn, bool OptOut, bool NoLoop, byte[][] Prefixes)
{
    /// <summary>
    /// Whether a read-only command's keys are remembered (trackingRememberKeys): never in BCAST mode; under OPTIN only
    /// after CLIENT CACHING yes, under OPTOUT unless after CLIENT CACHING no.
    /// </summary>
    public bool TracksReads(bool cachingGiven) => !Broadcast && !(OptIn && !cachingGiven) && !(OptOut && cachingGiven);

    /// <summary>Prefixes in byte order, as CLIENT TRACKINGINFO lists them.</summary>
    public static byte[][] Sorted(IEnumerable<byte[]> prefixes) => [.. prefixes.Distinct(ByteArrayComparer.Instance).Order(ByteArrayComparer.Instance)];
}
