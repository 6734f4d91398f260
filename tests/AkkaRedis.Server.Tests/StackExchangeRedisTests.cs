using StackExchange.Redis;

namespace AkkaRedis.Server.Tests;

/// <summary>StackExchange.Redis with default options, as an application would use it.</summary>
public sealed class StackExchangeRedisTests : IClassFixture<SharedServer>, IDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly string _prefix = Guid.NewGuid().ToString("N")[..8] + ":";

    private readonly int _port;

    public StackExchangeRedisTests(SharedServer server)
    {
        _port = server.Port;
        _redis = ConnectionMultiplexer.Connect($"127.0.0.1:{server.Port}");
        _db = _redis.GetDatabase();
    }

    public void Dispose() => _redis.Dispose();

    private RedisKey K(string name) => _prefix + name;

    [Fact]
    public void ConnectsWithDefaultOptions()
    {
        Assert.True(_redis.IsConnected);
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        Assert.Equal(new Version(7, 0, 15), server.Version);
        Assert.Equal(ServerType.Standalone, server.ServerType);
        Assert.Equal(16, server.DatabaseCount);
        Assert.True(_db.Ping() >= TimeSpan.Zero);
    }

    [Fact]
    public void Strings()
    {
        Assert.True(_db.StringSet(K("a"), "hello"));
        Assert.Equal("hello", (string?)_db.StringGet(K("a")));
        Assert.False(_db.StringSet(K("a"), "x", when: When.NotExists));
        Assert.Equal(11, _db.StringAppend(K("a"), " world"));
        Assert.Equal("world", (string?)_db.StringGetRange(K("a"), 6, -1));
        Assert.Equal(11, _db.StringLength(K("a")));
        Assert.Equal(5, _db.StringIncrement(K("n"), 5));
        Assert.Equal(3, _db.StringDecrement(K("n"), 2));
        Assert.Equal(3.5, _db.StringIncrement(K("n"), 0.5));
        Assert.Equal("3.5", (string?)_db.StringGetSet(K("n"), "1"));
        Assert.Equal("1", (string?)_db.StringGetDelete(K("n")));
        Assert.False(_db.KeyExists(K("n")));
    }

    [Fact]
    public void MultiKeyAcrossShards()
    {
        var pairs = Enumerable.Range(0, 50).Select(i => new KeyValuePair<RedisKey, RedisValue>(K("m" + i), "v" + i)).ToArray();
        Assert.True(_db.StringSet(pairs));
        var values = _db.StringGet(pairs.Select(p => p.Key).ToArray());
        Assert.Equal(pairs.Select(p => (string?)p.Value), values.Select(v => (string?)v));
        Assert.False(_db.StringSet(pairs, When.NotExists));
        Assert.Equal(50, _db.KeyDelete(pairs.Select(p => p.Key).ToArray()));
    }

    [Fact]
    public void ExpiryAndKeys()
    {
        _db.StringSet(K("e"), "v", TimeSpan.FromSeconds(100));
        var ttl = _db.KeyTimeToLive(K("e"));
        Assert.InRange(ttl!.Value.TotalSeconds, 98, 100);
        Assert.True(_db.KeyPersist(K("e")));
        Assert.Null(_db.KeyTimeToLive(K("e")));
        Assert.True(_db.KeyExpire(K("e"), TimeSpan.FromMilliseconds(1)));
        Thread.Sleep(20);
        Assert.False(_db.KeyExists(K("e")));
        _db.StringSet(K("r1"), "v");
        Assert.True(_db.KeyRename(K("r1"), K("r2")));
        Assert.Equal(RedisType.String, _db.KeyType(K("r2")));
        Assert.True(_db.KeyCopy(K("r2"), K("r3")));
        Assert.Equal("v", (string?)_db.StringGet(K("r3")));
        Assert.Equal("embstr", (string?)_db.Execute("OBJECT", "ENCODING", K("r3").ToString()));
    }

    [Fact]
    public void ScanThroughServerKeys()
    {
        for (int i = 0; i < 300; i++) _db.StringSet(K("scan:" + i), i);
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        var keys = server.Keys(pattern: _prefix + "scan:*", pageSize: 37).Select(k => (string)k!).ToList();
        Assert.Equal(300, keys.Count);
        Assert.Equal(300, keys.Distinct().Count());
    }

    [Fact]
    public async Task PipelinedAsyncCallsAnswerInOrder()
    {
        var tasks = new List<Task<long>>();
        for (int i = 0; i < 2000; i++) tasks.Add(_db.StringIncrementAsync(K("c" + i % 7)));
        var results = await Task.WhenAll(tasks);
        for (int k = 0; k < 7; k++)
        {
            var mine = results.Where((_, i) => i % 7 == k).ToList();
            Assert.Equal(Enumerable.Range(1, mine.Count).Select(x => (long)x), mine);
        }
    }

    [Fact]
    public void BitsAndLcs()
    {
        Assert.False(_db.StringSetBit(K("bits"), 7, true));
        Assert.True(_db.StringGetBit(K("bits"), 7));
        Assert.Equal(1, _db.StringBitCount(K("bits")));
        Assert.Equal(7, _db.StringBitPosition(K("bits"), true));
        _db.StringSet("{lcs}1", "ohmytext");
        _db.StringSet("{lcs}2", "mynewtext");
        Assert.Equal("mytext", _db.StringLongestCommonSubsequence("{lcs}1", "{lcs}2"));
    }

    [Fact]
    public void HyperLogLogs()
    {
        string a = "se:hll:{x}a", b = "se:hll:{x}b", merged = "se:hll:{x}m";
        _db.KeyDelete([a, b, merged]);
        Assert.True(_db.HyperLogLogAdd(a, ["x", "y", "z"]));
        Assert.False(_db.HyperLogLogAdd(a, "y"));
        Assert.True(_db.HyperLogLogAdd(b, Enumerable.Range(0, 1000).Select(i => (RedisValue)("e" + i)).ToArray()));
        Assert.Equal(3, _db.HyperLogLogLength(a));
        Assert.InRange(_db.HyperLogLogLength(b), 980, 1020);
        _db.HyperLogLogMerge(merged, a, b);
        Assert.Equal(_db.HyperLogLogLength([a, b]), _db.HyperLogLogLength(merged));
        Assert.Equal("OK", (string?)_db.Execute("PFSELFTEST"));
        Assert.StartsWith("HYLL", (string?)_db.StringGetRange(a, 0, 3));
        _db.StringSet(a, "plain");
        var error = Assert.Throws<RedisServerException>(() => _db.HyperLogLogAdd(a, "x"));
        Assert.Equal("WRONGTYPE Key is not a valid HyperLogLog string value.", error.Message);
    }

    [Fact]
    public void Hashes()
    {
        _db.HashSet(K("h"), [new("a", "1"), new("b", "2")]);
        Assert.Equal("1", (string?)_db.HashGet(K("h"), "a"));
        Assert.Equal(["a", "b"], _db.HashKeys(K("h")).Select(k => (string?)k));
        Assert.Equal(12, _db.HashIncrement(K("h"), "b", 10));
        Assert.Equal(1.5, _db.HashIncrement(K("h"), "c", 1.5));
        Assert.True(_db.HashExists(K("h"), "c"));
        Assert.Equal(3, _db.HashLength(K("h")));
        Assert.Equal(2, _db.HashGetAll(K("h")).Count(e => e.Name != "c"));
        Assert.True(_db.HashDelete(K("h"), "a"));
        Assert.Equal(2, _db.HashScan(K("h")).Count());
        Assert.NotNull((string?)_db.HashRandomField(K("h")));
        var e = Assert.Throws<RedisServerException>(() => _db.HashIncrement(K("h"), "c", 1));
        Assert.Equal("ERR hash value is not an integer", e.Message);
    }

    [Fact]
    public void Lists()
    {
        Assert.Equal(3, _db.ListRightPush(K("l"), ["a", "b", "c"]));
        Assert.Equal(4, _db.ListLeftPush(K("l"), "z"));
        Assert.Equal(["z", "a", "b", "c"], _db.ListRange(K("l")).Select(v => (string?)v));
        Assert.Equal("b", (string?)_db.ListGetByIndex(K("l"), -2));
        Assert.Equal(2, _db.ListPosition(K("l"), "b"));
        Assert.Equal("c", (string?)_db.ListRightPopLeftPush(K("l"), K("l")));
        Assert.Equal(["c", "z"], _db.ListLeftPop(K("l"), 2)!.Select(v => (string?)v));
        _db.ListTrim(K("l"), 0, 0);
        Assert.Equal(1, _db.ListLength(K("l")));
        Assert.Equal("a", (string?)_db.ListMove(K("l"), K("l2"), ListSide.Left, ListSide.Right));
        Assert.False(_db.KeyExists(K("l")));
        var e = Assert.Throws<RedisServerException>(() => _db.ListSetByIndex(K("l2"), 5, "x"));
        Assert.Equal("ERR index out of range", e.Message);
    }

    [Fact]
    public void Sets()
    {
        Assert.Equal(3, _db.SetAdd(K("s1"), ["a", "b", "c"]));
        _db.SetAdd(K("s2"), ["b", "c", "d"]);
        Assert.True(_db.SetContains(K("s1"), "a"));
        Assert.Equal(["b", "c"], _db.SetCombine(SetOperation.Intersect, K("s1"), K("s2")).Select(v => (string)v!).Order());
        Assert.Equal(4, _db.SetCombineAndStore(SetOperation.Union, K("u"), K("s1"), K("s2")));
        Assert.Equal(["a"], _db.SetCombine(SetOperation.Difference, K("s1"), K("s2")).Select(v => (string)v!));
        Assert.True(_db.SetMove(K("s1"), K("s2"), "a"));
        Assert.Equal(4, _db.SetLength(K("s2")));
        Assert.Equal(2, _db.SetPop(K("s2"), 2).Length);
        Assert.Equal(2, _db.SetMembers(K("s2")).Length);
        Assert.Equal(2, _db.SetScan(K("s2")).Count());
        Assert.Equal(2, _db.SetIntersectionLength([K("s1"), K("u")]));
    }

    [Fact]
    public void SortedSets()
    {
        Assert.Equal(3, _db.SortedSetAdd(K("z1"), [new("a", 1), new("b", 2), new("c", 3)]));
        Assert.False(_db.SortedSetAdd(K("z1"), "a", 5, SortedSetWhen.NotExists));
        Assert.Equal(4.5, _db.SortedSetIncrement(K("z1"), "c", 1.5));
        Assert.Equal(1, _db.SortedSetRank(K("z1"), "b"));
        Assert.Equal(["c", "b"], _db.SortedSetRangeByRank(K("z1"), 0, 1, Order.Descending).Select(v => (string)v!));
        var withScores = _db.SortedSetRangeByScoreWithScores(K("z1"), 1, 3, Exclude.Start);
        Assert.Equal([("b", 2.0)], withScores.Select(e => ((string)e.Element!, e.Score)));
        Assert.Equal(2, _db.SortedSetLengthByValue(K("z1"), "a", "b"));
        _db.SortedSetAdd(K("z2"), [new("b", 10), new("d", 20)]);
        // Keys in different slots, so on different shards.
        Assert.Equal(4, _db.SortedSetCombineAndStore(SetOperation.Union, K("zu"), [K("z1"), K("z2")], [1, 2], Aggregate.Max));
        Assert.Equal(40.0, _db.SortedSetScore(K("zu"), "d"));
        Assert.Equal(["b"], _db.SortedSetCombine(SetOperation.Intersect, [K("z1"), K("z2")]).Select(v => (string)v!));
        Assert.Equal(2, _db.SortedSetRangeAndStore(K("zu"), K("zr"), 0, 1));
        var popped = _db.SortedSetPop(K("z1"), 2, Order.Descending);
        Assert.Equal([("c", 4.5), ("b", 2.0)], popped.Select(e => ((string)e.Element!, e.Score)));
        Assert.Equal(1, _db.SortedSetRemoveRangeByScore(K("z1"), double.NegativeInfinity, double.PositiveInfinity));
        Assert.False(_db.KeyExists(K("z1")));
        Assert.Equal(3, _db.SortedSetScan(K("zu"), "*").Count() - 1);
        var e = Assert.Throws<RedisServerException>(() => _db.Execute("ZADD", K("z2"), "GT", "LT", "1", "x"));
        Assert.Equal("ERR GT, LT, and/or NX options at the same time are not compatible", e.Message);
    }

    [Fact]
    public void ErrorsCarryRedisWords()
    {
        var e = Assert.Throws<RedisServerException>(() => _db.Execute("GET"));
        Assert.Equal("ERR wrong number of arguments for 'get' command", e.Message);
        _db.StringSet(K("s"), "abc");
        e = Assert.Throws<RedisServerException>(() => _db.StringIncrement(K("s")));
        Assert.Equal("ERR value is not an integer or out of range", e.Message);
        e = Assert.Throws<RedisServerException>(() => _db.Execute("NOSUCHCOMMAND", "x"));
        Assert.Equal("ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' ", e.Message);
    }

    [Fact]
    public void ServerCommands()
    {
        using var admin = ConnectionMultiplexer.Connect($"127.0.0.1:{_port},allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        var info = server.Info("server");
        Assert.Contains(info.SelectMany(g => g), kv => kv.Key == "redis_version" && kv.Value == "7.0.15");
        Assert.True(server.DatabaseSize() >= 0);
        Assert.True((server.Time() - DateTime.UtcNow).Duration() < TimeSpan.FromMinutes(1));
        Assert.Contains(server.ConfigGet("databases"), kv => kv.Value == "16");
        Assert.NotEmpty(server.ClientList());
    }
}
