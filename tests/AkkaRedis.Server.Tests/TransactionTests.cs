using StackExchange.Redis;

namespace AkkaRedis.Server.Tests;

/// <summary>MULTI / EXEC / DISCARD / WATCH with Redis's semantics, and their atomicity across shards.</summary>
public sealed class TransactionTests(SharedServer server) : IClassFixture<SharedServer>
{
    private readonly int _port = server.Port;
    private static RespClient.RespError Err(string message) => new(message);

    [Fact]
    public void WatchedKeyTouchedByAnotherClientAbortsExec()
    {
        using var a = new RespClient(_port);
        using var b = new RespClient(_port);
        a.Call("SET", "w:k", "1");
        Assert.Equal("OK", a.Call("WATCH", "w:k", "w:other"));
        b.Call("SET", "w:k", "2");
        a.Call("MULTI");
        Assert.Equal("QUEUED", a.Call("SET", "w:k", "3"));
        Assert.Null(a.Call("EXEC"));
        Assert.Equal("2", a.Call("GET", "w:k"));

        // Untouched: EXEC runs, and the watch is gone afterwards.
        a.Call("WATCH", "w:k");
        a.Call("MULTI");
        a.Call("INCR", "w:k");
        Assert.Equal(new List<object?> { 3L }, a.Call("EXEC"));
        b.Call("SET", "w:k", "9");
        a.Call("MULTI");
        a.Call("GET", "w:k");
        Assert.Equal(new List<object?> { "9" }, a.Call("EXEC"));
    }

    /// <summary>Redis's set.tcl: SMOVE of a member the destination holds already leaves the destination untouched.</summary>
    [Fact]
    public void SmoveTouchesTheDestinationOnlyWhenItAddsTheMember()
    {
        using var a = new RespClient(_port);
        using var b = new RespClient(_port);
        a.Call("SADD", "w:src{s}", "a", "b");
        a.Call("SADD", "w:dst{s}", "a");
        a.Call("WATCH", "w:dst{s}");
        a.Call("MULTI");
        a.Call("SADD", "w:dst{s}", "c");
        Assert.Equal(1L, b.Call("SMOVE", "w:src{s}", "w:dst{s}", "a"));
        Assert.Equal(new List<object?> { 1L }, a.Call("EXEC"));
        Assert.Equal(2L, a.Call("SCARD", "w:dst{s}"));

        a.Call("WATCH", "w:dst{s}");
        a.Call("MULTI");
        a.Call("SADD", "w:dst{s}", "d");
        Assert.Equal(1L, b.Call("SMOVE", "w:src{s}", "w:dst{s}", "b")); // added: the watch fires
        Assert.Null(a.Call("EXEC"));
    }

    [Fact]
    public void FlushAndExpiryTouchWatchedKeys()
    {
        using var a = new RespClient(_port);
        using var b = new RespClient(_port);
        a.Call("SELECT", "7");
        b.Call("SELECT", "7");
        a.Call("SET", "w:f", "1");
        a.Call("WATCH", "w:f");
        b.Call("FLUSHDB");
        a.Call("MULTI");
        a.Call("PING");
        Assert.Null(a.Call("EXEC"));

        a.Call("SET", "w:e", "1", "PX", "50");
        a.Call("WATCH", "w:e");
        Thread.Sleep(100);
        a.Call("MULTI");
        a.Call("PING");
        Assert.Null(a.Call("EXEC"));

        a.Call("WATCH", "w:u");
        b.Call("SET", "w:u", "x");
        Assert.Equal("OK", a.Call("UNWATCH"));
        a.Call("MULTI");
        a.Call("PING");
        Assert.Equal(new List<object?> { "PONG" }, a.Call("EXEC"));
    }

    /// <summary>
    /// Redis's multi.tcl: a key that had expired (not yet deleted) when watched changes nothing when expiry, FLUSHDB or
    /// SWAPDB removes it, nor when SWAPDB puts an expired key in its place; a live key so replaced still aborts EXEC.
    /// </summary>
    [Fact]
    public void StaleWatchedKeysChangeNothingWhenTheyGo()
    {
        using var c = new RespClient(_port);
        List<object?> pong = ["PONG"];
        object? Exec()
        {
            Assert.Equal("OK", c.Call("MULTI"));
            Assert.Equal("QUEUED", c.Call("PING"));
            return c.Call("EXEC");
        }
        void Stale(string db, string key)
        {
            c.Call("SELECT", db);
            Assert.Equal("OK", c.Call("SET", key, "foo", "PX", "1"));
            Thread.Sleep(5);
        }
        Assert.Equal("OK", c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0"));
        try
        {
            Stale("3", "sw:a");
            Assert.Equal("OK", c.Call("WATCH", "sw:a"));
            Assert.Equal(0L, c.Call("EXISTS", "sw:a")); // deletes it
            Assert.Equal(pong, Exec());

            Stale("3", "sw:b");
            Assert.Equal("OK", c.Call("WATCH", "sw:b"));
            Assert.Equal("OK", c.Call("FLUSHDB"));
            Assert.Equal(pong, Exec());

            // A missing key replaced with a stale one, then a stale key replaced with another.
            Stale("3", "sw:c");
            c.Call("SELECT", "4");
            Assert.Equal("OK", c.Call("WATCH", "sw:c"));
            Assert.Equal("OK", c.Call("SWAPDB", "3", "4"));
            Assert.Equal(pong, Exec());
            Stale("4", "sw:d");
            Stale("3", "sw:d");
            Assert.Equal("OK", c.Call("WATCH", "sw:d"));
            Assert.Equal("OK", c.Call("SWAPDB", "3", "4"));
            Assert.Equal(pong, Exec());

            // A live key that SWAPDB takes away aborts.
            Assert.Equal("OK", c.Call("SET", "sw:e", "30"));
            Assert.Equal("OK", c.Call("WATCH", "sw:e"));
            Assert.Equal("OK", c.Call("SWAPDB", "3", "4"));
            Assert.Null(Exec());
        }
        finally
        {
            c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
            c.Call("FLUSHALL");
        }
    }

    [Fact]
    public void AWriteRefusedForWantOfReplicasIsNotQueuedAndDoomsTheExec()
    {
        // processCommand refuses writes without enough good replicas before MULTI queues them, as it does over maxmemory.
        using var server = ServerProcess.Start();
        using var c = new RespClient(server.Port);
        Assert.Equal("OK", c.Call("CONFIG", "SET", "min-replicas-to-write", "1"));
        Assert.Equal("OK", c.Call("MULTI"));
        Assert.Equal(Err("NOREPLICAS Not enough good replicas to write."), c.Call("SET", "q:k", "v"));
        Assert.Equal("QUEUED", c.Call("GET", "q:k"));
        Assert.Equal(Err("EXECABORT Transaction discarded because of previous errors."), c.Call("EXEC"));
        Assert.Equal("OK", c.Call("CONFIG", "SET", "min-replicas-to-write", "0"));
        Assert.Equal("OK", c.Call("MULTI"));
        Assert.Equal("QUEUED", c.Call("SET", "q:k", "v"));
        Assert.Equal(new List<object?> { "OK" }, c.Call("EXEC"));
    }

    [Fact]
    public void RuntimeErrorsDoNotRollBack()
    {
        using var c = new RespClient(_port);
        c.Call("DEL", "t:s", "t:l");
        c.Call("SET", "t:s", "text");
        c.Call("MULTI");
        c.Call("INCR", "t:s");
        c.Call("RPUSH", "t:l", "a");
        var results = Assert.IsType<List<object?>>(c.Call("EXEC"));
        Assert.Equal(Err("ERR value is not an integer or out of range"), results[0]);
        Assert.Equal(1L, results[1]);
        Assert.Equal(Err("ERR DISCARD without MULTI"), c.Call("DISCARD"));
        c.Call("MULTI");
        Assert.Equal(Err("ERR unknown command 'NOPE', with args beginning with: "), c.Call("NOPE"));
        Assert.Equal(Err("EXECABORT Transaction discarded because of previous errors."), c.Call("EXEC"));
    }

    [Fact]
    public void StackExchangeTransactionsWithConditions()
    {
        using var redis = ConnectionMultiplexer.Connect($"127.0.0.1:{_port}");
        var db = redis.GetDatabase();
        db.KeyDelete(["se:a", "se:b"]);
        var tran = db.CreateTransaction();
        tran.AddCondition(Condition.KeyNotExists("se:a"));
        _ = tran.StringSetAsync("se:a", "1");
        _ = tran.StringSetAsync("se:b", "2");
        Assert.True(tran.Execute());
        Assert.Equal("2", (string?)db.StringGet("se:b"));
        var second = db.CreateTransaction();
        second.AddCondition(Condition.KeyNotExists("se:a"));
        _ = second.StringSetAsync("se:b", "3");
        Assert.False(second.Execute());
        Assert.Equal("2", (string?)db.StringGet("se:b"));
    }

    [Fact]
    public async Task TransfersAcrossShardsNeverShowAPartialState()
    {
        var keys = Enumerable.Range(0, 8).Select(i => $"acct:{i}").ToArray(); // spread over the four shards
        using (var setup = new RespClient(_port))
            foreach (var key in keys) setup.Call("SET", key, "1000");
        long violations = 0, transfers = 0, reads = 0;
        var stop = DateTime.UtcNow.AddSeconds(4);
        var movers = Enumerable.Range(0, 4).Select(n => BlockingWork.Run(() =>
        {
            var random = new Random(n);
            using var c = new RespClient(_port);
            while (DateTime.UtcNow < stop)
            {
                var from = keys[random.Next(keys.Length)];
                var to = keys[random.Next(keys.Length)];
                var amount = random.Next(1, 50).ToString();
                c.Call("MULTI");
                c.Call("DECRBY", from, amount);
                c.Call("INCRBY", to, amount);
                c.Call("EXEC");
                Interlocked.Increment(ref transfers);
            }
        }));
        var readers = Enumerable.Range(0, 2).Select(_ => BlockingWork.Run(() =>
        {
            using var c = new RespClient(_port);
            while (DateTime.UtcNow < stop)
            {
                var values = Assert.IsType<List<object?>>(c.Call(["MGET", .. keys]));
                if (values.Sum(v => long.Parse((string)v!)) != 8000) Interlocked.Increment(ref violations);
                c.Call("MULTI");
                foreach (var key in keys) c.Call("GET", key);
                var exec = Assert.IsType<List<object?>>(c.Call("EXEC"));
                if (exec.Sum(v => long.Parse((string)v!)) != 8000) Interlocked.Increment(ref violations);
                Interlocked.Increment(ref reads);
            }
        }));
        await Task.WhenAll(movers.Concat(readers));
        Assert.True(transfers > 100, $"only {transfers} transfers");
        Assert.True(reads > 10, $"only {reads} reads");
        Assert.Equal(0, violations);
    }

    [Fact]
    public async Task OverlappingTransactionsInOppositeOrdersAllComplete()
    {
        var keys = Enumerable.Range(0, 6).Select(i => $"dl:{i}").ToArray();
        var clients = Enumerable.Range(0, 8).Select(n => BlockingWork.Run(() =>
        {
            using var c = new RespClient(_port);
            var order = n % 2 == 0 ? keys : keys.Reverse().ToArray();
            for (int round = 0; round < 200; round++)
            {
                c.Call("MULTI");
                foreach (var key in order) c.Call("INCR", key);
                Assert.IsType<List<object?>>(c.Call("EXEC"));
            }
        }));
        var all = Task.WhenAll(clients);
        Assert.Same(all, await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(60))));
        using var check = new RespClient(_port);
        foreach (var key in keys) Assert.Equal("1600", check.Call("GET", key));
    }
}
