using AkkaRedis.Keyspace.Server;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>notify-keyspace-events read and written back as redis-server 7.0 does (its CONFIG GET after CONFIG SET).</summary>
public class KeyspaceEventsTests
{
    [Theory]
    [InlineData("KEA", "AKE")]
    [InlineData("KEAnm", "AKEm")] // Redis 7.0 writes A for all and leaves n out
    [InlineData("KEn", "nKE")]
    [InlineData("Eglx", "glxE")]
    [InlineData("g$lshzxetd", "A")]
    [InlineData("", "")]
    public void FlagsRoundTripAsRedisWritesThem(string set, string get) =>
        Assert.Equal(get, KeyspaceEvents.Format(KeyspaceEvents.Parse(set)!.Value));

    [Theory]
    [InlineData("Q")]
    [InlineData("KE ")]
    public void AnUnknownClassIsRefused(string text) => Assert.Null(KeyspaceEvents.Parse(text));
}
