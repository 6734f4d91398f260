using StackExchange.Redis;

namespace AkkaRedis.Server.Tests;

/// <summary>Pub/sub against the real server: subscribe replies, delivery, the subscribed state, and real clients.</summary>
public sealed class PubSubTests(SharedServer server) : IClassFixture<SharedServer>
{
    private readonly int _port = server.Port;

    private static string Unique(string name) => $"{name}:{Guid.NewGuid():N}";

    private static List<object?> Push(params object?[] items) => [.. items];

    [Fact]
    public void MessagesReachChannelAndPatternSubscribersInOrder()
    {
        string news = Unique("news"), sport = Unique("sport");
        using var subscriber = new RespClient(_port);
        using var publisher = new RespClient(_port);
        Assert.Equal(Push("subscribe", news, 1L), subscriber.Call("SUBSCRIBE", news, sport));
        Assert.Equal(Push("subscribe", sport, 2L), subscriber.Read());
        Assert.Equal(Push("psubscribe", news[..6] + "*", 3L), subscriber.Call("PSUBSCRIBE", news[..6] + "*"));

        Assert.Equal(2L, publisher.Call("PUBLISH", news, "first"));
        Assert.Equal(1L, publisher.Call("PUBLISH", sport, "second"));
        Assert.Equal(0L, publisher.Call("PUBLISH", Unique("nobody"), "lost"));
        Assert.Equal(Push("message", news, "first"), subscriber.Read());
        Assert.Equal(Push("pmessage", news[..6] + "*", news, "first"), subscriber.Read());
        Assert.Equal(Push("message", sport, "second"), subscriber.Read());

        Assert.Equal(Push(news, 1L, "none", 0L), publisher.Call("PUBSUB", "NUMSUB", news, "none"));
        Assert.Contains(sport, (List<object?>)publisher.Call("PUBSUB", "CHANNELS", "sport:*")!);
        Assert.Matches($"flags=P db=0 sub=2 psub=1", (string)publisher.Call("CLIENT", "LIST")!);

        // A RESP2 subscriber may only (un)subscribe, PING, QUIT or RESET; PING answers in the push shape.
        Assert.Equal(new RespClient.RespError("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"), subscriber.Call("GET", "k"));
        Assert.Equal(Push("pong", ""), subscriber.Call("PING"));
        Assert.Equal(Push("punsubscribe", news[..6] + "*", 2L), subscriber.Call("PUNSUBSCRIBE"));
        Assert.Equal(Push("unsubscribe", news, 1L), subscriber.Call("UNSUBSCRIBE", news));
        Assert.Equal(0L, publisher.Call("PUBLISH", news, "after"));
        Assert.Equal(Push("unsubscribe", sport, 0L), subscriber.Call("UNSUBSCRIBE"));
        Assert.Equal(Push("unsubscribe", null, 0L), subscriber.Call("UNSUBSCRIBE"));
        Assert.Equal("PONG", subscriber.Call("PING"));
    }

    [Fact]
    public void Resp3SubscribersRunCommandsBetweenPushesAndResetOrClosingEndsSubscriptions()
    {
        string channel = Unique("resp3");
        using var publisher = new RespClient(_port);
        var subscriber = new RespClient(_port);
        subscriber.Call("HELLO", "3");
        Assert.Equal(Push("subscribe", channel, 1L), subscriber.Call("SUBSCRIBE", channel));
        Assert.Equal("OK", subscriber.Call("SET", channel, "v"));
        Assert.Equal(1L, publisher.Call("PUBLISH", channel, "hi"));
        Assert.Equal(Push("message", channel, "hi"), subscriber.Read());
        Assert.Equal("v", subscriber.Call("GET", channel));
        Assert.Equal("RESET", subscriber.Call("RESET"));
        Assert.Equal(0L, publisher.Call("PUBLISH", channel, "after reset"));

        Assert.Equal(Push("subscribe", channel, 1L), subscriber.Call("SUBSCRIBE", channel));
        subscriber.Dispose();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (publisher.Call("PUBLISH", channel, "anyone?") is not 0L && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.Equal(0L, publisher.Call("PUBLISH", channel, "gone"));
    }

    [Fact]
    public void ShardChannelsAreTheirOwnNamespaceWithTheirOwnCount()
    {
        string channel = Unique("shard");
        using var subscriber = new RespClient(_port);
        using var publisher = new RespClient(_port);
        Assert.Equal(Push("ssubscribe", channel, 1L), subscriber.Call("SSUBSCRIBE", channel));
        Assert.Equal(Push("subscribe", channel, 1L), subscriber.Call("SUBSCRIBE", channel)); // channels and patterns count apart
        Assert.Equal(1L, publisher.Call("SPUBLISH", channel, "sharded"));
        Assert.Equal(1L, publisher.Call("PUBLISH", channel, "plain"));
        Assert.Equal(Push("smessage", channel, "sharded"), subscriber.Read());
        Assert.Equal(Push("message", channel, "plain"), subscriber.Read());
        Assert.Equal(Push(channel, 1L), publisher.Call("PUBSUB", "SHARDNUMSUB", channel));
        Assert.Contains(channel, (List<object?>)publisher.Call("PUBSUB", "SHARDCHANNELS")!);
        Assert.Matches("sub=1 psub=0 ssub=1", (string)publisher.Call("CLIENT", "LIST")!);
        Assert.Equal(Push("unsubscribe", channel, 0L), subscriber.Call("UNSUBSCRIBE"));
        // Still subscribed to a shard channel: still in the subscribed state.
        Assert.IsType<RespClient.RespError>(subscriber.Call("GET", "k"));
        Assert.Equal(Push("sunsubscribe", channel, 0L), subscriber.Call("SUNSUBSCRIBE"));
        Assert.Equal(0L, publisher.Call("SPUBLISH", channel, "after"));
        Assert.Null(subscriber.Call("GET", Unique("k")));
    }

    [Fact]
    public void ASubscriberThatDoesNotReadIsDisconnectedAtTheOutputLimit()
    {
        string channel = Unique("flood");
        using var subscriber = new System.Net.Sockets.TcpClient { ReceiveBufferSize = 4096 };
        subscriber.Connect("127.0.0.1", _port);
        var stream = subscriber.GetStream();
        stream.Write(RespClient.Encode("SUBSCRIBE", channel));
        var confirmation = new byte[256];
        Assert.True(stream.Read(confirmation, 0, confirmation.Length) > 0);

        // Up to 300 MB for a subscriber that reads nothing: past Redis's 32 MB pub/sub limit (on top of the one write
        // the socket holds), it is dropped, and unsubscribed.
        using var publisher = new RespClient(_port);
        string payload = new('x', 100_000);
        int published = 0;
        while (published < 3000 && publisher.Call("PUBLISH", channel, payload) is 1L) published++;
        Assert.InRange(published, 300, 1500);
        Assert.Equal(0L, publisher.Call("PUBLISH", channel, "after"));

        long read = 0;
        var buffer = new byte[1 << 16];
        try
        {
            stream.ReadTimeout = 20_000;
            int n;
            while ((n = stream.Read(buffer, 0, buffer.Length)) > 0) read += n;
        }
        catch (IOException)
        {
            // reset by the server: closed as well
        }
        Assert.True(read < 80L * 1024 * 1024, $"read {read} bytes");
        Assert.Equal("PONG", publisher.Call("PING"));
    }

    [Fact]
    public async Task StackExchangeRedisSubscribesAndReceives()
    {
        string channel = Unique("se");
        using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_port}");
        var received = new TaskCompletionSource<string>();
        var subscriber = redis.GetSubscriber();
        await subscriber.SubscribeAsync(RedisChannel.Literal(channel), (_, message) => received.TrySetResult(message!));
        Assert.Equal(1, await subscriber.PublishAsync(RedisChannel.Literal(channel), "from SE.Redis"));
        Assert.Equal("from SE.Redis", await received.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        var byPattern = new TaskCompletionSource<string>();
        await subscriber.SubscribeAsync(RedisChannel.Pattern(channel + ":*"), (actual, message) => byPattern.TrySetResult(actual + "=" + message));
        await subscriber.PublishAsync(RedisChannel.Literal(channel + ":x"), "p");
        Assert.Equal(channel + ":x=p", await byPattern.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
