namespace AkkaRedis.Server.Tests;

/// <summary>
/// INFO errorstats, total_error_replies and the failed and rejected calls of INFO commandstats, after the same errors
/// on redis-server and on AkkaRedis: errors inside scripts and transactions, rejected commands, connection errors.
/// </summary>
public sealed class ErrorStatsTests
{
    private static readonly string[][] Commands =
    [
        ["SET", "k"], ["NOSUCH"], ["LPUSH", "l", "a"], ["GET", "l"], ["INCR", "l"],
        ["EVAL", "return redis.pcall('incr', KEYS[1])", "1", "l"], ["EVAL", "return redis.call('incr', KEYS[1])", "1", "l"],
        ["EVAL", "return redis.error_reply('MY own')", "0"],
        ["MULTI"], ["SET", "x"], ["EXEC"], ["MULTI"], ["INCR", "l"], ["EXEC"], ["EXEC"],
        // A connection command failing inside EXEC is a failed call of it, and its error counts.
        ["MULTI"], ["SET", "a", "b"], ["AUTH", "a"], ["EXEC"],
        ["SELECT", "99"], ["CLIENT", "NOSUCH"], ["EVALSHA", new string('a', 40), "0"], ["BLPOP", "l", "-1"],
        // A script's calls refused before they run are rejected calls, and a connection command it calls is a call.
        ["EVAL_RO", "return redis.call('set', KEYS[1], 'y')", "1", "x"], ["EVAL_RO", "return redis.pcall('set', KEYS[1], 'y')", "1", "x"],
        ["EVAL", "return redis.call('select', 99)", "0"], ["EVAL", "local t = redis.pcall('select', 99) return 1", "0"],
        ["EVAL", "return redis.call('nosuch')", "0"], ["EVAL", "return redis.error_reply('')", "0"],
        // Over maxmemory: a script's first data-adding call, and a script declaring flags without allow-oom, are refused.
        ["CONFIG", "SET", "maxmemory", "1"], ["EVAL", "return redis.call('set', KEYS[1], 'y')", "1", "x"],
        ["EVAL", "return redis.pcall('set', KEYS[1], 'y')", "1", "x"], ["EVAL", "#!lua\nreturn 1", "0"],
        ["EVAL", "#!lua flags=allow-oom\nreturn redis.call('set', KEYS[1], 'y')", "1", "x"], ["CONFIG", "SET", "maxmemory", "0"],
        // Writes refused for want of replicas are rejected calls, a script that may write included.
        ["CONFIG", "SET", "min-replicas-to-write", "1"], ["SET", "x", "1"], ["GET", "x"], ["EVAL", "#!lua\nreturn 1", "0"],
        ["EVAL", "return redis.call('set', KEYS[1], 'y')", "1", "x"], ["CONFIG", "SET", "min-replicas-to-write", "0"],
    ];

    private static (string Errors, string Total, string Calls) Run(int port)
    {
        using var client = new RespClient(port);
        client.Call("FLUSHALL");
        client.Call("CONFIG", "RESETSTAT");
        foreach (var command in Commands) client.Call(command);
        // CLIENT UNBLOCK ... ERROR: the blocked BLPOP fails with UNBLOCKED, a failed call and an error.
        using (var blocked = new RespClient(port))
        {
            var id = blocked.Call("CLIENT", "ID")!.ToString()!;
            blocked.SendRaw(RespClient.Encode("BLPOP", "empty", "0"));
            while (!((string)client.Call("INFO", "clients")!).Contains("blocked_clients:1")) Thread.Sleep(10);
            Assert.Equal(1L, client.Call("CLIENT", "UNBLOCK", id, "ERROR"));
            Assert.Equal(new RespClient.RespError("UNBLOCKED client unblocked via CLIENT UNBLOCK"), blocked.Read());
        }
        var errors = ((string)client.Call("INFO", "errorstats")!).Trim();
        var total = ((string)client.Call("INFO", "stats")!).Split("\r\n").Single(l => l.StartsWith("total_error_replies:"));
        // Every figure but the time taken.
        var calls = ((string)client.Call("INFO", "commandstats")!).Split("\r\n").Where(l => l.StartsWith("cmdstat_"))
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"usec=[0-9]+,usec_per_call=[0-9.]+,", ""))
            .Where(l => !l.StartsWith("cmdstat_info:") && !l.StartsWith("cmdstat_config|resetstat:"))
            .Order(StringComparer.Ordinal);
        return (errors, total, string.Join("\n", calls));
    }

    [Fact]
    public void ErrorsAreCountedAsRedisCountsThem()
    {
        using var redis = new RedisServerProcess();
        using var akka = ServerProcess.Start("--shards", "3", "--appendonly", "no");
        var expected = Run(redis.Port);
        var actual = Run(akka.Port);
        Assert.Contains("errorstat_WRONGTYPE:count=", expected.Errors);
        Assert.Equal(expected.Errors, actual.Errors);
        Assert.Equal(expected.Total, actual.Total);
        foreach (var (e, a) in expected.Calls.Split("\n").Zip(actual.Calls.Split("\n"))) Assert.Equal(e, a);
    }
}
