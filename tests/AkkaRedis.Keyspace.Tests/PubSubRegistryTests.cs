using System.Text;
using AkkaRedis.Keyspace.Server;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>The node's pub/sub registry with test probes standing in for connections.</summary>
public class PubSubRegistryTests : Akka.TestKit.Xunit2.TestKit
{
    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void PublishReachesChannelThenPatternSubscribersAndCountsThem()
    {
        var registry = new PubSubRegistry();
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        registry.Subscribe(B("news"), a.Ref);
        registry.Subscribe(B("news"), b.Ref);
        registry.PSubscribe(B("n?ws"), a.Ref);
        registry.PSubscribe(B("x*"), b.Ref);

        Assert.Equal(3, registry.Publish(B("news"), B("hello")));
        var first = a.ExpectMsg<PubSubMessage>();
        Assert.Equal(("news", "hello", (string?)null), (Encoding.UTF8.GetString(first.Channel), Encoding.UTF8.GetString(first.Message), first.Pattern == null ? null : "?"));
        Assert.Equal("n?ws", Encoding.UTF8.GetString(a.ExpectMsg<PubSubMessage>().Pattern!));
        Assert.Null(b.ExpectMsg<PubSubMessage>().Pattern);
        b.ExpectNoMsg(TimeSpan.FromMilliseconds(50));

        Assert.Equal(2, registry.Subscribers(B("news")));
        Assert.Equal(2, registry.PatternCount);
        Assert.Equal(["news"], registry.Channels(B("n*")).Select(Encoding.UTF8.GetString));

        registry.Unsubscribe(B("news"), a.Ref);
        registry.Unsubscribe(B("news"), b.Ref);
        registry.PUnsubscribe(B("x*"), b.Ref);
        Assert.Equal(0, registry.ChannelCount);
        Assert.Empty(registry.Channels(null));
        Assert.Equal(1, registry.PatternCount);
        Assert.Equal(1, registry.Publish(B("news"), B("again")));
    }
}

/// <summary>MONITOR's lines as Redis writes them (replicationFeedMonitors with sdscatrepr's quoting).</summary>
public class MonitorLineTests
{
    [Fact]
    public void ArgumentsAreQuotedAsSdscatreprQuotesThem()
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(1_795_773_294_513).AddTicks(1_430);
        byte[][] args = ["SET"u8.ToArray(), "a\"b\\"u8.ToArray(), "\n\r\t\a\b"u8.ToArray(), [0, 0x7F, 0xC3, 0xA9, (byte)' ', (byte)'~']];
        Assert.Equal("+1795773294.513143 [5 lua] \"SET\" \"a\\\"b\\\\\" \"\\n\\r\\t\\a\\b\" \"\\x00\\x7f\\xc3\\xa9 ~\"\r\n",
            System.Text.Encoding.ASCII.GetString(AkkaRedis.Keyspace.Server.MonitorRegistry.Line(time, 5, "lua", args)));
    }
}
