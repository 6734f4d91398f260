using System.Diagnostics;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// Every hash, list, set, sorted set and transaction command, with its options and error cases, and scripts and functions, typed into redis-cli against
/// redis-server and against AkkaRedis: the printed output must be the same, line for line.
/// </summary>
public sealed class RedisCliDifferentialTests
{
    private const string Script = """
        HSET h f1 v1 f2 v2
        HSETNX h f1 x
        HMSET h f3 v3
        HGET h f1
        HMGET h f1 nope f3
        HLEN h
        HSTRLEN h f2
        HEXISTS h f9
        HKEYS h
        HVALS h
        HGETALL h
        HINCRBY h n 5
        HINCRBY h f1 1
        HINCRBYFLOAT h fl 1.5
        HINCRBYFLOAT h fl abc
        HDEL h f1 f9
        HRANDFIELD h 0
        HRANDFIELD h 1 WITHVALUES extra
        HSCAN h 0 MATCH f*
        HSET h odd
        RPUSH l a b c
        LPUSH l z
        LPUSHX nolist x
        RPUSHX l d
        LRANGE l 0 -1
        LINDEX l -1
        LSET l 0 y
        LSET l 99 y
        LINSERT l BEFORE b bb
        LINSERT l SIDEWAYS b bb
        LREM l 0 bb
        LPOS l c
        LPOS l c RANK 0
        LTRIM l 0 2
        LLEN l
        LPOP l 2
        RPOP l
        RPOP l -1
        LMOVE l l2 LEFT RIGHT
        RPOPLPUSH l2 l
        LMPOP 2 none l LEFT COUNT 5
        LMPOP 0 l LEFT
        BLPOP l 0.01
        BRPOP l 0.01
        BLMPOP 0.01 1 l RIGHT
        BRPOPLPUSH l l3 0.01
        BLMOVE l l3 LEFT LEFT 0.01
        BLPOP l -1
        SADD s 3 1 2
        SADD s 2
        OBJECT ENCODING s
        SMEMBERS s
        SISMEMBER s 1
        SMISMEMBER s 1 9
        SCARD s
        SREM s 1 9
        SADD s2 2 x
        SINTER s s2
        SINTERCARD 2 s s2 LIMIT 5
        SINTERCARD 0 s
        SDIFF s s2
        SUNIONSTORE u s s2
        SCARD u
        SINTERSTORE i s s2
        SDIFFSTORE d s2 s
        SMEMBERS d
        SMOVE s2 s x
        SPOP s -1
        SPOP s x
        LPOP l x
        SRANDMEMBER s 0
        SSCAN s 0 COUNT 0
        OBJECT ENCODING h
        OBJECT ENCODING l
        TYPE s
        ZADD z 1 a 2 b 3 c -inf m +inf n
        ZADD z XX CH GT 5 a 1 b 9 nope
        ZADD z INCR 0.1 c
        ZADD z NX XX 1 a
        ZADD z LT GT 1 a
        ZADD z 1 a 2
        ZADD z nan a
        ZINCRBY z 2.5 b
        ZINCRBY s 1 a
        ZSCORE z c
        ZMSCORE z a nope n
        ZCARD z
        ZRANK z b
        ZREVRANK z b
        ZRANGE z 0 -1 WITHSCORES
        ZRANGE z (1 +inf BYSCORE LIMIT 1 2 WITHSCORES
        ZRANGE z +inf -inf BYSCORE REV LIMIT 0 2
        ZRANGE z 0 -1 LIMIT 0 1
        ZRANGE z x y BYSCORE
        ZREVRANGE z 0 1
        ZRANGEBYSCORE z -inf (3.1 WITHSCORES
        ZREVRANGEBYSCORE z 5 0 LIMIT 1 1
        ZCOUNT z (1 inf
        ZADD lx 0 a 0 b 0 c 0 d
        ZRANGEBYLEX lx (a [c
        ZREVRANGEBYLEX lx + - LIMIT 1 2
        ZRANGE lx [b + BYLEX
        ZLEXCOUNT lx - (c
        ZLEXCOUNT lx a b
        ZRANGEBYLEX lx - + WITHSCORES
        ZREMRANGEBYLEX lx [a [a
        ZREMRANGEBYRANK lx -1 -1
        ZREMRANGEBYSCORE z 100 +inf
        OBJECT ENCODING z
        ZUNIONSTORE zu 2 z lx WEIGHTS 2 1 AGGREGATE MAX
        ZRANGE zu 0 -1 WITHSCORES
        ZINTER 2 z s WITHSCORES
        ZDIFF 2 z lx
        ZINTERCARD 2 z zu LIMIT 2
        ZUNION 0 z
        ZDIFFSTORE zd 1 nosuchkey
        ZRANGESTORE zr z 1 2
        ZRANGE zr 0 -1
        ZPOPMIN z
        ZPOPMAX z 2
        ZMPOP 3 nosuch lx z MAX COUNT 5
        ZMPOP 1 nosuch MIN
        ZPOPMIN z -1
        ZSCAN zu 0 MATCH *
        ZRANDMEMBER zr 0
        TYPE zu
        SORT zu BY nosort DESC
        OBJECT ENCODING zu
        BZPOPMAX zu 0
        BZMPOP 0 2 nosuch zu MIN COUNT 2
        BZPOPMIN nosuch 0.01
        BZPOPMIN zu -1
        BZMPOP 0 0 zu MIN
        MULTI
        BZPOPMIN nosuch 0
        BZMPOP 0 1 nosuch MAX
        EXEC
        MULTI
        SET t 1
        INCR t
        LPUSH t x
        EXEC
        MULTI
        NOSUCH
        EXEC
        DISCARD
        WATCH t
        UNWATCH
        MULTI
        BLPOP empty 0
        BRPOPLPUSH empty empty2 0
        BLMOVE empty empty2 LEFT LEFT 0
        EXEC
        MULTI
        SET t 2
        EXEC x
        GET t
        PING
        EVAL "return redis.call('set', KEYS[1], ARGV[1])" 1 sk sv
        EVAL "return {KEYS[1], ARGV[1], 3, redis.call('get', KEYS[1]), false, 2.9}" 1 sk x
        EVAL "local r = redis.call('lpush', KEYS[1], 'x') return r" 1 sk
        EVAL "return redis.pcall('lpush', KEYS[1], 'x')" 1 sk
        EVAL "error('x')" 0
        EVAL "return cjson.decode('{\"a\":[1,2]}').a[2]" 0
        SCRIPT LOAD "return 42"
        EVALSHA 1fa00e76656cc152ad327c13fe365858fd7be306 0
        EVALSHA abc x
        EVAL "return 1" 9223372036854775807 a
        LMPOP 9223372036854775807 a LEFT
        LMPOP 4611686018427387905 a LEFT
        SINTERCARD 9223372036854775807 a
        SINTERCARD 2147483648 a
        COMMAND GETKEYS EVAL x 9223372036854775807 a
        COMMAND GETKEYS EVAL x 0
        COMMAND GETKEYS LMPOP 5 a LEFT
        COMMAND GETKEYS PING x
        COMMAND GETKEYS MSET a
        PING
        OBJECT HELP
        SELECT 9223372036854775807
        SELECT 2147483648
        SELECT x
        MOVE k 2147483648
        COPY a b DB 2147483648
        SWAPDB 0 2147483648
        CONFIG HELP
        COMMAND HELP
        FUNCTION HELP
        EVALSHA 1fa00e76656cc152ad327c13fe365858fd7be306 x
        SCRIPT EXISTS 1fa00e76656cc152ad327c13fe365858fd7be306
        FUNCTION LOAD "#!lua name=clilib\nredis.register_function('clif', function(keys, args) return args[1] end)"
        FCALL clif 0 hello
        FCALL clif x
        FCALL noclif x
        FCALL_RO clif 0 hello
        FUNCTION DELETE clilib
        FCALL clif 0 hello
        RPUSH sl 3 1 2 10 -5 2.5
        SORT sl
        SORT sl DESC LIMIT 1 2
        SORT sl ALPHA
        SORT sl LIMIT 10 2
        SORT sl BY nosort DESC LIMIT 1 2
        MSET w_3 30 w_1 10 w_2 5 w_10 -1
        HSET h_3 f 1
        SORT sl BY w_* DESC GET # GET w_* GET h_*->f
        SORT sl BY h_*->f
        SORT sl GET nostar
        SORT sl BY w_* GET h_*->f STORE sdst
        LRANGE sdst 0 -1
        SADD ss b a c
        SORT ss
        SORT ss ALPHA STORE sdst
        LRANGE sdst 0 -1
        SORT nokey STORE sdst
        EXISTS sdst
        SORT h
        SORT_RO sl STORE x
        SORT sl LIMIT 0 x
        SORT sl FOO
        COMMAND GETKEYS SORT sl LIMIT 0 1 GET x STORE d BY y STORE e
        COMMAND GETKEYSANDFLAGS SORT sl STORE d
        ROLE
        EVAL "return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')" 0
        EVAL "return redis.error_reply('-MY own')" 0
        EVAL "redis.sha1hex()" 0
        EVAL "return {redis.sha1hex(nil), redis.sha1hex(5), redis.sha1hex('')}" 0
        EVAL "redis.set_repl(12345)" 0
        SET fl 0x10
        INCRBYFLOAT fl 0x1.8p1
        INCRBYFLOAT fl 1e4933
        INCRBYFLOAT fl 0x
        CONFIG SET list-max-ziplist-size 5
        CONFIG GET list-max-listpack-size
        CONFIG SET list-compress-depth -1
        CONFIG SET save "1 x"
        CONFIG SET client-output-buffer-limit "wrong number"
        CONFIG SET client-output-buffer-limit "master 10mb 10mb 60"
        CONFIG SET client-output-buffer-limit "normal 1mb 2mb x"
        CONFIG SET client-output-buffer-limit "normal 1mb 2mb 60 replica 3mb 4mb 70 pubsub 5mb 6mb 80"
        CONFIG GET client-output-buffer-limit
        CONFIG SET client-output-buffer-limit "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60"
        """;

    private static string RunCli(int port)
    {
        var info = new ProcessStartInfo("redis-cli", $"-p {port} --no-raw")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        process.StandardInput.Write("FLUSHALL\n" + Script.Replace("\r", "") + "\n");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit(60_000);
        return output;
    }

    [Fact]
    public void SameOutputAsRedisServer()
    {
        using var redis = new RedisServerProcess();
        using var akka = ServerProcess.Start("--shards", "3");
        var expected = RunCli(redis.Port).Split('\n');
        var actual = RunCli(akka.Port).Split('\n');
        var commands = ("FLUSHALL\n" + Script.Replace("\r", "")).Split('\n');
        for (int i = 0; i < Math.Max(expected.Length, actual.Length); i++)
        {
            var want = i < expected.Length ? expected[i] : "<missing>";
            var got = i < actual.Length ? actual[i] : "<missing>";
            Assert.True(want == got, $"line {i}: redis '{want}' but akkaredis '{got}'\n--- redis:\n{string.Join('\n', expected)}\n--- akkaredis:\n{string.Join('\n', actual)}");
        }
        Assert.True(commands.Length > 80);
        Assert.True(expected.Length > 100, "redis-cli printed too little: " + string.Join('\n', expected));
        Assert.Contains("QUEUED", expected);
        Assert.Contains("(error) EXECABORT Transaction discarded because of previous errors.", expected);
    }
}
