namespace AkkaRedis.Keyspace.Tests;

/// <summary>Sorted set commands on real shards, with the replies redis-server 7.0 gives (checked against it).</summary>
public class SortedSetCommandTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ShardHarness _h;

    public SortedSetCommandTests() => _h = new ShardHarness(this);

    private static string Bulks(params string[] items) => $"*{items.Length}\r\n" + string.Concat(items.Select(i => $"${i.Length}\r\n{i}\r\n"));

    private void Abc() => Assert.Equal(":3\r\n", _h.Run("ZADD", "z", "1", "a", "2", "b", "3", "c"));

    [Fact]
    public void ZaddOptionsAndTheirReplies()
    {
        Abc();
        Assert.Equal(":0\r\n", _h.Run("ZADD", "z", "5", "a"));
        Assert.Equal(":1\r\n", _h.Run("ZADD", "z", "CH", "6", "a"));
        Assert.Equal(":0\r\n", _h.Run("ZADD", "z", "NX", "1", "a", "9", "b"));
        Assert.Equal(":1\r\n", _h.Run("ZADD", "z", "NX", "CH", "1", "a", "4", "d"));
        Assert.Equal(":0\r\n", _h.Run("ZADD", "z", "XX", "1", "e"));
        Assert.Equal(":0\r\n", _h.Run("ZADD", "z", "XX", "CH", "6", "a"));
        Assert.Equal(":0\r\n", _h.Run("ZADD", "z", "GT", "CH", "2", "a"));
        Assert.Equal(":1\r\n", _h.Run("ZADD", "z", "LT", "CH", "2", "a"));
        Assert.Equal("$3\r\n2.5\r\n", _h.Run("ZADD", "z", "INCR", "0.5", "a"));
        Assert.Equal("$-1\r\n", _h.Run("ZADD", "z", "INCR", "GT", "-1", "a"));
        Assert.Equal("$-1\r\n", _h.Run("ZADD", "z", "NX", "INCR", "1", "a"));
        Assert.Equal("$18\r\n1.1000000000000001\r\n", _h.Run("ZINCRBY", "z", "1.1", "new"));
        Assert.Equal(":0\r\n", _h.Run("ZADD", "missing", "XX", "1", "a"));
        Assert.Equal(":0\r\n", _h.Run("EXISTS", "missing"));
        _h.Run("ZADD", "inf", "inf", "x");
        Assert.Equal("-ERR resulting score is not a number (NaN)\r\n", _h.Run("ZINCRBY", "inf", "-inf", "x"));
        Assert.Equal("$3\r\ninf\r\n", _h.Run("ZSCORE", "inf", "x"));
    }

    [Fact]
    public void ZaddRefusesWhatRedisRefusesBeforeTouchingTheKey()
    {
        _h.Run("SET", "s", "v");
        Assert.Equal("-ERR XX and NX options at the same time are not compatible\r\n", _h.Run("ZADD", "z", "XX", "NX", "1", "a"));
        Assert.Equal("-ERR GT, LT, and/or NX options at the same time are not compatible\r\n", _h.Run("ZADD", "z", "GT", "LT", "1", "a"));
        Assert.Equal("-ERR GT, LT, and/or NX options at the same time are not compatible\r\n", _h.Run("ZADD", "z", "NX", "GT", "1", "a"));
        Assert.Equal("-ERR INCR option supports a single increment-element pair\r\n", _h.Run("ZADD", "z", "INCR", "1", "a", "2", "b"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("ZADD", "z", "1", "a", "2"));
        Assert.Equal("-ERR value is not a valid float\r\n", _h.Run("ZADD", "z", "nan", "a"));
        Assert.Equal("-ERR value is not a valid float\r\n", _h.Run("ZADD", "s", "x", "a"));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", _h.Run("ZADD", "s", "1", "a"));
        Assert.Equal("-ERR wrong number of arguments for 'zadd' command\r\n", _h.Run("ZADD", "z", "1"));
        Assert.Equal(":0\r\n", _h.Run("EXISTS", "z"));
    }

    [Fact]
    public void ScoresAreReadAsStrtodReadsThemAndListpacksDropTheSignOfZero()
    {
        Assert.Equal(":5\r\n", _h.Run("ZADD", "z", "0x10", "hex", "-0x1.8p1", "negative-hex", ".5", "dot", "5.", "point", "4.9e-324", "denormal"));
        Assert.Equal("$2\r\n16\r\n", _h.Run("ZSCORE", "z", "hex"));
        Assert.Equal("$2\r\n-3\r\n", _h.Run("ZSCORE", "z", "negative-hex"));
        // Overflow to infinity and underflow to zero set ERANGE, which Redis refuses.
        Assert.Equal("-ERR value is not a valid float\r\n", _h.Run("ZADD", "z", "1e400", "a"));
        Assert.Equal("-ERR value is not a valid float\r\n", _h.Run("ZADD", "z", "1e-400", "a"));
        Assert.Equal("-ERR value is not a valid float\r\n", _h.Run("ZADD", "z", "0x1p99999", "a"));
        // Any length, as strtod: DBL_MAX written out in full (zset.tcl's "zset score double range").
        const string dblMax = "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.00000000000000000";
        Assert.Equal(":1\r\n", _h.Run("ZADD", "z", dblMax, "dblmax"));
        Assert.Equal("$23\r\n1.7976931348623157e+308\r\n", _h.Run("ZSCORE", "z", "dblmax"));
        Assert.Equal(":1\r\n", _h.Run("ZADD", "z", "0e5", "zero"));
        Assert.Equal(":1\r\n", _h.Run("ZADD", "z", "-0", "minus-zero"));
        Assert.Equal("$1\r\n0\r\n", _h.Run("ZSCORE", "z", "minus-zero"));
        _h.Run("ZADD", "big", "1", new string('x', 65), "-0", "minus-zero");
        Assert.Equal("$2\r\n-0\r\n", _h.Run("ZSCORE", "big", "minus-zero"));
        // Timeouts are read as strtold reads them, rounded up to milliseconds; an overflow turns negative, as in Redis.
        Assert.Equal("-ERR timeout is negative\r\n", _h.Run("BZPOPMIN", "z", "1e400"));
        Assert.Equal("*-1\r\n", _h.Run("BZPOPMIN", "nothing", "-0.0001"));
        Assert.Equal("*-1\r\n", _h.Run("BLPOP", "nothing", "0x1p-3"));
    }

    [Fact]
    public void RankRangesInBothProtocols()
    {
        Abc();
        Assert.Equal(Bulks("a", "b", "c"), _h.Run("ZRANGE", "z", "0", "-1"));
        Assert.Equal(Bulks("b", "2", "c", "3"), _h.Run("ZRANGE", "z", "-2", "100", "WITHSCORES"));
        Assert.Equal(Bulks("c", "b"), _h.Run("ZRANGE", "z", "0", "1", "REV"));
        Assert.Equal(Bulks("c", "3", "b", "2"), _h.Run("ZREVRANGE", "z", "0", "1", "WITHSCORES"));
        Assert.Equal("*0\r\n", _h.Run("ZRANGE", "z", "2", "1"));
        Assert.Equal("*0\r\n", _h.Run("ZRANGE", "missing", "0", "-1"));
        Assert.Equal(":1\r\n", _h.Run("ZRANK", "z", "b"));
        Assert.Equal(":2\r\n", _h.Run("ZREVRANK", "z", "a"));
        Assert.Equal("$-1\r\n", _h.Run("ZRANK", "z", "x"));
        _h.Resp3 = true;
        Assert.Equal("*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n", _h.Run("ZRANGE", "z", "0", "1", "WITHSCORES"));
        Assert.Equal("*2\r\n,1\r\n_\r\n", _h.Run("ZMSCORE", "z", "a", "x"));
        Assert.Equal(",3\r\n", _h.Run("ZSCORE", "z", "c"));
    }

    [Fact]
    public void ScoreRangesWithExclusiveBoundsInfinitiesAndLimit()
    {
        _h.Run("ZADD", "z", "-inf", "m", "1", "a", "2", "b", "3", "c", "inf", "n");
        Assert.Equal(Bulks("b", "c"), _h.Run("ZRANGEBYSCORE", "z", "(1", "3"));
        Assert.Equal(Bulks("c", "b"), _h.Run("ZREVRANGEBYSCORE", "z", "3", "(1"));
        Assert.Equal(Bulks("b", "c"), _h.Run("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "2"));
        Assert.Equal(Bulks("c", "b"), _h.Run("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2"));
        Assert.Equal(Bulks("n"), _h.Run("ZRANGE", "z", "(3", "inf", "BYSCORE", "LIMIT", "0", "-1"));
        Assert.Equal("*0\r\n", _h.Run("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "-1", "2"));
        Assert.Equal("*0\r\n", _h.Run("ZRANGEBYSCORE", "z", "(2", "2"));
        // As strtod reads them: an empty bound is 0, leading spaces are skipped (trailing ones are not).
        Assert.Equal(Bulks("a"), _h.Run("ZRANGEBYSCORE", "z", "", " 1"));
        Assert.Equal(":3\r\n", _h.Run("ZCOUNT", "z", "1", "(inf"));
        Assert.Equal(":0\r\n", _h.Run("ZCOUNT", "missing", "1", "2"));
        Assert.Equal("-ERR min or max is not a float\r\n", _h.Run("ZCOUNT", "z", "1 ", "2"));
        Assert.Equal("-ERR min or max is not a float\r\n", _h.Run("ZRANGE", "z", "a", "b", "BYSCORE", "LIMIT", "0", "1"));
        Assert.Equal("-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n", _h.Run("ZRANGE", "z", "a", "b", "LIMIT", "0", "1"));
        // A LIMIT whose count is -1 passes with a rank range: Redis tells a LIMIT by its count.
        Assert.Equal(Bulks("m"), _h.Run("ZRANGE", "z", "0", "0", "LIMIT", "5", "-1"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("ZRANGEBYSCORE", "z", "0", "1", "REV"));
    }

    [Fact]
    public void LexRanges()
    {
        _h.Run("ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e");
        Assert.Equal(Bulks("c", "d"), _h.Run("ZRANGEBYLEX", "z", "(b", "[d"));
        Assert.Equal(Bulks("c"), _h.Run("ZREVRANGEBYLEX", "z", "[d", "(b", "LIMIT", "1", "1"));
        Assert.Equal(Bulks("a", "b"), _h.Run("ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", "0", "2"));
        Assert.Equal(":5\r\n", _h.Run("ZLEXCOUNT", "z", "-", "+"));
        Assert.Equal(":0\r\n", _h.Run("ZLEXCOUNT", "z", "+", "-"));
        Assert.Equal(":0\r\n", _h.Run("ZLEXCOUNT", "z", "[c", "(c"));
        Assert.Equal("-ERR min or max not valid string range item\r\n", _h.Run("ZLEXCOUNT", "z", "a", "+"));
        Assert.Equal("-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n", _h.Run("ZRANGEBYLEX", "z", "x", "y", "WITHSCORES"));
        Assert.Equal(":2\r\n", _h.Run("ZREMRANGEBYLEX", "z", "[b", "(d"));
        Assert.Equal(Bulks("a", "d", "e"), _h.Run("ZRANGE", "z", "0", "-1"));
    }

    [Fact]
    public void LexRangesOverMixedScoresAreTakenAsRedisTakesThemFromAListpack()
    {
        // Members out of member order: Redis takes the first at or past min, then those within max.
        _h.Run("ZADD", "z", "1", "c", "2", "a", "3", "b");
        Assert.Equal(":0\r\n", _h.Run("ZLEXCOUNT", "z", "[a", "(b"));
        Assert.Equal(Bulks("c", "a", "b"), _h.Run("ZRANGEBYLEX", "z", "[b", "[c"));
        // The first member (c) is past max (b): nothing, as zzlIsInLexRange decides.
        Assert.Equal("*0\r\n", _h.Run("ZREVRANGEBYLEX", "z", "[b", "[a"));
        Assert.Equal(Bulks("b", "a", "c"), _h.Run("ZREVRANGEBYLEX", "z", "[c", "[a"));
    }

    [Fact]
    public void RemovingRangesAndEmptyingAKeyDeletesIt()
    {
        _h.Run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
        Assert.Equal(":2\r\n", _h.Run("ZREMRANGEBYRANK", "z", "-2", "100"));
        Assert.Equal(":1\r\n", _h.Run("ZREMRANGEBYSCORE", "z", "(1", "+inf"));
        Assert.Equal(":0\r\n", _h.Run("ZREMRANGEBYRANK", "z", "5", "10"));
        Assert.Equal(":0\r\n", _h.Run("ZREMRANGEBYSCORE", "missing", "0", "1"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", _h.Run("ZREMRANGEBYRANK", "z", "x", "1"));
        Assert.Equal(":1\r\n", _h.Run("ZREM", "z", "a", "zz"));
        Assert.Equal(":0\r\n", _h.Run("EXISTS", "z"));
        Assert.Equal(":0\r\n", _h.Run("ZCARD", "z"));
    }

    [Fact]
    public void PopsInBothProtocols()
    {
        Abc();
        Assert.Equal(Bulks("a", "1"), _h.Run("ZPOPMIN", "z"));
        Assert.Equal(Bulks("c", "3", "b", "2"), _h.Run("ZPOPMAX", "z", "5"));
        Assert.Equal(":0\r\n", _h.Run("EXISTS", "z"));
        Assert.Equal("*0\r\n", _h.Run("ZPOPMIN", "z"));
        Assert.Equal("-ERR value is out of range, must be positive\r\n", _h.Run("ZPOPMIN", "z", "-1"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("ZPOPMIN", "z", "1", "2"));
        Abc();
        Assert.Equal("*0\r\n", _h.Run("ZPOPMIN", "z", "0"));
        Assert.Equal("*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n", _h.Run("ZMPOP", "2", "missing", "z", "MIN"));
        Assert.Equal("*-1\r\n", _h.Run("ZMPOP", "1", "missing", "MAX", "COUNT", "2"));
        Assert.Equal("-ERR numkeys should be greater than 0\r\n", _h.Run("ZMPOP", "0", "z", "MIN"));
        Assert.Equal("-ERR count should be greater than 0\r\n", _h.Run("ZMPOP", "1", "z", "MIN", "COUNT", "0"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("ZMPOP", "1", "z", "LEFT"));
        // The blocking forms answer at once when a key has members (and, with no client to block, as inside MULTI, nil).
        Assert.Equal("*3\r\n$1\r\nz\r\n$1\r\nc\r\n$1\r\n3\r\n", _h.Run("BZPOPMAX", "missing", "z", "0"));
        Assert.Equal("*-1\r\n", _h.Run("BZPOPMIN", "missing", "0"));
        Assert.Equal("*-1\r\n", _h.Run("BZMPOP", "0", "1", "missing", "MIN"));
        Assert.Equal("-ERR timeout is negative\r\n", _h.Run("BZMPOP", "-1", "1", "z", "MIN"));
        _h.Run("ZADD", "z", "3", "c");
        _h.Resp3 = true;
        Assert.Equal("*2\r\n$1\r\nb\r\n,2\r\n", _h.Run("ZPOPMIN", "z"));
        Assert.Equal("*1\r\n*2\r\n$1\r\nc\r\n,3\r\n", _h.Run("ZPOPMAX", "z", "1"));
        Assert.Equal("_\r\n", _h.Run("ZMPOP", "1", "z", "MIN"));
    }

    [Fact]
    public void UnionInterDiffWithWeightsAggregatesAndSetsAsInputs()
    {
        _h.Run("ZADD", "{k}1", "1", "a", "2", "b", "3", "c");
        _h.Run("ZADD", "{k}2", "10", "b", "20", "c", "30", "d");
        _h.Run("SADD", "{k}s", "c", "d", "e");
        Assert.Equal(Bulks("a", "1", "e", "1", "b", "12", "c", "24", "d", "31"), _h.Run("ZUNION", "3", "{k}1", "{k}2", "{k}s", "WITHSCORES"));
        Assert.Equal(Bulks("a", "2", "b", "30", "c", "60", "d", "90"), _h.Run("ZUNION", "2", "{k}1", "{k}2", "WEIGHTS", "2", "3", "AGGREGATE", "MAX", "WITHSCORES"));
        Assert.Equal(Bulks("c", "1"), _h.Run("ZINTER", "3", "{k}1", "{k}2", "{k}s", "AGGREGATE", "MIN", "WITHSCORES"));
        Assert.Equal(Bulks("a", "b"), _h.Run("ZDIFF", "2", "{k}1", "{k}s"));
        Assert.Equal(":2\r\n", _h.Run("ZINTERSTORE", "{k}out", "2", "{k}1", "{k}2"));
        Assert.Equal(Bulks("b", "12", "c", "23"), _h.Run("ZRANGE", "{k}out", "0", "-1", "WITHSCORES"));
        Assert.Equal(":0\r\n", _h.Run("ZDIFFSTORE", "{k}out", "1", "{k}missing"));
        Assert.Equal(":0\r\n", _h.Run("EXISTS", "{k}out"));
        Assert.Equal(":1\r\n", _h.Run("ZINTERCARD", "2", "{k}1", "{k}2", "LIMIT", "1"));
        Assert.Equal(":2\r\n", _h.Run("ZINTERCARD", "2", "{k}1", "{k}2"));
        // 0 * inf is NaN, which counts as 0.
        _h.Run("ZADD", "{k}inf", "inf", "x");
        Assert.Equal(Bulks("x", "0"), _h.Run("ZUNION", "1", "{k}inf", "WEIGHTS", "0", "WITHSCORES"));
        Assert.Equal("-ERR at least 1 input key is needed for 'zunionstore' command\r\n", _h.Run("ZUNIONSTORE", "{k}o", "0", "{k}1"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("ZUNION", "3", "{k}1", "{k}2"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("ZDIFF", "1", "{k}1", "WEIGHTS", "2"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("ZUNIONSTORE", "{k}o", "1", "{k}1", "WITHSCORES"));
        Assert.Equal("-ERR weight value is not a float\r\n", _h.Run("ZUNION", "1", "{k}1", "WEIGHTS", "x"));
        Assert.Equal("-ERR LIMIT can't be negative\r\n", _h.Run("ZINTERCARD", "1", "{k}1", "LIMIT", "x"));
        _h.Run("SET", "{k}str", "v");
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", _h.Run("ZUNION", "2", "{k}1", "{k}str", "AGGREGATE", "nope"));
    }

    [Fact]
    public void RangeStoreReplacesTheDestinationWhateverItHeld()
    {
        Abc();
        _h.Run("SET", "d", "v", "EX", "100");
        Assert.Equal(":2\r\n", _h.Run("ZRANGESTORE", "d", "z", "(1", "+inf", "BYSCORE"));
        Assert.Equal(Bulks("b", "c"), _h.Run("ZRANGE", "d", "0", "-1"));
        Assert.Equal(":-1\r\n", _h.Run("TTL", "d"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES"));
        Assert.Equal(":0\r\n", _h.Run("ZRANGESTORE", "d", "z", "5", "6"));
        Assert.Equal(":0\r\n", _h.Run("EXISTS", "d"));
    }

    [Fact]
    public void EncodingScanRandomMembersAndSort()
    {
        Abc();
        Assert.Equal("$8\r\nlistpack\r\n", _h.Run("OBJECT", "ENCODING", "z"));
        Assert.Equal("+zset\r\n", _h.Run("TYPE", "z"));
        Assert.Equal("*2\r\n$1\r\n0\r\n" + Bulks("a", "1", "b", "2", "c", "3"), _h.Run("ZSCAN", "z", "0"));
        Assert.Equal("*2\r\n$1\r\n0\r\n" + Bulks("b", "2"), _h.Run("ZSCAN", "z", "0", "MATCH", "b"));
        Assert.Equal("*2\r\n$1\r\n0\r\n*0\r\n", _h.Run("ZSCAN", "missing", "-1", "NOSUCHOPTION"));
        Assert.Equal(3, _h.Run("ZRANDMEMBER", "z", "-3", "WITHSCORES").Split("\r\n").Count(l => l.StartsWith('$')) / 2);
        Assert.Equal("$-1\r\n", _h.Run("ZRANDMEMBER", "missing"));
        // SORT reads a sorted set, and converts it to a skiplist as Redis does.
        Assert.Equal(Bulks("c", "b"), _h.Run("SORT", "z", "BY", "nosort", "DESC", "LIMIT", "0", "2"));
        Assert.Equal("$8\r\nskiplist\r\n", _h.Run("OBJECT", "ENCODING", "z"));
        _h.Run("ZADD", "long", "1", new string('x', 65));
        Assert.Equal("$8\r\nskiplist\r\n", _h.Run("OBJECT", "ENCODING", "long"));
    }
}
