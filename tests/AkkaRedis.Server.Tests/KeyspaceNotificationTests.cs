using StackExchange.Redis;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// Keyspace notifications against redis-server: the same commands (every kind of write, blocked pops served, MULTI,
/// scripts, expiry) must publish the same events, in the same order, on __keyspace@db__ and __keyevent@db__.
/// </summary>
public sealed class KeyspaceNotificationTests
{
    private static readonly string[][] Commands =
    [
        ["SETEX", "b", "100", "v"], ["PSETEX", "b2", "100000", "v"], ["GETEX", "b", "PX", "100000"],
        ["GETEX", "b", "PERSIST"], ["GETEX", "b", "EXAT", "1"], ["SET", "c", "v", "EX", "1000"], ["SET", "c", "v", "KEEPTTL"],
        ["MSET", "m1", "1", "m2", "2"], ["INCR", "m1"], ["INCRBYFLOAT", "m1", "1.5"], ["APPEND", "ap", "x"], ["SETRANGE", "ap", "3", "y"],
        ["GETDEL", "ap"], ["SETBIT", "sb", "7", "1"], ["SETBIT", "sb", "7", "1"], ["BITOP", "NOT", "{sb}n", "sb"],
        ["BITFIELD", "bf", "SET", "u8", "0", "0"], ["BITFIELD", "bf", "SET", "u8", "0", "0"], ["PFADD", "hll", "a"], ["PFMERGE", "{hll}2", "hll"],
        ["RPUSH", "l", "3", "1", "2"], ["LPUSH", "l", "0"], ["LSET", "l", "0", "9"], ["LINSERT", "l", "BEFORE", "9", "8"], ["LREM", "l", "0", "8"],
        ["LTRIM", "l", "0", "1"], ["LMOVE", "l", "{l}2", "LEFT", "RIGHT"], ["RPOPLPUSH", "l", "l"], ["LPOP", "l", "5"],
        ["SORT", "{l}2", "STORE", "{l}3"], ["SORT", "{l}none", "STORE", "{l}3"],
        ["HSET", "h", "f", "v", "g", "w"], ["HSETNX", "h", "f", "x"], ["HINCRBY", "h", "n", "2"], ["HINCRBYFLOAT", "h", "n", "1.5"], ["HDEL", "h", "f", "g", "n"],
        ["SADD", "s", "a", "b"], ["SREM", "s", "a"], ["SMOVE", "s", "{s}2", "b"], ["SADD", "s", "x"], ["SINTERSTORE", "{s}3", "s", "{s}2"],
        ["SUNIONSTORE", "{s}3", "s", "{s}2"], ["SPOP", "s"],
        ["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZINCRBY", "z", "1", "a"], ["ZREM", "z", "c"], ["ZREMRANGEBYSCORE", "z", "0", "1"],
        ["ZUNIONSTORE", "{z}2", "1", "z"], ["ZRANGESTORE", "{z}3", "z", "0", "-1"], ["ZPOPMIN", "z"], ["ZPOPMAX", "{z}2"],
        ["GEOADD", "g", "13.361389", "38.115556", "Palermo"], ["GEOSEARCHSTORE", "{g}2", "g", "FROMLONLAT", "13", "38", "BYRADIUS", "100", "km"],
        ["SET", "e", "v"], ["EXPIRE", "e", "100"], ["PERSIST", "e"], ["EXPIRE", "e", "-1"], ["SET", "r", "1"], ["RENAME", "r", "{r}2"],
        ["COPY", "{r}2", "{r}3"], ["MOVE", "{r}3", "3"], ["DEL", "{r}2", "nokey"],
        ["MULTI"], ["SET", "t", "1"], ["INCRBY", "t", "2"], ["DEL", "t"], ["EXEC"],
        ["EVAL", "redis.call('set', KEYS[1], 'x') redis.call('lpush', KEYS[2], 'y') return redis.call('del', KEYS[1])", "2", "{e}1", "{e}2"],
        ["GET", "missing"], ["MGET", "missing", "m1"], ["TYPE", "missing"], ["EXISTS", "missing"], ["TTL", "missing"],
    ];

    private static List<(string Channel, string Message)> Events(int port)
    {
        using var client = new RespClient(port);
        using var subscriber = new RespClient(port);
        using var blocked = new RespClient(port);
        client.Call("FLUSHALL");
        client.Call("CONFIG", "SET", "notify-keyspace-events", "KEAnm");
        subscriber.Call("PSUBSCRIBE", "__key*__:*");
        foreach (var command in Commands) client.Call(command);
        // A pop that blocked, served by a push on another connection.
        blocked.SendRaw(RespClient.Encode("BLPOP", "bl", "5"));
        while (!((string)client.Call("INFO", "clients")!).Contains("blocked_clients:1")) Thread.Sleep(10);
        client.Call("LPUSH", "bl", "a");
        Assert.Equal(new List<object?> { "bl", "a" }, blocked.Read());
        // "a" expires: whether active expiry or the GET deletes it, the events come in the same order.
        client.Call("SET", "a", "1", "PX", "1");
        Thread.Sleep(50);
        client.Call("GET", "a");
        client.Call("PUBLISH", "__keyevent@99__:end", "x");
        var events = new List<(string, string)>();
        while (subscriber.Read() is List<object?> { Count: 4 } message && (string)message[2]! != "__keyevent@99__:end")
            events.Add(((string)message[2]!, (string)message[3]!));
        client.Call("CONFIG", "SET", "notify-keyspace-events", "");
        return events;
    }

    [Fact]
    public void EveryWritePublishesRedissEventsInRedissOrder()
    {
        using var redis = new RedisServerProcess();
        using var akka = ServerProcess.Start("--shards", "3", "--appendonly", "no");
        var expected = Events(redis.Port);
        Assert.Contains(("__keyevent@0__:lpop", "bl"), expected);
        Assert.Equal(expected, Events(akka.Port));
    }

    [Fact]
    public void ConfigAndStackExchangeRedisSubscriptions()
    {
        using var akka = ServerProcess.Start("--appendonly", "no", "--notify-keyspace-events", "Kx");
        using var client = new RespClient(akka.Port);
        Assert.Equal(new List<object?> { "notify-keyspace-events", "xK" }, client.Call("CONFIG", "GET", "notify-keyspace-events"));
        Assert.Equal(new RespClient.RespError("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
            client.Call("CONFIG", "SET", "notify-keyspace-events", "KQ"));
        client.Call("CONFIG", "SET", "notify-keyspace-events", "E$");

        using var connection = ConnectionMultiplexer.Connect($"127.0.0.1:{akka.Port}");
        var received = new System.Collections.Concurrent.BlockingCollection<string>();
        connection.GetSubscriber().Subscribe(RedisChannel.Literal("__keyevent@0__:set"), (_, key) => received.Add(key!));
        connection.GetDatabase().StringSet("watched", "1");
        Assert.True(received.TryTake(out var key, TimeSpan.FromSeconds(10)));
        Assert.Equal("watched", key);
    }
}
