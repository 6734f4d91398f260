namespace AkkaRedis.Keyspace.Tests;

public class StringCommandTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ShardHarness _h;

    public StringCommandTests() => _h = new ShardHarness(this);

    [Fact]
    public void FastCommandsInABatchShareTheirTimingYetEachIsCountedAndLogged()
    {
        // Runs of fast commands (GET, INCR) are timed by one clock reading; one not flagged fast (SET) alone. Each still has its
        // call, its time in commandstats, and (with every command logged) its SLOWLOG entry, in order.
        _h.Config.SlowlogLogSlowerThan = 0;
        _h.Config.SlowlogMaxLen = 1000;
        var key = _h.KeyOn(0);
        var commands = new List<string[]>();
        for (int i = 0; i < 40; i++) commands.Add(["INCR", key]);
        commands.Add(["SET", _h.KeyOn(0, "other"), "x"]);
        for (int i = 0; i < 70; i++) commands.Add(["GET", key]);
        var replies = _h.RunBatch(commands.ToArray());
        Assert.Equal(":40\r\n", replies[39]);
        Assert.Equal("$2\r\n40\r\n", replies[^1]);
        var store = _h.Keyspace.Shards[0];
        foreach (var (name, calls) in new[] { ("incr", 40), ("get", 70), ("set", 1) })
        {
            int id = _h.Table.Find(name)!.Id;
            Assert.Equal(calls, store.Calls[id]);
            Assert.True(store.ElapsedTicks[id] > 0, $"{name} has no time");
        }
        var logged = _h.State.SlowLog.Newest(-1).Select(e => System.Text.Encoding.UTF8.GetString(e.Args[0])).Reverse().ToList();
        Assert.Equal(commands.Select(c => c[0]), logged);
    }

    [Fact]
    public void SetAndGet()
    {
        Assert.Equal("$-1\r\n", _h.Run("GET", "a"));
        Assert.Equal("+OK\r\n", _h.Run("SET", "a", "hello"));
        Assert.Equal("$5\r\nhello\r\n", _h.Run("GET", "a"));
    }

    [Fact]
    public void OverwritingAStringOfTheSameLengthKeepsEveryOtherKeyAndTheOldValueForGet()
    {
        _h.Run("SET", "a", "abc");
        _h.Run("COPY", "a", "b");
        _h.Run("RENAME", "b", "c");
        Assert.Equal("+OK\r\n", _h.Run("SET", "a", "xyz"));
        Assert.Equal("$3\r\nxyz\r\n", _h.Run("SET", "a", "def", "GET"));
        Assert.Equal("$3\r\ndef\r\n", _h.Run("GET", "a"));
        Assert.Equal("$3\r\nabc\r\n", _h.Run("GET", "c"));
        _h.Run("SET", "a", "12", "EX", "100");
        _h.Run("SET", "a", "34");
        Assert.Equal("$3\r\nint\r\n", _h.Run("OBJECT", "ENCODING", "a"));
        Assert.Equal(":-1\r\n", _h.Run("TTL", "a")); // overwritten in place, the expiry is still cleared
    }

    [Fact]
    public void IncrWritesIntoTheStoredArrayWhileTheDigitsFitAndLeavesCopiesAlone()
    {
        var key = _h.KeyOn(0);
        var keyBytes = System.Text.Encoding.UTF8.GetBytes(key);
        byte[] Stored() => (byte[])_h.Keyspace.Shards[0].Databases[0].FindRaw(Data.HashSlot.Of(keyBytes), keyBytes)!.Value;
        _h.Run("SET", key, "10");
        _h.Run("COPY", key, "{" + key + "}copy");
        var before = Stored();
        Assert.Equal(":11\r\n", _h.Run("INCR", key));
        Assert.Same(before, Stored());
        Assert.Equal(":99\r\n", _h.Run("INCRBY", key, "88"));
        Assert.Same(before, Stored());
        Assert.Equal(":100\r\n", _h.Run("INCR", key));
        Assert.NotSame(before, Stored());
        Assert.Equal(":-100\r\n", _h.Run("DECRBY", key, "200"));
        Assert.Equal("$4\r\n-100\r\n", _h.Run("GET", key));
        Assert.Equal("$2\r\n10\r\n", _h.Run("GET", "{" + key + "}copy"));
        Assert.Equal("$3\r\nint\r\n", _h.Run("OBJECT", "ENCODING", key));
    }

    [Fact]
    public void SetOptions()
    {
        Assert.Equal("$-1\r\n", _h.Run("SET", "a", "1", "XX"));
        Assert.Equal("+OK\r\n", _h.Run("SET", "a", "1", "NX"));
        Assert.Equal("$-1\r\n", _h.Run("SET", "a", "2", "NX"));
        Assert.Equal("$1\r\n1\r\n", _h.Run("SET", "a", "3", "GET"));
        Assert.Equal("$1\r\n3\r\n", _h.Run("SET", "a", "4", "NX", "GET"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("SET", "a", "1", "NX", "XX"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("SET", "a", "1", "EX", "10", "PX", "100"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("SET", "a", "1", "KEEPTTL", "EX", "10"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", _h.Run("SET", "a", "1", "EX", "ten"));
        Assert.Equal("-ERR invalid expire time in 'set' command\r\n", _h.Run("SET", "a", "1", "EX", "0"));
        Assert.Equal("-ERR invalid expire time in 'set' command\r\n", _h.Run("SET", "a", "1", "EX", "9223372036854775807"));
    }

    [Fact]
    public void ExpiryFollowsTheClock()
    {
        _h.Run("SET", "a", "v", "PX", "1000");
        Assert.Equal(":1\r\n", _h.Run("TTL", "a"));
        Assert.Equal(":1000\r\n", _h.Run("PTTL", "a"));
        _h.Clock.Advance(999);
        Assert.Equal("$1\r\nv\r\n", _h.Run("GET", "a"));
        _h.Clock.Advance(1);
        Assert.Equal("$-1\r\n", _h.Run("GET", "a"));
        Assert.Equal(":-2\r\n", _h.Run("TTL", "a"));
    }

    [Fact]
    public void KeepTtlKeepsTheExpiry()
    {
        _h.Run("SET", "a", "v", "EX", "100");
        _h.Run("SET", "a", "w", "KEEPTTL");
        Assert.Equal(":100\r\n", _h.Run("TTL", "a"));
        _h.Run("SET", "a", "x");
        Assert.Equal(":-1\r\n", _h.Run("TTL", "a"));
    }

    [Fact]
    public void ActiveExpiryRemovesKeysNobodyReads()
    {
        for (int i = 0; i < 200; i++) _h.Run("SET", "key" + i, "v", "PX", "50");
        _h.Run("SET", "forever", "v");
        _h.Clock.Advance(100);
        for (int i = 0; i < 20; i++) _h.ExpireCycle();
        AwaitAssert(() => Assert.Equal(":1\r\n", _h.Run("DBSIZE")), TimeSpan.FromSeconds(5));
        Assert.Equal(200, _h.Keyspace.Shards.Sum(s => s.ExpiredKeys));
    }

    [Fact]
    public void Counters()
    {
        Assert.Equal(":1\r\n", _h.Run("INCR", "n"));
        Assert.Equal(":11\r\n", _h.Run("INCRBY", "n", "10"));
        Assert.Equal(":8\r\n", _h.Run("DECRBY", "n", "3"));
        Assert.Equal(":7\r\n", _h.Run("DECR", "n"));
        _h.Run("SET", "n", "9223372036854775807");
        Assert.Equal("-ERR increment or decrement would overflow\r\n", _h.Run("INCR", "n"));
        _h.Run("SET", "s", "abc");
        Assert.Equal("-ERR value is not an integer or out of range\r\n", _h.Run("INCR", "s"));
        _h.Run("SET", "s", " 1");
        Assert.Equal("-ERR value is not an integer or out of range\r\n", _h.Run("INCR", "s"));
        Assert.Equal("-ERR decrement would overflow\r\n", _h.Run("DECRBY", "n", "-9223372036854775808"));
    }

    [Fact]
    public void IncrByFloatMatchesRedisLongDouble()
    {
        Assert.Equal("$4\r\n10.5\r\n", _h.Run("INCRBYFLOAT", "f", "10.5"));
        Assert.Equal("$4\r\n10.6\r\n", _h.Run("INCRBYFLOAT", "f", "0.1"));
        _h.Run("SET", "x", "10.52");
        Assert.Equal("$22\r\n1010.52000000000000002\r\n", _h.Run("INCRBYFLOAT", "x", "1000"));
        Assert.Equal("$21\r\n100000000000000000000\r\n", _h.Run("INCRBYFLOAT", "z", "1e20"));
        Assert.Equal("$1\r\n0\r\n", _h.Run("INCRBYFLOAT", "z", "-1e20"));
        Assert.Equal("-ERR value is not a valid float\r\n", _h.Run("INCRBYFLOAT", "x", "abc"));
        Assert.Equal("-ERR increment would produce NaN or Infinity\r\n", _h.Run("INCRBYFLOAT", "x", "inf"));
        // strtold stops at a NUL byte, and Redis refuses what it did not read (.NET's parsers skip trailing NULs).
        _h.Run("SET", "padded", "1e3\0\0");
        Assert.Equal("-ERR value is not a valid float\r\n", _h.Run("INCRBYFLOAT", "padded", "1"));
        Assert.Equal("-ERR value is not a valid float\r\n", _h.Run("INCRBYFLOAT", "x", "1\0"));
        Assert.Equal("-ERR value is not a valid float\r\n", _h.Run("ZADD", "zset", "1\0", "m"));
    }

    [Fact]
    public void RangesAndAppend()
    {
        Assert.Equal(":5\r\n", _h.Run("APPEND", "s", "Hello"));
        Assert.Equal(":11\r\n", _h.Run("APPEND", "s", " World"));
        Assert.Equal("$5\r\nWorld\r\n", _h.Run("GETRANGE", "s", "-5", "-1"));
        Assert.Equal("$0\r\n\r\n", _h.Run("GETRANGE", "s", "5", "3"));
        Assert.Equal(":11\r\n", _h.Run("SETRANGE", "s", "6", "Redis"));
        Assert.Equal("$11\r\nHello Redis\r\n", _h.Run("GET", "s"));
        Assert.Equal(":8\r\n", _h.Run("SETRANGE", "pad", "5", "abc"));
        Assert.Equal("$8\r\n\0\0\0\0\0abc\r\n", _h.Run("GET", "pad"));
        Assert.Equal("-ERR offset is out of range\r\n", _h.Run("SETRANGE", "s", "-1", "x"));
        Assert.Equal(":11\r\n", _h.Run("STRLEN", "s"));
        Assert.Equal("$4\r\nHell\r\n", _h.Run("SUBSTR", "s", "0", "3"));
    }

    [Fact]
    public void GetExGetDelGetSet()
    {
        _h.Run("SET", "a", "1");
        Assert.Equal("$1\r\n1\r\n", _h.Run("GETEX", "a", "EX", "50"));
        Assert.Equal(":50\r\n", _h.Run("TTL", "a"));
        Assert.Equal("$1\r\n1\r\n", _h.Run("GETEX", "a", "PERSIST"));
        Assert.Equal(":-1\r\n", _h.Run("TTL", "a"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("GETEX", "a", "EX", "1", "PERSIST"));
        Assert.Equal("-ERR invalid expire time in 'getex' command\r\n", _h.Run("GETEX", "a", "EX", "-1"));
        Assert.Equal("$1\r\n1\r\n", _h.Run("GETSET", "a", "2"));
        Assert.Equal("$1\r\n2\r\n", _h.Run("GETDEL", "a"));
        Assert.Equal(":0\r\n", _h.Run("EXISTS", "a"));
    }

    [Fact]
    public void MultiKeyCommandsAcrossShards()
    {
        var a = _h.KeyOn(0);
        var b = _h.KeyOn(1);
        var c = _h.KeyOn(2);
        Assert.Equal("+OK\r\n", _h.Run("MSET", a, "1", b, "2", c, "3"));
        Assert.Equal("*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$-1\r\n", _h.Run("MGET", a, b, c, "missing"));
        Assert.Equal(":0\r\n", _h.Run("MSETNX", a, "x", "other", "y"));
        Assert.Equal(":2\r\n", _h.Run("DEL", a, b, "missing"));
        Assert.Equal(":1\r\n", _h.Run("EXISTS", a, b, c));
        Assert.Equal("-ERR wrong number of arguments for 'mset' command\r\n", _h.Run("MSET", a, "1", b));
        Assert.Equal(":1\r\n", _h.Run("DBSIZE"));
    }

    [Fact]
    public void Lcs()
    {
        _h.Run("SET", "{s}1", "ohmytext");
        _h.Run("SET", "{s}2", "mynewtext");
        Assert.Equal("$6\r\nmytext\r\n", _h.Run("LCS", "{s}1", "{s}2"));
        Assert.Equal(":6\r\n", _h.Run("LCS", "{s}1", "{s}2", "LEN"));
        Assert.Equal("*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n",
            _h.Run("LCS", "{s}1", "{s}2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"));
        Assert.Equal("-ERR If you want both the length and indexes, please just use IDX.\r\n", _h.Run("LCS", "{s}1", "{s}2", "IDX", "LEN"));
    }

    [Fact]
    public void ObjectEncodings()
    {
        _h.Run("SET", "i", "12345");
        _h.Run("SET", "e", "short");
        _h.Run("SET", "r", new string('x', 45));
        _h.Run("SET", "big", "123456789012345678901");
        Assert.Equal("$3\r\nint\r\n", _h.Run("OBJECT", "ENCODING", "i"));
        Assert.Equal("$6\r\nembstr\r\n", _h.Run("OBJECT", "ENCODING", "e"));
        Assert.Equal("$3\r\nraw\r\n", _h.Run("OBJECT", "ENCODING", "r"));
        Assert.Equal("$6\r\nembstr\r\n", _h.Run("OBJECT", "ENCODING", "big"));
        _h.Run("APPEND", "e", "x");
        Assert.Equal("$3\r\nraw\r\n", _h.Run("OBJECT", "ENCODING", "e"));
        _h.Run("SET", "n", "5");
        Assert.Equal(":2147483647\r\n", _h.Run("OBJECT", "REFCOUNT", "n"));
        Assert.Equal(":1\r\n", _h.Run("OBJECT", "REFCOUNT", "e"));
        Assert.Equal("$-1\r\n", _h.Run("OBJECT", "ENCODING", "missing"));
    }
}
