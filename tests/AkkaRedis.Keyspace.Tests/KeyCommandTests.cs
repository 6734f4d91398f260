using System.Text.RegularExpressions;

namespace AkkaRedis.Keyspace.Tests;

public class KeyCommandTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ShardHarness _h;

    public KeyCommandTests() => _h = new ShardHarness(this);

    [Fact]
    public void APipelinedBatchOverALargeKeyspaceRunsAsOneCommandAtATime()
    {
        // Past 1024 keys a shard looks up every key of a batch before running it (KeyspaceShard.TouchKeys); that pass
        // must change nothing: no lazy expiry ahead of its command, no hit or miss counted, no stale lookup reused.
        var h = new ShardHarness(this, shards: 1);
        for (int from = 0; from < 2000; from += 500)
            h.RunBatch(Enumerable.Range(from, 500).Select(i => new[] { "SET", $"k:{i}", $"v{i}" }).ToArray());
        h.Run("PEXPIRE", "k:7", "100");
        h.Clock.Advance(200);
        var store = h.Keyspace.Shards[0];
        long hits = store.KeyspaceHits, misses = store.KeyspaceMisses;
        var replies = h.RunBatch(
            ["GET", "k:1"], ["DEL", "k:1"], ["GET", "k:1"], ["SET", "k:1", "again"], ["GET", "k:1"],
            ["GET", "k:7"], ["GET", "nope"], ["TTL", "k:7"], ["APPEND", "k:2", "+"], ["GET", "k:2"]);
        Assert.Equal(["$2\r\nv1\r\n", ":1\r\n", "$-1\r\n", "+OK\r\n", "$5\r\nagain\r\n",
                      "$-1\r\n", "$-1\r\n", ":-2\r\n", ":3\r\n", "$3\r\nv2+\r\n"], replies);
        // Hits: GET k:1, GET k:1 (again), GET k:2; misses: GET k:1 (deleted), GET k:7 (expired), GET nope, TTL k:7.
        Assert.Equal((hits + 3, misses + 4), (store.KeyspaceHits, store.KeyspaceMisses));
        Assert.Equal(1, store.ExpiredKeys);
        Assert.Equal(":1999\r\n", h.Run("DBSIZE"));
    }

    [Fact]
    public void ExpireOptions()
    {
        _h.Run("SET", "a", "v");
        Assert.Equal(":0\r\n", _h.Run("EXPIRE", "a", "100", "XX"));
        Assert.Equal(":1\r\n", _h.Run("EXPIRE", "a", "100", "NX"));
        Assert.Equal(":0\r\n", _h.Run("EXPIRE", "a", "50", "GT"));
        Assert.Equal(":1\r\n", _h.Run("EXPIRE", "a", "50", "LT"));
        Assert.Equal(":50\r\n", _h.Run("TTL", "a"));
        Assert.Equal("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", _h.Run("EXPIRE", "a", "1", "NX", "XX"));
        Assert.Equal("-ERR GT and LT options at the same time are not compatible\r\n", _h.Run("EXPIRE", "a", "1", "GT", "LT"));
        Assert.Equal("-ERR Unsupported option foo\r\n", _h.Run("EXPIRE", "a", "1", "foo"));
        Assert.Equal("-ERR invalid expire time in 'expire' command\r\n", _h.Run("EXPIRE", "a", "9223372036854775807"));
        Assert.Equal($":{(_h.Clock.NowMs + 50_000) / 1000}\r\n", _h.Run("EXPIRETIME", "a"));
        // Seconds are rounded to the nearest, as Redis's ttlGenericCommand does, not cut.
        _h.Run("SET", "half", "v", "PXAT", "1900000000600");
        Assert.Equal(":1900000001\r\n", _h.Run("EXPIRETIME", "half"));
        Assert.Equal(":1900000000600\r\n", _h.Run("PEXPIRETIME", "half"));
        _h.Run("PEXPIREAT", "half", "1900000000499");
        Assert.Equal(":1900000000\r\n", _h.Run("EXPIRETIME", "half"));
        Assert.Equal(":1\r\n", _h.Run("PERSIST", "a"));
        Assert.Equal(":-1\r\n", _h.Run("PEXPIRETIME", "a"));
        Assert.Equal(":1\r\n", _h.Run("PEXPIREAT", "a", "1"));
        Assert.Equal(":0\r\n", _h.Run("EXISTS", "a"));
        Assert.Equal(":0\r\n", _h.Run("EXPIRE", "missing", "10"));
    }

    [Fact]
    public void RenameAcrossShards()
    {
        var a = _h.KeyOn(0);
        var b = _h.KeyOn(2);
        _h.Run("SET", a, "v", "EX", "100");
        Assert.Equal("+OK\r\n", _h.Run("RENAME", a, b));
        Assert.Equal("$1\r\nv\r\n", _h.Run("GET", b));
        Assert.Equal(":100\r\n", _h.Run("TTL", b));
        Assert.Equal(":0\r\n", _h.Run("EXISTS", a));
        Assert.Equal("-ERR no such key\r\n", _h.Run("RENAME", a, b));
        _h.Run("SET", a, "w");
        Assert.Equal(":0\r\n", _h.Run("RENAMENX", a, b));
        Assert.Equal("+OK\r\n", _h.Run("RENAME", a, a));
    }

    [Fact]
    public void CopyAndMove()
    {
        _h.Run("SET", "{k}a", "v");
        Assert.Equal(":1\r\n", _h.Run("COPY", "{k}a", "{k}b"));
        Assert.Equal(":0\r\n", _h.Run("COPY", "{k}a", "{k}b"));
        Assert.Equal(":1\r\n", _h.Run("COPY", "{k}a", "{k}b", "REPLACE"));
        Assert.Equal(":1\r\n", _h.Run("COPY", "{k}a", "{k}a", "DB", "3"));
        Assert.Equal("-ERR source and destination objects are the same\r\n", _h.Run("COPY", "{k}a", "{k}a"));
        Assert.Equal("-ERR DB index is out of range\r\n", _h.Run("COPY", "{k}a", "{k}b", "DB", "16"));
        Assert.Equal(":1\r\n", _h.Run("MOVE", "{k}b", "5"));
        Assert.Equal(":0\r\n", _h.Run("EXISTS", "{k}b"));
        _h.Db = 5;
        Assert.Equal("$1\r\nv\r\n", _h.Run("GET", "{k}b"));
        Assert.Equal("-ERR source and destination objects are the same\r\n", _h.Run("MOVE", "{k}b", "5"));
    }

    [Fact]
    public void ScanReturnsEveryKeyExactlyOnce()
    {
        var expected = new HashSet<string>();
        for (int i = 0; i < 1000; i++)
        {
            _h.Run("SET", "key:" + i, "v");
            expected.Add("key:" + i);
        }
        var seen = new List<string>();
        string cursor = "0";
        do
        {
            var reply = _h.Run("SCAN", cursor, "COUNT", "50");
            var bulks = Regex.Matches(reply, @"\$\d+\r\n([^\r]*)\r\n").Select(m => m.Groups[1].Value).ToList();
            cursor = bulks[0];
            seen.AddRange(bulks.Skip(1));
        } while (cursor != "0");
        Assert.Equal(expected.Count, seen.Count);
        Assert.Equal(expected, seen.ToHashSet());
        Assert.Equal("-ERR invalid cursor\r\n", _h.Run("SCAN", "abc"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("SCAN", "0", "COUNT", "0"));
    }

    [Fact]
    public void ScanMatchAndType()
    {
        _h.Run("MSET", "user:1", "a", "user:2", "b", "item:1", "c");
        var reply = _h.Run("SCAN", "0", "MATCH", "user:*", "COUNT", "100000", "TYPE", "string");
        Assert.Contains("user:1", reply);
        Assert.Contains("user:2", reply);
        Assert.DoesNotContain("item:1", reply);
        Assert.DoesNotContain("user", _h.Run("SCAN", "0", "COUNT", "100000", "TYPE", "list"));
    }

    [Fact]
    public void KeysRandomKeyFlushAndSwap()
    {
        _h.Run("MSET", "a", "1", "b", "2", "c", "3");
        var keys = _h.Run("KEYS", "[ab]");
        Assert.StartsWith("*2\r\n", keys);
        Assert.Matches(@"^\$1\r\n[abc]\r\n$", _h.Run("RANDOMKEY"));
        Assert.Equal("+OK\r\n", _h.Run("SWAPDB", "0", "1"));
        Assert.Equal(":0\r\n", _h.Run("DBSIZE"));
        _h.Db = 1;
        Assert.Equal(":3\r\n", _h.Run("DBSIZE"));
        Assert.Equal("+OK\r\n", _h.Run("FLUSHDB"));
        Assert.Equal("$-1\r\n", _h.Run("RANDOMKEY"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("FLUSHALL", "LATER"));
        Assert.Equal("-ERR invalid first DB index\r\n", _h.Run("SWAPDB", "x", "1"));
        Assert.Equal("-ERR DB index is out of range\r\n", _h.Run("SWAPDB", "0", "99"));
    }

    [Fact]
    public void TypeTouchAndObject()
    {
        _h.Run("SET", "a", "v");
        Assert.Equal("+string\r\n", _h.Run("TYPE", "a"));
        Assert.Equal("+none\r\n", _h.Run("TYPE", "missing"));
        Assert.Equal(":1\r\n", _h.Run("TOUCH", "a", "missing"));
        _h.Clock.Advance(10_000);
        Assert.Equal(":10\r\n", _h.Run("OBJECT", "IDLETIME", "a"));
        Assert.StartsWith("-ERR An LFU maxmemory policy is not selected", _h.Run("OBJECT", "FREQ", "a"));
        _h.Config.MaxMemoryPolicy = "allkeys-lfu";
        Assert.Matches(@"^:\d+\r\n$", _h.Run("OBJECT", "FREQ", "a"));
    }

    [Fact]
    public void ArityAndUnknownSubcommandErrors()
    {
        Assert.Equal("-ERR wrong number of arguments for 'get' command\r\n", _h.Run("GET"));
        Assert.Equal("-ERR unknown subcommand 'nope'. Try OBJECT HELP.\r\n", _h.Run("OBJECT", "nope", "a"));
        Assert.Equal("-ERR wrong number of arguments for 'object|encoding' command\r\n", _h.Run("OBJECT", "ENCODING"));
    }
}
