using System.Net.Sockets;
using System.Text;

namespace AkkaRedis.Server.Tests;

/// <summary>CLIENT REPLY ON | OFF | SKIP: the bytes a connection gets back, compared with redis-server's for the same session.</summary>
public sealed class ClientReplyTests(SharedServer server) : IClassFixture<SharedServer>
{
    /// <summary>Each step's commands, sent in one write, and everything that came back within a moment.</summary>
    private static List<string> Session(int port)
    {
        using var client = new TcpClient("127.0.0.1", port);
        using var publisher = new TcpClient("127.0.0.1", port);
        var stream = client.GetStream();
        string[][][] steps =
        [
            [["CLIENT", "REPLY", "OFF"], ["SET", "cr:k", "1"], ["GET", "cr:k"], ["NOSUCH"], ["CLIENT", "REPLY", "BAD"]],
            [["CLIENT", "REPLY", "ON"], ["GET", "cr:k"]],
            [["CLIENT", "REPLY", "SKIP"], ["INCR", "cr:k"], ["GET", "cr:k"]],
            [["CLIENT", "REPLY", "SKIP"], ["CLIENT", "REPLY", "SKIP"], ["PING"], ["ECHO", "x"]],
            [["CLIENT", "REPLY", "BAD"]],
            [["CLIENT", "REPLY", "OFF"], ["CLIENT", "REPLY", "SKIP"], ["PING"], ["CLIENT", "REPLY", "ON"], ["PING"]],
            // Replies off, pub/sub still pushes: the subscription's reply and its messages.
            [["CLIENT", "REPLY", "OFF"], ["SUBSCRIBE", "cr:ch"]],
        ];
        var seen = new List<string>();
        foreach (var step in steps)
        {
            stream.Write(step.SelectMany(command => RespClient.Encode(command)).ToArray());
            seen.Add(ReadFor(client, TimeSpan.FromMilliseconds(300)));
        }
        publisher.GetStream().Write(RespClient.Encode("PUBLISH", "cr:ch", "hello"));
        seen.Add(ReadFor(client, TimeSpan.FromMilliseconds(300)));
        return seen;
    }

    private static string ReadFor(TcpClient client, TimeSpan wait)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (client.Client.Poll(wait, SelectMode.SelectRead))
        {
            int read = client.GetStream().Read(buffer);
            if (read == 0) break;
            text.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }
        return text.ToString();
    }

    [Fact]
    public void RepliesAreDroppedAsRedisServerDropsThem()
    {
        using var redis = new RedisServerProcess(appendOnly: false);
        var expected = Session(redis.Port);
        Assert.Equal("$1\r\n2\r\n", expected[2]); // the comparison is about something
        Assert.Equal(expected, Session(server.Port));
    }

    [Fact]
    public void InsideExecRepliesGoOffAfterIt()
    {
        using var client = new RespClient(server.Port);
        Assert.Equal("OK", client.Call("MULTI"));
        Assert.Equal("QUEUED", client.Call("CLIENT", "REPLY", "OFF"));
        Assert.Equal("QUEUED", client.Call("PING"));
        Assert.Equal(new List<object?> { "OK", "PONG" }, client.Call("EXEC"));
        client.SendRaw(RespClient.Encode("PING"));
        Assert.Null(client.ReadWithin(TimeSpan.FromMilliseconds(300)));
        Assert.Equal("OK", client.Call("CLIENT", "REPLY", "ON"));
    }
}
