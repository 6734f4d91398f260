using System.Text;

namespace AkkaRedis.Server.Tests;

/// <summary>Bytes on the wire: pipelining, inline commands, protocol errors, hostile input.</summary>
public sealed class RawProtocolTests(SharedServer server) : IClassFixture<SharedServer>
{
    private readonly int _port = server.Port;

    [Fact]
    public void BlockingPopsInsideMultiAnswerTheirNonBlockingFormsNulls()
    {
        using var socket = new System.Net.Sockets.TcpClient("127.0.0.1", _port);
        var stream = socket.GetStream();
        stream.Write(Encoding.ASCII.GetBytes("MULTI\r\nBLPOP raw:empty 0\r\nBRPOPLPUSH raw:empty raw:e2 0\r\nBLMOVE raw:empty raw:e2 LEFT LEFT 0\r\nEXEC\r\n"));
        // BLPOP's null is an array (as LPOP with keys), BRPOPLPUSH's and BLMOVE's a bulk string (as RPOPLPUSH and LMOVE).
        const string expected = "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n*-1\r\n$-1\r\n$-1\r\n";
        var received = new byte[expected.Length];
        for (int read = 0; read < received.Length;) read += stream.Read(received, read, received.Length - read);
        Assert.Equal(expected, Encoding.ASCII.GetString(received));
    }

    [Fact]
    public void PipelinedRepliesComeInRequestOrderAcrossShards()
    {
        using var client = new RespClient(_port);
        var wire = new List<byte>();
        var expected = new List<object?>();
        for (int i = 0; i < 500; i++)
        {
            string key = "pipe:" + i;
            wire.AddRange(RespClient.Encode("SET", key, "v" + i));
            expected.Add("OK");
            wire.AddRange(RespClient.Encode("GET", key));
            expected.Add("v" + i);
            if (i % 50 == 0)
            {
                wire.AddRange(RespClient.Encode("PING"));
                expected.Add("PONG");
                wire.AddRange(RespClient.Encode("MGET", key, "pipe:0"));
                expected.Add(new List<object?> { "v" + i, "v0" });
                wire.AddRange(RespClient.Encode("ECHO", "e" + i));
                expected.Add("e" + i);
            }
        }
        client.SendRaw(wire.ToArray());
        foreach (var reply in expected) Assert.Equal(reply, client.Read());
    }

    [Fact]
    public async Task APipelineLongerThanTheReplyRingKeepsFlowing()
    {
        // Far more commands than the connection keeps in flight, with replies large enough to back the socket up
        // while the client is not reading yet: reading must resume once the client drains the replies.
        using var client = new RespClient(_port);
        var value = new string('v', 2000);
        Assert.Equal("OK", client.Call("SET", "flow:value", value));
        const int count = 20_000;
        var wire = string.Concat(Enumerable.Repeat("*2\r\n$3\r\nGET\r\n$10\r\nflow:value\r\n", count));
        var sending = BlockingWork.Run(() => client.SendRaw(wire));
        await Task.Delay(1000);
        for (int i = 0; i < count; i++) Assert.Equal(value, client.Read());
        await sending;
    }

    [Fact]
    public void InlineCommandsWork()
    {
        using var client = new RespClient(_port);
        client.SendRaw("SET inline:a \"hello world\"\r\nGET inline:a\r\nPING\n");
        Assert.Equal("OK", client.Read());
        Assert.Equal("hello world", client.Read());
        Assert.Equal("PONG", client.Read());
    }

    [Theory]
    [InlineData("*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'")]
    [InlineData("*abc\r\n", "ERR Protocol error: invalid multibulk length")]
    [InlineData("SET \"unbalanced\r\n", "ERR Protocol error: unbalanced quotes in request")]
    public void ProtocolErrorAnswersThenClosesOnlyThatConnection(string input, string error)
    {
        using var bystander = new RespClient(_port);
        using var client = new RespClient(_port);
        client.SendRaw("PING\r\n" + input + "PING\r\n");
        Assert.Equal("PONG", client.Read());
        Assert.Equal(new RespClient.RespError(error), client.Read());
        Assert.True(client.IsClosedByServer());
        Assert.Equal("PONG", bystander.Call("PING"));
    }

    [Fact]
    public void AProtocolErrorQuotesTheByteItMetAsThatByte()
    {
        // Redis's "got '%c'" puts the raw byte in the reply; 0xfe must not become UTF-8's 0xc3 0xbe.
        using var socket = new System.Net.Sockets.TcpClient("127.0.0.1", _port);
        var stream = socket.GetStream();
        stream.Write((byte[])[.. "*1\r\n"u8, 0xfe, .. "\r\n"u8]);
        var expected = (byte[])[.. "-ERR Protocol error: expected '$', got '"u8, 0xfe, .. "'\r\n"u8];
        var received = new List<byte>();
        var buffer = new byte[256];
        int read;
        while ((read = stream.Read(buffer)) > 0) received.AddRange(buffer.AsSpan(0, read).ToArray());
        Assert.Equal(expected, received.ToArray());
    }

    [Fact]
    public void AnUnknownCommandQuotesItsNameAndArgumentsAsTheirBytes()
    {
        // Redis's "unknown command '%.128s', with args beginning with: '%.128s' " writes the request's bytes back; non-UTF-8
        // bytes must not become U+FFFD's 0xef 0xbf 0xbd. The same inside MULTI, where EXEC then aborts.
        using var socket = new System.Net.Sockets.TcpClient("127.0.0.1", _port);
        var stream = socket.GetStream();
        stream.Write((byte[])[.. "*2\r\n$3\r\nF"u8, 0xfe, .. "O\r\n$2\r\n"u8, 0xff, 0xe9, .. "\r\nPING\r\n"u8]);
        var expected = (byte[])[.. "-ERR unknown command 'F"u8, 0xfe, .. "O', with args beginning with: '"u8, 0xff, 0xe9, .. "' \r\n+PONG\r\n"u8];
        var received = new List<byte>();
        var buffer = new byte[256];
        while (received.Count < expected.Length && stream.Read(buffer) is var read and > 0) received.AddRange(buffer.AsSpan(0, read).ToArray());
        Assert.Equal(expected, received.ToArray());
    }

    [Fact]
    public void AProtocolErrorBehindABlockedCommandWaitsItsTurn()
    {
        using var client = new RespClient(_port);
        client.Call("SET", "behind:k", "v");
        client.SendRaw(RespClient.Encode("BLPOP", "behind:none", "0.2"));
        client.SendRaw(RespClient.Encode("GET", "behind:k"));
        client.SendRaw("*1\r\n$x\r\n");
        Assert.Null(client.Read());
        Assert.Equal("v", client.Read());
        Assert.Equal(new RespClient.RespError("ERR Protocol error: invalid bulk length"), client.Read());
        Assert.True(client.IsClosedByServer());
    }

    [Fact]
    public void QuitRepliesOkAndCloses()
    {
        using var client = new RespClient(_port);
        client.SendRaw("PING\r\nQUIT\r\nPING\r\n");
        Assert.Equal("PONG", client.Read());
        Assert.Equal("OK", client.Read());
        Assert.True(client.IsClosedByServer());
    }

    [Fact]
    public void LargeValuesRoundTrip()
    {
        using var client = new RespClient(_port);
        var value = new string('x', 10 * 1024 * 1024);
        Assert.Equal("OK", client.Call("SET", "large", value));
        Assert.Equal(value, client.Call("GET", "large"));
        Assert.Equal((long)value.Length, client.Call("STRLEN", "large"));
    }

    [Fact]
    public void Resp3AfterHello()
    {
        using var client = new RespClient(_port);
        var hello = Assert.IsType<List<object?>>(client.Call("HELLO", "3"));
        Assert.Equal("proto", hello[4]);
        Assert.Equal(3L, hello[5]);
        Assert.Null(client.Call("GET", "resp3:missing"));
        client.SendRaw(RespClient.Encode("GET", "resp3:missing"));
        client.SendRaw(RespClient.Encode("HELLO", "2"));
        client.SendRaw(RespClient.Encode("GET", "resp3:missing"));
        Assert.Null(client.Read());
        client.Read();
        Assert.Null(client.Read());
        Assert.Equal(new RespClient.RespError("NOPROTO unsupported protocol version"), client.Call("HELLO", "4"));
    }

    [Fact]
    public async Task RandomBytesFromManyConnectionsNeverDisturbAWellBehavedClient()
    {
        using var good = new RespClient(_port);
        var random = new Random(42);
        var stop = DateTime.UtcNow.AddSeconds(5);
        var fuzzers = Enumerable.Range(0, 16).Select(n => BlockingWork.Run(() =>
        {
            var rnd = new Random(n);
            while (DateTime.UtcNow < stop)
            {
                try
                {
                    using var bad = new RespClient(_port);
                    for (int i = 0; i < 20; i++)
                    {
                        var bytes = new byte[rnd.Next(1, 300)];
                        rnd.NextBytes(bytes);
                        if (rnd.Next(3) == 0)
                        {
                            // A valid frame cut short, or with a corrupted length.
                            var frame = RespClient.Encode("SET", "fuzz" + rnd.Next(100), new string('z', rnd.Next(50)));
                            bytes = frame[..rnd.Next(1, frame.Length)];
                        }
                        bad.SendRaw(bytes);
                    }
                }
                catch (IOException)
                {
                    // The server closed a connection after a protocol error: expected.
                }
                catch (System.Net.Sockets.SocketException)
                {
                }
            }
        })).ToArray();
        int round = 0;
        while (DateTime.UtcNow < stop)
        {
            string value = "value" + round++;
            Assert.Equal("OK", good.Call("SET", "fuzz:good", value));
            Assert.Equal(value, good.Call("GET", "fuzz:good"));
        }
        await Task.WhenAll(fuzzers);
        Assert.True(round > 10);
        using var after = new RespClient(_port);
        Assert.Equal("PONG", after.Call("PING"));
    }
}
