using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// client-output-buffer-limit end to end: CONFIG's words and values as Redis's (obuf-limits.tcl), and clients closed at
/// the hard limit, or after the soft seconds past the soft limit, of their class.
/// </summary>
public sealed class OutputBufferLimitTests
{
    private static string Setting(RespClient c) => (string)((List<object?>)c.Call("CONFIG", "GET", "client-output-buffer-limit")!)[1]!;

    private static RespClient.RespError Refused(string reason) =>
        new($"ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - {reason}");

    [Fact]
    public void ConfigSetChecksEveryClassAndGetShowsBytesAndSeconds()
    {
        using var server = ServerProcess.Start("--client-output-buffer-limit", "pubsub 64mb 16mb 30");
        using var c = new RespClient(server.Port);
        // A start-up directive changes only the classes it names.
        Assert.Equal("normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 30", Setting(c));

        Assert.Equal(Refused("Wrong number of arguments in buffer limit configuration."), c.Call("CONFIG", "SET", "client-output-buffer-limit", "wrong number"));
        Assert.Equal(Refused("Invalid client class specified in buffer limit configuration."), c.Call("CONFIG", "SET", "client-output-buffer-limit", "invalid_class 10mb 10mb 60"));
        Assert.Equal(Refused("Invalid client class specified in buffer limit configuration."), c.Call("CONFIG", "SET", "client-output-buffer-limit", "master 10mb 10mb 60"));
        Assert.Equal(Refused("Error in hard, soft or soft_seconds setting in buffer limit configuration."), c.Call("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 2mb -1"));
        // One bad group refuses the whole value.
        Assert.Equal(Refused("Error in hard, soft or soft_seconds setting in buffer limit configuration."), c.Call("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 2mb 60 pubsub x 1 1"));
        Assert.Equal("normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 30", Setting(c));

        // Soft seconds as large as a long: output past the soft limit neither overflows the timer nor closes the client.
        Assert.Equal("OK", c.Call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 1 9223372036854775807"));
        Assert.Equal("PONG", c.Call("PING"));
        Assert.Equal("PONG", c.Call("PING"));
        Assert.Equal("OK", c.Call("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 2mb 60 replica 3mb 4mb 70 pubsub 5mb 6mb 80"));
        Assert.Equal("normal 1048576 2097152 60 slave 3145728 4194304 70 pubsub 5242880 6291456 80", Setting(c));
    }

    [Fact]
    public void AReplyPastTheNormalHardLimitClosesTheClientWithoutIt()
    {
        using var server = ServerProcess.Start();
        using var c = new RespClient(server.Port);
        Assert.Equal("OK", c.Call("SET", "big", new string('v', 1_000_000)));
        Assert.Equal("OK", c.Call("CONFIG", "SET", "client-output-buffer-limit", "normal 100000 0 0"));

        using var reader = new RespClient(server.Port);
        reader.SendRaw(RespClient.Encode("GET", "big"));
        Assert.True(reader.IsClosedByServer(), "the client past the limit was not closed");
        // The log line comes through Akka's logger, after the close.
        Assert.True(SpinWait.SpinUntil(() => server.Output.Any(line => line.Contains("closed for overcoming of output buffer limits")), 5000));
        // Smaller replies still go out; with the limit off the big one does too.
        Assert.Equal(1L, c.Call("EXISTS", "big"));
        Assert.Equal("OK", c.Call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"));
        Assert.Equal(1_000_000, ((string)c.Call("GET", "big")!).Length);
    }

    [Fact]
    public void ASubscriberPastTheSoftLimitIsClosedAfterTheSoftSecondsWithNoMoreTraffic()
    {
        using var server = ServerProcess.Start();
        using var c = new RespClient(server.Port);
        Assert.Equal("OK", c.Call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 100000 1"));
        using var subscriber = new TcpClient { ReceiveBufferSize = 4096 };
        subscriber.Connect("127.0.0.1", server.Port);
        var stream = subscriber.GetStream();
        stream.Write(RespClient.Encode("SUBSCRIBE", "flood"));
        Assert.True(stream.Read(new byte[256], 0, 256) > 0);

        // The subscriber reads nothing: its output piles up past the soft limit, once the sockets' buffers (which the
        // kernel grows meanwhile) hold no more. Past it means still past it a moment later, with nothing published.
        string payload = new('x', 10_000);
        long Omem() => long.Parse(Regex.Match((string)c.Call("CLIENT", "LIST")!, @"sub=1 .*omem=(\d+)").Groups[1].Value);
        long omem = 0;
        for (int i = 0; i < 2000 && omem < 100_000; i++)
        {
            Assert.Equal(1L, c.Call("PUBLISH", "flood", payload));
            if (Omem() < 100_000) continue;
            Thread.Sleep(200);
            omem = Omem();
        }
        Assert.True(omem >= 100_000, $"omem {omem}");
        // Past the soft limit but not yet for a second: still there. Then, with nothing more published, closed.
        Assert.Equal(1L, c.Call("PUBSUB", "NUMSUB", "flood") is List<object?> numsub ? numsub[1] : null);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && ((List<object?>)c.Call("PUBSUB", "NUMSUB", "flood")!)[1] is 1L) Thread.Sleep(50);
        Assert.Equal(0L, ((List<object?>)c.Call("PUBSUB", "NUMSUB", "flood")!)[1]);
    }
}
