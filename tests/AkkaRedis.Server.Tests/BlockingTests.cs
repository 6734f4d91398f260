using System.Collections.Concurrent;
using System.Diagnostics;

namespace AkkaRedis.Server.Tests;

/// <summary>Blocking list and sorted-set commands: wake-ups across shards, order, timeouts, unblocking, and exactly-once delivery.</summary>
public sealed class BlockingTests(SharedServer server) : IClassFixture<SharedServer>
{
    private readonly int _port = server.Port;

    private static string Unique(string name) => $"{name}:{Guid.NewGuid():N}";

    [Fact]
    public void PushToAnyKeyWakesTheClientOnce()
    {
        string a = Unique("bl:a"), b = Unique("bl:b"); // almost surely on different shards
        using var waiter = new RespClient(_port);
        using var pusher = new RespClient(_port);
        waiter.SendRaw(RespClient.Encode("BLPOP", a, b, "10"));
        Thread.Sleep(200);
        Assert.Equal(2L, pusher.Call("RPUSH", b, "x", "y")); // the length before waiters are served, as Redis answers
        Assert.Equal(new List<object?> { b, "x" }, waiter.Read());
        Assert.Equal(new List<object?> { "y" }, pusher.Call("LRANGE", b, "0", "-1"));
        Assert.Equal("PONG", waiter.Call("PING"));
    }

    [Fact]
    public void SortedSetPopsBlockAcrossShardsAndOnlyTheirTypeServesThem()
    {
        string list = Unique("bz:list"), a = Unique("bz:a"), b = Unique("bz:b");
        using var listWaiter = new RespClient(_port);
        using var zsetWaiter = new RespClient(_port);
        using var writer = new RespClient(_port);
        listWaiter.SendRaw(RespClient.Encode("BLPOP", list, "10"));
        Thread.Sleep(100);
        zsetWaiter.SendRaw(RespClient.Encode("BZPOPMIN", list, a, b, "10"));
        Thread.Sleep(200);
        // A sorted set at the key both wait on serves the sorted-set waiter, though the list waiter blocked first.
        Assert.Equal(1L, writer.Call("ZADD", list, "2", "z"));
        Assert.Equal(new List<object?> { list, "z", "2" }, zsetWaiter.Read());
        Assert.Equal(0L, writer.Call("EXISTS", list));
        writer.Call("RPUSH", list, "x");
        Assert.Equal(new List<object?> { list, "x" }, listWaiter.Read());

        zsetWaiter.SendRaw(RespClient.Encode("BZMPOP", "10", "2", a, b, "MAX", "COUNT", "2"));
        Thread.Sleep(200);
        Assert.Equal(3L, writer.Call("ZADD", b, "1", "p", "3", "q", "2", "r"));
        Assert.Equal(new List<object?> { b, new List<object?> { new List<object?> { "q", "3" }, new List<object?> { "r", "2" } } }, zsetWaiter.Read());
        Assert.Equal(new List<object?> { "p" }, writer.Call("ZRANGE", b, "0", "-1"));
        Assert.Null(zsetWaiter.Call("BZPOPMAX", a, "0.1"));
        writer.Call("SET", list, "v");
        Assert.Equal(new RespClient.RespError("WRONGTYPE Operation against a key holding the wrong kind of value"), writer.Call("BZPOPMIN", a, list, "0"));
    }

    [Fact]
    public void FirstBlockedIsFirstServed()
    {
        string key = Unique("bl:fifo");
        using var first = new RespClient(_port);
        using var second = new RespClient(_port);
        using var pusher = new RespClient(_port);
        first.SendRaw(RespClient.Encode("BRPOP", key, "10"));
        Thread.Sleep(100);
        second.SendRaw(RespClient.Encode("BRPOP", key, "10"));
        Thread.Sleep(100);
        pusher.Call("LPUSH", key, "1");
        Assert.Equal(new List<object?> { key, "1" }, first.Read());
        pusher.Call("LPUSH", key, "2");
        Assert.Equal(new List<object?> { key, "2" }, second.Read());
    }

    /// <summary>Redis's list.tcl: SWAPDB serves clients blocked on a key the other database holds (scanDatabaseForReadyKeys).</summary>
    [Fact]
    public void SwapdbWakesClientsBlockedOnAKeyTheOtherDatabaseHolds()
    {
        using var waiter = new RespClient(_port);
        using var other = new RespClient(_port);
        waiter.Call("SELECT", "9");
        other.Call("SELECT", "1");
        other.Call("RPUSH", "swap:k", "hello");
        waiter.SendRaw(RespClient.Encode("BRPOP", "swap:k", "10"));
        Thread.Sleep(200);
        Assert.Equal("OK", other.Call("SWAPDB", "1", "9"));
        Assert.Equal(new List<object?> { "swap:k", "hello" }, waiter.Read());

        // A key that expired before the swap serves no one: the client stays blocked until its timeout.
        other.Call("RPUSH", "swap:e", "x");
        other.Call("PEXPIRE", "swap:e", "50");
        waiter.SendRaw(RespClient.Encode("BRPOP", "swap:e", "0.5"));
        Thread.Sleep(150);
        Assert.Equal("OK", other.Call("SWAPDB", "1", "9"));
        Assert.Null(waiter.Read());
        other.Call("SWAPDB", "1", "9");
    }

    [Fact]
    public void FractionalTimeoutAnswersNil()
    {
        using var c = new RespClient(_port);
        var watch = Stopwatch.StartNew();
        Assert.Null(c.Call("BLPOP", Unique("bl:none"), "0.3"));
        Assert.InRange(watch.ElapsedMilliseconds, 250, 5000);
        Assert.Null(c.Call("BLMOVE", Unique("bl:none"), Unique("bl:dst"), "LEFT", "RIGHT", "0.1"));
        Assert.Equal(new RespClient.RespError("ERR timeout is negative"), c.Call("BLPOP", "k", "-1"));
        Assert.Equal(new RespClient.RespError("ERR timeout is not a float or out of range"), c.Call("BLPOP", "k", "soon"));
    }

    [Fact]
    public void AClientThatLeavesTakesNothing()
    {
        string key = Unique("bl:gone");
        var leaver = new RespClient(_port);
        leaver.SendRaw(RespClient.Encode("BLPOP", key, "0"));
        Thread.Sleep(100);
        leaver.Dispose();
        Thread.Sleep(200);
        using var pusher = new RespClient(_port);
        pusher.Call("RPUSH", key, "kept");
        Assert.Equal(new List<object?> { "kept" }, pusher.Call("LRANGE", key, "0", "-1"));
    }

    [Fact]
    public void ClientUnblock()
    {
        using var waiter = new RespClient(_port);
        using var admin = new RespClient(_port);
        var id = (long)waiter.Call("CLIENT", "ID")!;
        waiter.SendRaw(RespClient.Encode("BLPOP", Unique("bl:u"), "0"));
        Thread.Sleep(100);
        Assert.Contains("blocked_clients:1", (string)admin.Call("INFO", "clients")!);
        Assert.Equal(1L, admin.Call("CLIENT", "UNBLOCK", id.ToString()));
        Assert.Null(waiter.Read());
        waiter.SendRaw(RespClient.Encode("BLPOP", Unique("bl:u"), "0"));
        Thread.Sleep(100);
        Assert.Equal(1L, admin.Call("CLIENT", "UNBLOCK", id.ToString(), "ERROR"));
        Assert.Equal(new RespClient.RespError("UNBLOCKED client unblocked via CLIENT UNBLOCK"), waiter.Read());
        Assert.Equal(0L, admin.Call("CLIENT", "UNBLOCK", id.ToString()));
        Assert.Equal(new RespClient.RespError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"), admin.Call("CLIENT", "UNBLOCK", id.ToString(), "NOW"));
    }

    [Fact]
    public void BlMoveDeliversToADestinationOnAnotherShard()
    {
        string source = Unique("bl:src"), destination = Unique("bl:dst");
        using var waiter = new RespClient(_port);
        using var pusher = new RespClient(_port);
        waiter.SendRaw(RespClient.Encode("BLMOVE", source, destination, "RIGHT", "LEFT", "10"));
        Thread.Sleep(100);
        pusher.Call("RPUSH", source, "a", "b");
        Assert.Equal("b", waiter.Read());
        Assert.Equal(new List<object?> { "b" }, pusher.Call("LRANGE", destination, "0", "-1"));
        Assert.Equal(new List<object?> { "a" }, pusher.Call("LRANGE", source, "0", "-1"));
    }

    [Fact]
    public void InsideMultiTheyDoNotBlock()
    {
        using var c = new RespClient(_port);
        c.Call("MULTI");
        c.Call("BLPOP", Unique("bl:m"), "0");
        Assert.Equal(new List<object?> { null }, c.Call("EXEC"));
    }

    [Fact]
    public async Task EveryElementIsConsumedExactlyOnce()
    {
        var keys = Enumerable.Range(0, 6).Select(i => Unique("bl:q" + i)).ToArray();
        var consumed = new ConcurrentBag<string>();
        const int producers = 4, perProducer = 300;
        var stop = new CancellationTokenSource();
        var consumers = Enumerable.Range(0, 8).Select(n => BlockingWork.Run(() =>
        {
            using var c = new RespClient(_port);
            var mine = keys.Skip(n % 3).Concat(keys.Take(n % 3)).ToArray();
            while (true)
            {
                var reply = c.Call(["BLPOP", .. mine, "0.5"]);
                if (reply is List<object?> pair) consumed.Add((string)pair[1]!);
                else if (stop.IsCancellationRequested) return;
            }
        })).ToArray();
        var producing = Enumerable.Range(0, producers).Select(p => BlockingWork.Run(() =>
        {
            using var c = new RespClient(_port);
            for (int i = 0; i < perProducer; i++) c.Call("RPUSH", keys[(p + i) % keys.Length], $"{p}:{i}");
        }));
        await Task.WhenAll(producing);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (consumed.Count < producers * perProducer && DateTime.UtcNow < deadline) await Task.Delay(50);
        stop.Cancel();
        await Task.WhenAll(consumers);
        Assert.Equal(producers * perProducer, consumed.Count);
        Assert.Equal(producers * perProducer, consumed.Distinct().Count());
        using var check = new RespClient(_port);
        foreach (var key in keys) Assert.Equal(0L, check.Call("LLEN", key));
    }
}
