using System.Text.RegularExpressions;

namespace AkkaRedis.Keyspace.Tests;

public class CollectionCommandTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ShardHarness _h;

    public CollectionCommandTests() => _h = new ShardHarness(this);

    private static List<string> Bulks(string reply) =>
        Regex.Matches(reply, @"\$\d+\r\n([^\r]*)\r\n").Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public void HashEncodingTurnsIntoHashtable()
    {
        _h.Run("HSET", "h", "f", "v");
        Assert.Equal("$8\r\nlistpack\r\n", _h.Run("OBJECT", "ENCODING", "h"));
        _h.Run("HSET", "h", "long", new string('x', 65));
        Assert.Equal("$9\r\nhashtable\r\n", _h.Run("OBJECT", "ENCODING", "h"));
        _h.Config.HashMaxListpackEntries = 2;
        _h.Run("HSET", "h2", "a", "1", "b", "2");
        Assert.Equal("$8\r\nlistpack\r\n", _h.Run("OBJECT", "ENCODING", "h2"));
        _h.Run("HSET", "h2", "c", "3");
        Assert.Equal("$9\r\nhashtable\r\n", _h.Run("OBJECT", "ENCODING", "h2"));
        Assert.Equal(":3\r\n", _h.Run("HLEN", "h2"));
    }

    [Fact]
    public void SetEncodingAndOrder()
    {
        _h.Run("SADD", "s", "5", "1", "3");
        Assert.Equal("$6\r\nintset\r\n", _h.Run("OBJECT", "ENCODING", "s"));
        Assert.Equal(["1", "3", "5"], Bulks(_h.Run("SMEMBERS", "s")));
        _h.Run("SADD", "s", "x");
        Assert.Equal("$9\r\nhashtable\r\n", _h.Run("OBJECT", "ENCODING", "s"));
        Assert.Equal(["1", "3", "5", "x"], Bulks(_h.Run("SMEMBERS", "s")).Order());
        _h.Run("RPUSH", "l", "a");
        Assert.Equal("$9\r\nquicklist\r\n", _h.Run("OBJECT", "ENCODING", "l"));
    }

    [Fact]
    public void ScansReadTheCursorAsStrtoulAndLookAtOptionsOnlyForAnExistingKey()
    {
        const string emptyScan = "*2\r\n$1\r\n0\r\n*0\r\n";
        Assert.Equal(emptyScan, _h.Run("SSCAN", "missing", "-1", "NOSUCHOPTION"));
        Assert.Equal(emptyScan, _h.Run("HSCAN", "missing", "+0", "COUNT", "x"));
        _h.Run("SADD", "s", "a");
        Assert.Equal("-ERR syntax error\r\n", _h.Run("SSCAN", "s", "0", "NOSUCHOPTION"));
        Assert.Equal(emptyScan, _h.Run("SSCAN", "s", "-1"));
        Assert.Equal("-ERR invalid cursor\r\n", _h.Run("SSCAN", "s", " 1"));
        Assert.Equal("-ERR invalid cursor\r\n", _h.Run("SSCAN", "s", "18446744073709551616"));
        Assert.Equal(emptyScan, _h.Run("SCAN", "-1"));
        _h.Run("SET", "str", "v");
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", _h.Run("SSCAN", "str", "0", "NOSUCHOPTION"));
    }

    [Fact]
    public void RandomPicksWithACountAreArraysInResp3AndPopsAreSets()
    {
        _h.Resp3 = true;
        _h.Run("SADD", "s", "a", "b", "c");
        Assert.StartsWith("*2\r\n", _h.Run("SRANDMEMBER", "s", "2"));
        Assert.StartsWith("*3\r\n", _h.Run("SRANDMEMBER", "s", "10"));
        Assert.Equal("*0\r\n", _h.Run("SRANDMEMBER", "s", "0"));
        Assert.Equal("*0\r\n", _h.Run("SRANDMEMBER", "missing", "2"));
        Assert.StartsWith("~1\r\n", _h.Run("SPOP", "s", "1"));
        Assert.Equal("~0\r\n", _h.Run("SPOP", "missing", "2"));
    }

    [Fact]
    public void RandomPicksFollowTheCountRules()
    {
        for (int i = 0; i < 10; i++) _h.Run("SADD", "s", "m" + i);
        Assert.Equal(5, Bulks(_h.Run("SRANDMEMBER", "s", "5")).Distinct().Count());
        Assert.Equal(10, Bulks(_h.Run("SRANDMEMBER", "s", "50")).Distinct().Count());
        Assert.Equal(50, Bulks(_h.Run("SRANDMEMBER", "s", "-50")).Count);
        // More repeated picks than a reply can hold are refused at once (building them took 20 GB before failing).
        const string tooMany = "-ERR value is out of range, a negative count may ask for at most 268435455 elements here\r\n";
        Assert.Equal(tooMany, _h.Run("SRANDMEMBER", "s", "-3000000000"));
        _h.Run("HSET", "h", "f", "v");
        Assert.Equal(tooMany, _h.Run("HRANDFIELD", "h", "-3000000000", "WITHVALUES"));
        _h.Run("ZADD", "z", "1", "m");
        Assert.Equal(tooMany, _h.Run("ZRANDMEMBER", "z", "-3000000000"));
        Assert.Equal("*0\r\n", _h.Run("SRANDMEMBER", "missing", "-3000000000"));
        Assert.Matches(@"^\$2\r\nm\d\r\n$", _h.Run("SRANDMEMBER", "s"));
        Assert.Equal("*0\r\n", _h.Run("SRANDMEMBER", "missing", "3"));
        var popped = Bulks(_h.Run("SPOP", "s", "4"));
        Assert.Equal(4, popped.Distinct().Count());
        Assert.Equal(":6\r\n", _h.Run("SCARD", "s"));
        foreach (var m in popped) Assert.Equal(":0\r\n", _h.Run("SISMEMBER", "s", m));
        Assert.Equal(6, Bulks(_h.Run("SPOP", "s", "100")).Count);
        Assert.Equal(":0\r\n", _h.Run("EXISTS", "s"));
        Assert.Equal("-ERR value is out of range, must be positive\r\n", _h.Run("SPOP", "s", "-1"));

        _h.Run("HSET", "h", "a", "1", "b", "2", "c", "3");
        Assert.Equal(6, Bulks(_h.Run("HRANDFIELD", "h", "3", "WITHVALUES")).Count);
        Assert.Equal(7, Bulks(_h.Run("HRANDFIELD", "h", "-7")).Count);
        Assert.Equal("*0\r\n", _h.Run("HRANDFIELD", "h", "0"));
        Assert.Equal("$-1\r\n", _h.Run("HRANDFIELD", "missing"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("HRANDFIELD", "h", "1", "WITHVALUES", "x"));
    }

    [Fact]
    public void WrongTypeInBothDirections()
    {
        _h.Run("SET", "str", "v");
        _h.Run("LPUSH", "list", "v");
        const string wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
        Assert.Equal(wrongType, _h.Run("HSET", "str", "f", "v"));
        Assert.Equal(wrongType, _h.Run("SADD", "list", "v"));
        Assert.Equal(wrongType, _h.Run("GET", "list"));
        Assert.Equal(wrongType, _h.Run("APPEND", "list", "x"));
        Assert.Equal(wrongType, _h.Run("LLEN", "str"));
        Assert.Equal("+list\r\n", _h.Run("TYPE", "list"));
    }

    [Fact]
    public void EmptiedCollectionsDisappear()
    {
        _h.Run("RPUSH", "l", "a", "b");
        _h.Run("LPOP", "l", "2");
        Assert.Equal(":0\r\n", _h.Run("EXISTS", "l"));
        _h.Run("HSET", "h", "f", "v");
        _h.Run("HDEL", "h", "f");
        Assert.Equal(":0\r\n", _h.Run("EXISTS", "h"));
        _h.Run("SADD", "s", "a");
        _h.Run("SREM", "s", "a");
        Assert.Equal(":0\r\n", _h.Run("EXISTS", "s"));
    }

    [Fact]
    public void CollectionsMoveAndCopyAcrossShards()
    {
        var a = _h.KeyOn(0);
        var b = _h.KeyOn(1);
        var c = _h.KeyOn(2);
        _h.Run("RPUSH", a, "1", "2", "3");
        Assert.Equal("$1\r\n3\r\n", _h.Run("RPOPLPUSH", a, b));
        Assert.Equal("$1\r\n1\r\n", _h.Run("LMOVE", a, b, "LEFT", "RIGHT"));
        Assert.Equal(["3", "1"], Bulks(_h.Run("LRANGE", b, "0", "-1")));
        Assert.Equal(":1\r\n", _h.Run("DEL", a));
        _h.Run("SADD", a, "x", "y");
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", _h.Run("SADD", b, "z"));
        _h.Run("SADD", c, "y", "z");
        Assert.Equal(":1\r\n", _h.Run("SINTERSTORE", b, a, c));
        Assert.Equal("+set\r\n", _h.Run("TYPE", b));
        Assert.Equal(":1\r\n", _h.Run("SMOVE", a, c, "x"));
        Assert.Equal(":3\r\n", _h.Run("SCARD", c));
        Assert.Equal(":1\r\n", _h.Run("COPY", c, a, "REPLACE"));
        _h.Run("SREM", c, "x", "y", "z");
        Assert.Equal(":3\r\n", _h.Run("SCARD", a));
    }

    [Fact]
    public void ScansOfCollections()
    {
        for (int i = 0; i < 20; i++) _h.Run("HSET", "h", "field" + i, "v" + i);
        var hscan = Bulks(_h.Run("HSCAN", "h", "0", "MATCH", "field1*"));
        Assert.Equal("0", hscan[0]);
        Assert.Equal(22, hscan.Count - 1); // field1 and field10..19, with values
        _h.Run("SADD", "s", "a", "b", "c");
        Assert.Equal(4, Bulks(_h.Run("SSCAN", "s", "0")).Count);
        Assert.Equal("-ERR invalid cursor\r\n", _h.Run("SSCAN", "s", "x"));
    }

    [Fact]
    public void ListEdgeCases()
    {
        _h.Run("RPUSH", "l", "a", "b", "c", "b", "a");
        Assert.Equal(":3\r\n", _h.Run("LPOS", "l", "b", "RANK", "2"));
        Assert.Equal("*2\r\n:0\r\n:4\r\n", _h.Run("LPOS", "l", "a", "COUNT", "0"));
        Assert.Equal(":4\r\n", _h.Run("LPOS", "l", "a", "RANK", "-1"));
        Assert.StartsWith("-ERR RANK can't be zero", _h.Run("LPOS", "l", "a", "RANK", "0"));
        Assert.Equal(":6\r\n", _h.Run("LINSERT", "l", "BEFORE", "c", "x"));
        Assert.Equal(":-1\r\n", _h.Run("LINSERT", "l", "AFTER", "nope", "x"));
        Assert.Equal(":2\r\n", _h.Run("LREM", "l", "-2", "a"));
        Assert.Equal(["b", "x", "c", "b"], Bulks(_h.Run("LRANGE", "l", "0", "-1")));
        Assert.Equal("-ERR index out of range\r\n", _h.Run("LSET", "l", "10", "z"));
        Assert.Equal("-ERR no such key\r\n", _h.Run("LSET", "missing", "0", "z"));
        Assert.Equal("+OK\r\n", _h.Run("LTRIM", "l", "1", "2"));
        Assert.Equal(["x", "c"], Bulks(_h.Run("LRANGE", "l", "0", "-1")));
        Assert.Equal("*2\r\n$1\r\nl\r\n*2\r\n$1\r\nc\r\n$1\r\nx\r\n", _h.Run("LMPOP", "2", "missing", "l", "RIGHT", "COUNT", "5"));
        Assert.Equal("*-1\r\n", _h.Run("LMPOP", "1", "l", "LEFT"));
    }
}
