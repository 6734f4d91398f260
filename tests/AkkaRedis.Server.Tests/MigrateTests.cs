using System.Text.RegularExpressions;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// MIGRATE end to end: keys move to a real redis-server (and back into AkkaRedis) as RESTORE of their DUMP payloads,
/// with Redis's replies and errors; what left is journaled as DEL.
/// </summary>
public sealed class MigrateTests
{
    private static RespClient.RespError Err(string message) => new(message);


    [Fact]
    public void KeysMoveToRedisWithTheirTtlAndLeaveThisServer()
    {
        var directory = ServerProcess.NewDataDirectory();
        using var redis = new RedisServerProcess();
        using var target = new RespClient(redis.Port);
        string port = redis.Port.ToString();
        using (var server = ServerProcess.Start("--dir", directory, "--appendonly", "yes"))
        using (var c = new RespClient(server.Port))
        {
            Assert.Contains("migrate_cached_sockets:0", (string)c.Call("INFO", "stats")!);
            c.Call("SET", "plain", "v");
            c.Call("SET", "expiring", "v", "EX", "100");
            c.Call("RPUSH", "list", "a", "b", "c");
            Assert.Equal("OK", c.Call("MIGRATE", "127.0.0.1", port, "plain", "9", "5000"));
            Assert.Equal(0L, c.Call("EXISTS", "plain"));
            Assert.Contains("migrate_cached_sockets:1", (string)c.Call("INFO", "stats")!);
            Assert.Equal("OK", c.Call("MIGRATE", "127.0.0.1", port, "", "9", "5000", "KEYS", "expiring", "list", "missing"));
            Assert.Equal(0L, c.Call("EXISTS", "expiring", "list"));
            Assert.Equal("NOKEY", c.Call("MIGRATE", "127.0.0.1", port, "missing", "9", "5000"));
            target.Call("SELECT", "9");
            Assert.Equal("v", target.Call("GET", "plain"));
            Assert.InRange((long)target.Call("TTL", "expiring")!, 90, 100);
            Assert.Equal(-1L, target.Call("TTL", "plain"));
            Assert.Equal(new List<object?> { "a", "b", "c" }, target.Call("LRANGE", "list", "0", "-1"));

            // COPY keeps the key here; without REPLACE a key the target has is refused, and stays.
            c.Call("SET", "kept", "here");
            Assert.Equal("OK", c.Call("MIGRATE", "127.0.0.1", port, "kept", "9", "5000", "COPY"));
            Assert.Equal("here", c.Call("GET", "kept"));
            c.Call("SET", "kept", "newer");
            Assert.Equal(Err("ERR Target instance replied with error: BUSYKEY Target key name already exists."),
                c.Call("MIGRATE", "127.0.0.1", port, "kept", "9", "5000"));
            Assert.Equal("newer", c.Call("GET", "kept"));
            Assert.Equal("OK", c.Call("MIGRATE", "127.0.0.1", port, "kept", "9", "5000", "REPLACE"));
            Assert.Equal("newer", target.Call("GET", "kept"));
            server.Kill();
        }
        using (var server = ServerProcess.Start("--dir", directory, "--appendonly", "yes"))
        using (var c = new RespClient(server.Port))
        {
            // What left was journaled as DEL: it does not come back.
            Assert.Equal(0L, c.Call("DBSIZE"));
        }
    }

    [Fact]
    public void OnlyTheKeysTheTargetTookLeave()
    {
        // dump.tcl's "MIGRATE with multiple keys: delete just ack keys".
        using var redis = new RedisServerProcess();
        using var target = new RespClient(redis.Port);
        using var server = ServerProcess.Start("--shards", "4");
        using var c = new RespClient(server.Port);
        c.Call("MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5");
        target.Call("SELECT", "9");
        target.Call("MSET", "c", "_", "d", "_");
        Assert.Equal(Err("ERR Target instance replied with error: BUSYKEY Target key name already exists."),
            c.Call("MIGRATE", "127.0.0.1", redis.Port.ToString(), "", "9", "5000", "KEYS", "a", "b", "c", "d", "e"));
        Assert.Equal(2L, c.Call("DBSIZE"));
        Assert.Equal(2L, c.Call("EXISTS", "c", "d"));
        Assert.Equal(5L, target.Call("DBSIZE"));
    }

    [Fact]
    public void AuthenticationAndFailuresAnswerRedisErrors()
    {
        using var redis = new RedisServerProcess(extraArgs: "--requirepass foobar");
        string port = redis.Port.ToString();
        using var server = ServerProcess.Start();
        using var c = new RespClient(server.Port);
        c.Call("RPUSH", "list", "a", "b");
        Assert.Equal(Err("ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled."),
            c.Call("MIGRATE", "127.0.0.1", port, "list", "0", "5000", "AUTH", "wrong"));
        Assert.Equal(1L, c.Call("EXISTS", "list"));
        Assert.Equal("OK", c.Call("MIGRATE", "127.0.0.1", port, "list", "0", "5000", "AUTH2", "default", "foobar"));
        Assert.Equal(0L, c.Call("EXISTS", "list"));

        c.Call("SET", "k", "v");
        Assert.Equal(Err("ERR syntax error"), c.Call("MIGRATE", "127.0.0.1", port, "k", "0", "5000", "AUTH"));
        Assert.Equal(Err("ERR syntax error"), c.Call("MIGRATE", "127.0.0.1", port, "k", "0", "5000", "SOON"));
        Assert.Equal(Err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"),
            c.Call("MIGRATE", "127.0.0.1", port, "k", "0", "5000", "KEYS", "k"));
        Assert.Equal(Err("ERR value is not an integer or out of range"), c.Call("MIGRATE", "127.0.0.1", port, "k", "0", "soon"));
        Assert.Equal(Err("ERR wrong number of arguments for 'migrate' command"), c.Call("MIGRATE", "127.0.0.1", port, "k", "0"));

        // Nobody listening, and a target that does not answer in time.
        int closed = PostgresInstance.FreePort();
        Assert.Equal(Err("IOERR error or timeout connecting to the client"), c.Call("MIGRATE", "127.0.0.1", closed.ToString(), "k", "0", "500"));
        using var slow = new RedisServerProcess(extraArgs: "--enable-debug-command yes");
        using var sleeper = new RespClient(slow.Port);
        sleeper.SendRaw("*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n1.5\r\n");
        Thread.Sleep(100);
        Assert.Equal(Err("IOERR error or timeout reading to target instance"), c.Call("MIGRATE", "127.0.0.1", slow.Port.ToString(), "k", "0", "300"));
        Assert.Equal("v", c.Call("GET", "k"));
    }

    [Fact]
    public void KeysMoveFromRedisIntoThisServer()
    {
        using var redis = new RedisServerProcess();
        using var source = new RespClient(redis.Port);
        using var server = ServerProcess.Start();
        using var c = new RespClient(server.Port);
        source.Call("HSET", "h", "f", "v");
        source.Call("ZADD", "z", "1.5", "m");
        Assert.Equal("OK", source.Call("MIGRATE", "127.0.0.1", server.Port.ToString(), "", "2", "5000", "KEYS", "h", "z"));
        c.Call("SELECT", "2");
        Assert.Equal(new List<object?> { "f", "v" }, c.Call("HGETALL", "h"));
        Assert.Equal("1.5", c.Call("ZSCORE", "z", "m"));
        Assert.Matches(new Regex("migrate_cached_sockets:1"), (string)source.Call("INFO", "stats")!);
    }
}
