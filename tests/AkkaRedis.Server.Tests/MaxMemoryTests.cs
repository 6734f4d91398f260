using System.Text.RegularExpressions;

namespace AkkaRedis.Server.Tests;

/// <summary>maxmemory end to end: each policy keeps the dataset under the limit or refuses writes, with Redis's words.</summary>
public sealed class MaxMemoryTests
{
    private static long Info(RespClient c, string field) =>
        long.Parse(Regex.Match((string)c.Call("INFO")!, $"\r\n{field}:(\\d+)").Groups[1].Value);

    /// <summary>A limit this many bytes above what the server holds now.</summary>
    private static long SetLimitAbove(RespClient c, long headroom)
    {
        long limit = Info(c, "used_memory_startup") + headroom;
        Assert.Equal("OK", c.Call("CONFIG", "SET", "maxmemory", limit.ToString()));
        return limit;
    }

    private static readonly string Value = new('v', 200);

    [Fact]
    public void AllKeysLfuStaysUnderTheLimitAndKeepsTheKeysInUse()
    {
        using var server = ServerProcess.Start("--shards", "3");
        using var c = new RespClient(server.Port);
        c.Call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
        // Factor 0: every access counts, so the keys read below are told from the others without waiting.
        c.Call("CONFIG", "SET", "lfu-log-factor", "0");
        long limit = SetLimitAbove(c, 2_000_000);
        for (int i = 0; i < 100; i++) c.Call("SET", $"hot:{i}", Value);
        for (int round = 0; round < 10; round++)
            for (int i = 0; i < 100; i++) c.Call("GET", $"hot:{i}");
        for (int i = 0; i < 20_000; i++) c.Call("SET", $"cold:{i}", Value);

        Assert.True(Info(c, "used_memory") <= limit + 16_384, $"used {Info(c, "used_memory")} over the limit {limit}");
        Assert.Equal(limit, Info(c, "maxmemory"));
        long keys = (long)c.Call("DBSIZE")!;
        Assert.InRange(keys, 1000, 15_000);
        Assert.True(Info(c, "evicted_keys") >= 20_100 - keys);
        int hotLeft = Enumerable.Range(0, 100).Count(i => (long)c.Call("EXISTS", $"hot:{i}")! == 1);
        Assert.True(hotLeft >= 95, $"{hotLeft} of the 100 keys in use were kept; {keys} of 20100 keys in all");
    }

    [Fact]
    public void NoEvictionRefusesWritesWithOomAndServesReadsAndDeletes()
    {
        using var server = ServerProcess.Start();
        using var c = new RespClient(server.Port);
        Assert.Equal("noeviction", ((List<object?>)c.Call("CONFIG", "GET", "maxmemory-policy")!)[1]);
        SetLimitAbove(c, 200_000);
        int written = 0;
        object? reply = "OK";
        while (reply is "OK" && written < 10_000) reply = c.Call("SET", $"k:{written++}", Value);
        Assert.Equal("OOM command not allowed when used memory > 'maxmemory'.", Assert.IsType<RespClient.RespError>(reply).Message);
        Assert.InRange(written, 300, 2000);
        Assert.Equal(Value, c.Call("GET", "k:0"));
        Assert.IsType<RespClient.RespError>(c.Call("LPUSH", "list", "x"));
        Assert.Equal(1L, c.Call("DEL", "k:0"));
        Assert.Contains("errorstat_OOM:count=2", (string)c.Call("INFO", "errorstats")!);
        Assert.Matches("cmdstat_set:calls=\\d+,.*rejected_calls=1,", (string)c.Call("INFO", "commandstats")!);
        Assert.Equal(0L, Info(c, "evicted_keys"));
        Assert.Equal("OK", c.Call("CONFIG", "SET", "maxmemory", "0"));
        Assert.Equal("OK", c.Call("SET", "after", "x"));
    }

    [Fact]
    public void VolatilePoliciesEvictOnlyKeysWithAnExpiryAndTheJournalForgetsThem()
    {
        var directory = ServerProcess.NewDataDirectory();
        long keysBefore;
        List<long> present;
        using (var server = ServerProcess.Start("--dir", directory, "--appendonly", "yes", "--appendfsync", "always",
                   "--maxmemory-policy", "volatile-ttl"))
        using (var c = new RespClient(server.Port))
        {
            for (int i = 0; i < 200; i++) c.Call("SET", $"keep:{i}", Value);
            SetLimitAbove(c, 400_000);
            // Keys with an expiry make room for one another, nearest expiry first.
            for (int i = 0; i < 3000; i++) Assert.Equal("OK", c.Call("SET", $"temp:{i}", Value, "EX", (1000 + i).ToString()));
            long evicted = Info(c, "evicted_keys");
            Assert.True(evicted > 100, $"{evicted} evicted");
            Assert.Equal(0L, c.Call("EXISTS", "temp:0"));
            Assert.Equal(1L, c.Call("EXISTS", "temp:2999"));
            // Keys without one are written while there are keys with one to evict, then refused.
            int written = 0;
            object? reply = "OK";
            while (reply is "OK" && written < 20_000) reply = c.Call("SET", $"more:{written++}", Value);
            Assert.Equal("OOM command not allowed when used memory > 'maxmemory'.", Assert.IsType<RespClient.RespError>(reply).Message);
            // Refused once the shard that got the write has no key with an expiry left; the other shards may keep a few.
            long expiring = long.Parse(Regex.Match((string)c.Call("INFO", "keyspace")!, "expires=(\\d+)").Groups[1].Value);
            Assert.True(expiring < 100, $"{expiring} keys with an expiry left of 3000");
            Assert.All(Enumerable.Range(0, 200), i => Assert.Equal(1L, c.Call("EXISTS", $"keep:{i}")));
            keysBefore = (long)c.Call("DBSIZE")!;
            present = Enumerable.Range(0, 3000).Select(i => (long)c.Call("EXISTS", $"temp:{i}")!).ToList();
            server.Kill();
        }
        using (var server = ServerProcess.Start("--dir", directory, "--appendonly", "yes"))
        using (var c = new RespClient(server.Port))
        {
            // The evictions were journaled as DELs: the restart has the same keys.
            Assert.Equal(keysBefore, c.Call("DBSIZE"));
            Assert.Equal(present, Enumerable.Range(0, 3000).Select(i => (long)c.Call("EXISTS", $"temp:{i}")!).ToList());
        }
    }

    [Fact]
    public void OverTheLimitACommandThatMayAddDataIsNotQueuedNorAnExecThatHoldsOne()
    {
        // multi.tcl's "EXEC fails if there are errors while queueing commands #2", "EXEC with at least one use-memory
        // command should fail" and "DISCARD should not fail during OOM".
        using var server = ServerProcess.Start();
        using var c = new RespClient(server.Port);
        using var admin = new RespClient(server.Port);
        Assert.Equal("OK", c.Call("MULTI"));
        Assert.Equal("QUEUED", c.Call("SET", "foo1{t}", "bar1"));
        Assert.Equal("OK", admin.Call("CONFIG", "SET", "maxmemory", "1"));
        Assert.Equal("OOM command not allowed when used memory > 'maxmemory'.",
            Assert.IsType<RespClient.RespError>(c.Call("LPUSH", "mylist{t}", "myvalue")).Message);
        Assert.Equal("QUEUED", c.Call("GET", "foo1{t}")); // a read is still queued
        Assert.Equal("OK", admin.Call("CONFIG", "SET", "maxmemory", "0"));
        Assert.Equal("QUEUED", c.Call("SET", "foo2{t}", "bar2"));
        Assert.Equal("EXECABORT Transaction discarded because of previous errors.", Assert.IsType<RespClient.RespError>(c.Call("EXEC")).Message);
        Assert.Equal(0L, c.Call("EXISTS", "foo1{t}", "foo2{t}"));
        Assert.Matches("cmdstat_lpush:calls=0,.*rejected_calls=1,", (string)c.Call("INFO", "commandstats")!);

        // Queued before the limit: EXEC itself is refused, as processCommand judges it by what it queued.
        Assert.Equal("OK", c.Call("MULTI"));
        Assert.Equal("QUEUED", c.Call("SET", "x", "1"));
        Assert.Equal("QUEUED", c.Call("GET", "x"));
        Assert.Equal("OK", admin.Call("CONFIG", "SET", "maxmemory", "1"));
        Assert.Equal("EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.",
            Assert.IsType<RespClient.RespError>(c.Call("EXEC")).Message);
        Assert.Equal(0L, c.Call("EXISTS", "x"));
        Assert.Equal("OK", c.Call("MULTI"));
        Assert.Equal("QUEUED", c.Call("GET", "x"));
        Assert.Equal(new List<object?> { null }, c.Call("EXEC")); // only reads: not refused

        Assert.Equal("OK", c.Call("MULTI"));
        Assert.IsType<RespClient.RespError>(c.Call("SET", "x", "1"));
        Assert.Equal("OK", c.Call("DISCARD"));
        Assert.Equal("OK", admin.Call("CONFIG", "SET", "maxmemory", "0"));
        Assert.Equal("PONG", c.Call("PING"));
    }

    [Fact]
    public void MaxMemoryIsAFlagAndAConfigParameter()
    {
        using var server = ServerProcess.Start("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-random", "--maxmemory-samples", "7");
        using var c = new RespClient(server.Port);
        Assert.Equal("67108864", ((List<object?>)c.Call("CONFIG", "GET", "maxmemory")!)[1]);
        Assert.Equal("7", ((List<object?>)c.Call("CONFIG", "GET", "maxmemory-samples")!)[1]);
        Assert.Contains("maxmemory_human:64.00M", (string)c.Call("INFO", "memory")!);
        Assert.Equal("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
            Assert.IsType<RespClient.RespError>(c.Call("CONFIG", "SET", "maxmemory", "lots")).Message);
        Assert.Equal("OK", c.Call("CONFIG", "SET", "maxmemory", "1gb"));
        Assert.Equal(1073741824L, Info(c, "maxmemory"));
    }
}
