using System.Collections.Concurrent;
using System.Text;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// The real server with its AOF: stopped every way (SHUTDOWN, SIGTERM, kill -9 while clients write), started again
/// over the same directory, and checked: every acknowledged write is there and nothing was invented.
/// </summary>
public sealed class PersistenceTests : IDisposable
{
    private readonly string _directory = ServerProcess.NewDataDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private ServerProcess Start(params string[] args) => ServerProcess.Start(["--dir", _directory, .. args]);

    private string IncrementFile => Directory.GetFiles(Path.Combine(_directory, "appendonlydir"), "*.incr.aof").Order().Last();

    [Fact]
    public async Task ClientsConnectingWhileTheAofLoadsAreAnsweredLoading()
    {
        // An AOF long enough to load for a while: clients that connect meanwhile get LOADING for commands not flagged
        // loading (PING, GET), while those flagged loading (ECHO) run; once loaded, everything is there.
        const int keys = 1_000_000;
        var aofDirectory = Path.Combine(_directory, "appendonlydir");
        Directory.CreateDirectory(aofDirectory);
        using (var file = new BufferedStream(File.Create(Path.Combine(aofDirectory, "appendonly.aof.1.incr.aof")), 1 << 20))
        {
            file.Write("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"u8);
            for (int i = 0; i < keys; i++)
            {
                var key = $"key:{i}";
                file.Write(Encoding.ASCII.GetBytes($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n$3\r\nval\r\n"));
            }
        }
        File.WriteAllBytes(Path.Combine(aofDirectory, "appendonly.aof.1.base.aof"), []);
        File.WriteAllText(Path.Combine(aofDirectory, "appendonly.aof.manifest"),
            "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");

        int port = PostgresInstance.FreePort();
        // One shard replays while the other core serves the early client. key-load-delay (a usleep after one command in
        // 20, as Redis's tests use it) keeps the load going for seconds, however fast the machine reads the file.
        using var server = ServerProcess.StartEarly(port, "--dir", _directory, "--appendonly", "yes", "--shards", "1", "--key-load-delay", "-20");
        RespClient? early = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (early == null && !server.Ready.IsCompleted && DateTime.UtcNow < deadline)
        {
            try
            {
                early = new RespClient(port);
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(2);
            }
        }
        Assert.NotNull(early); // the listener opens before the load ends
        using (early)
        {
            Assert.Equal(new RespClient.RespError("LOADING Redis is loading the dataset in memory"), early.Call("PING"));
            Assert.Equal(new RespClient.RespError("LOADING Redis is loading the dataset in memory"), early.Call("GET", "key:1"));
            Assert.Equal("hello", early.Call("ECHO", "hello"));
            await server.Ready.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal("PONG", early.Call("PING"));
            Assert.Equal((long)keys, early.Call("DBSIZE"));
            Assert.Equal("val", early.Call("GET", "key:12345"));
        }
        Assert.Contains(server.Output, line => line.Contains($"DB loaded from append only file: {keys} keys"));
    }

    /// <summary>Writes keys of every type in two databases; returns what each key must read back as.</summary>
    private static Dictionary<string, string> WriteEveryType(RespClient client)
    {
        var expected = new Dictionary<string, string>();
        for (int i = 0; i < 200; i++)
        {
            client.Call("SET", $"s{i}", $"v{i}");
            client.Call("RPUSH", $"l{i % 10}", $"e{i}");
            client.Call("HSET", $"h{i % 10}", $"f{i}", $"{i}");
            client.Call("SADD", $"set{i % 10}", $"{i}");
            client.Call("ZADD", $"z{i % 10}", $"{i * 0.5}", $"m{i}");
            client.Call("INCRBY", "counter", "2");
            // hll0 gets 4000 elements and turns dense; hll1 gets 200 and stays sparse.
            client.Call(["PFADD", "hll0", .. Enumerable.Range(0, 20).Select(j => $"e{i * 20 + j}")]);
            client.Call("PFADD", "hll1", $"e{i}");
        }
        client.Call("PFCOUNT", "hll1"); // caches the count in the value
        // Longer than 20 bytes and repetitive: RDB files and DUMP payloads hold it LZF-compressed (rdbcompression yes).
        client.Call("SET", "long", string.Concat(Enumerable.Repeat("compressible ", 40)));
        client.Call("MSET", "m1", "a", "m2", "b", "m3", "c");
        client.Call("RENAME", "s0", "renamed");
        client.Call("LMOVE", "l1", "l2", "LEFT", "LEFT");
        client.Call("SPOP", "set3");
        client.Call("ZPOPMIN", "z3", "2");
        client.Call("ZINCRBY", "z4", "100.25", "m4");
        client.Call("ZMPOP", "2", "nokey", "z5", "MAX");
        client.Call("EXPIRE", "s1", "1000");
        client.Call("SELECT", "7");
        client.Call("SET", "db7", "seven");
        client.Call("SELECT", "0");
        foreach (var key in Keys(client)) expected[key] = Describe(client, key);
        client.Call("SELECT", "7");
        expected["7:db7"] = Describe(client, "db7");
        client.Call("SELECT", "0");
        return expected;
    }

    /// <summary>BGREWRITEAOF, waited for.</summary>
    private static void Rewrite(RespClient client)
    {
        Assert.Equal("Background append only file rewriting started", client.Call("BGREWRITEAOF"));
        while (((string)client.Call("INFO", "persistence")!).Contains("aof_rewrite_in_progress:1")) Thread.Sleep(20);
    }

    /// <summary>A rewrite, then a write that goes to the increment after it (in the AOF before it is answered).</summary>
    private static void RewriteThenWrite(RespClient client, Dictionary<string, string> expected)
    {
        Rewrite(client);
        client.Call("SET", "after-rewrite", "x");
        expected["after-rewrite"] = "string:x:";
    }

    private static List<string> Keys(RespClient client) => ((List<object?>)client.Call("KEYS", "*")!).Select(k => (string)k!).ToList();

    /// <summary>A key's type, value and whether it has a TTL, as text.</summary>
    private static string Describe(RespClient client, string key)
    {
        var type = (string)client.Call("TYPE", key)!;
        string value = type switch
        {
            "string" => (string)client.Call("GET", key)!,
            "list" => string.Join(",", (List<object?>)client.Call("LRANGE", key, "0", "-1")!),
            "hash" => string.Join(",", ((List<object?>)client.Call("HGETALL", key)!).Chunk(2).Select(p => $"{p[0]}={p[1]}").Order()),
            "set" => string.Join(",", ((List<object?>)client.Call("SMEMBERS", key)!).Select(m => (string)m!).Order()),
            "zset" => string.Join(",", (List<object?>)client.Call("ZRANGE", key, "0", "-1", "WITHSCORES")!),
            _ => "?",
        };
        bool volatileKey = (long)client.Call("TTL", key)! > 0;
        return $"{type}:{value}:{(volatileKey ? "ttl" : "")}";
    }

    private static Dictionary<string, string> ReadBack(RespClient client)
    {
        var actual = new Dictionary<string, string>();
        foreach (var key in Keys(client)) actual[key] = Describe(client, key);
        client.Call("SELECT", "7");
        foreach (var key in Keys(client)) actual["7:" + key] = Describe(client, key);
        client.Call("SELECT", "0");
        return actual;
    }

    [Theory]
    [InlineData("shutdown")]
    [InlineData("sigterm")]
    [InlineData("kill")]
    public void EveryTypeSurvivesAStop(string how)
    {
        Dictionary<string, string> expected;
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            expected = WriteEveryType(client);
            switch (how)
            {
                case "shutdown":
                    client.SendRaw(RespClient.Encode("SHUTDOWN"));
                    Assert.True(server.WaitForExit(TimeSpan.FromSeconds(20)));
                    break;
                case "sigterm":
                    using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", server.ProcessId.ToString()]))
                        kill.WaitForExit(5000);
                    Assert.True(server.WaitForExit(TimeSpan.FromSeconds(20)));
                    break;
                default:
                    server.Kill(); // SIGKILL
                    break;
            }
        }
        using (var server = Start("--shards", "3"))
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(expected, ReadBack(client));
            Assert.Contains(server.Output, line => line.Contains($"DB loaded from append only file: {expected.Count} keys"));
        }
    }

    /// <summary>
    /// A process crash loses nothing acknowledged under everysec either: a write reaches the kernel before its reply
    /// (only a power cut may lose the last second), whether the journal wrote it itself or the writer's task did.
    /// </summary>
    [Theory]
    [InlineData("always")]
    [InlineData("everysec")]
    public async Task KillNineWhileClientsWriteLosesNoAcknowledgedWrite(string fsync)
    {
        var acknowledged = new ConcurrentDictionary<string, string>();
        var attempted = new ConcurrentDictionary<string, string>();
        var pushed = new ConcurrentDictionary<int, int>();
        using (var server = Start("--appendfsync", fsync, "--shards", "3"))
        {
            var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 6).Select(w => BlockingWork.Run(() =>
            {
                using var client = new RespClient(server.Port);
                try
                {
                    for (int i = 0; !stop.IsCancellationRequested; i++)
                    {
                        var key = $"w{w}:{i}";
                        attempted[key] = $"value-{w}-{i}";
                        client.Call("SET", key, $"value-{w}-{i}");
                        acknowledged[key] = $"value-{w}-{i}";
                        client.Call("RPUSH", $"list{w}", i.ToString());
                        pushed[w] = i + 1;
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or EndOfStreamException)
                {
                    // The server was killed under us: what was acknowledged before is what counts.
                }
            })).ToArray();
            while (acknowledged.Count < 3000) await Task.Delay(20);
            server.Kill();
            await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(30));
        }
        using (var server = Start("--shards", "2"))
        {
            using var client = new RespClient(server.Port);
            foreach (var (key, value) in acknowledged) Assert.Equal(value, client.Call("GET", key));
            var present = Keys(client).Where(k => k.StartsWith('w')).ToList();
            foreach (var key in present) Assert.True(attempted.ContainsKey(key), $"invented key {key}");
            foreach (var (w, count) in pushed)
            {
                var list = ((List<object?>)client.Call("LRANGE", $"list{w}", "0", "-1")!).Select(e => int.Parse((string)e!)).ToList();
                // Every acknowledged push is there, in order, and at most the one in flight besides.
                Assert.True(list.Count >= count && list.Count <= count + 1, $"list{w}: {list.Count} elements for {count} acknowledged pushes");
                Assert.Equal(Enumerable.Range(0, list.Count), list);
            }
        }
    }

    [Fact]
    public void ACommandCutOffByACrashIsDroppedAndTheRestLoads()
    {
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            client.Call("SET", "a", "1");
            client.Call("SET", "b", "2");
            server.Kill();
        }
        long whole = new FileInfo(IncrementFile).Length;
        File.AppendAllText(IncrementFile, "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\nhal");
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            Assert.Equal("1", client.Call("GET", "a"));
            Assert.Equal("2", client.Call("GET", "b"));
            Assert.Null(client.Call("GET", "c"));
            Assert.Contains(server.Output, line => line.Contains("aof-load-truncated"));
            Assert.Equal(whole, new FileInfo(IncrementFile).Length);
            // Writes after the repair append to a whole file.
            client.Call("SET", "c", "3");
            server.Kill();
        }
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            Assert.Equal("3", client.Call("GET", "c"));
        }
    }

    [Fact]
    public void DamageInTheMiddleRefusesToStartWithTheFileAndOffset()
    {
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            client.Call("SET", "a", "1");
            server.Kill();
        }
        long offset = new FileInfo(IncrementFile).Length;
        File.AppendAllText(IncrementFile, "this is not RESP\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
        var e = Assert.Throws<InvalidOperationException>(() => Start());
        Assert.Contains($"{Path.GetFileName(IncrementFile)} at offset {offset}", e.Message);

        using var loaded = Start("--aof-load-damaged", "yes");
        using var again = new RespClient(loaded.Port);
        Assert.Equal("1", again.Call("GET", "a"));
        Assert.Null(again.Call("GET", "b"));
    }

    [Fact]
    public async Task RewritesDuringWritesLoseNothing()
    {
        var acknowledged = new ConcurrentDictionary<string, long>();
        using (var server = Start("--shards", "3"))
        {
            var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(w => BlockingWork.Run(() =>
            {
                using var client = new RespClient(server.Port);
                for (int i = 0; !stop.IsCancellationRequested; i++)
                {
                    var key = $"counter{i % 50}:{w}";
                    acknowledged[key] = (long)client.Call("INCR", key)!;
                }
            })).ToArray();
            using var admin = new RespClient(server.Port);
            for (int rewrite = 0; rewrite < 3; rewrite++)
            {
                await Task.Delay(300);
                Assert.Equal("Background append only file rewriting started", admin.Call("BGREWRITEAOF"));
                while (((string)admin.Call("INFO", "persistence")!).Contains("aof_rewrite_in_progress:1")) Thread.Sleep(20);
            }
            stop.Cancel();
            await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains("aof_rewrites:3", (string)admin.Call("INFO", "persistence")!);
            server.Kill();
        }
        var files = Directory.GetFiles(Path.Combine(_directory, "appendonlydir")).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["appendonly.aof.4.base.aof", "appendonly.aof.4.incr.aof", "appendonly.aof.manifest"], files);
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            foreach (var (key, value) in acknowledged) Assert.Equal(value.ToString(), client.Call("GET", key));
        }
    }

    [Fact]
    public void RedisServerLoadsOurAppendOnlyFile()
    {
        Dictionary<string, string> expected;
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            expected = WriteEveryType(client);
            RewriteThenWrite(client, expected);
            server.Kill();
        }
        using var redis = new RedisServerProcess(_directory);
        using var redisClient = new RespClient(redis.Port);
        Assert.Equal(expected, ReadBack(redisClient));
    }

    /// <summary>
    /// redis-server 7 rewrites its AOF with an RDB base (aof-use-rdb-preamble yes, its default), and Redis 6 kept one
    /// appendonly.aof in dir that may begin with an RDB: both load here, RDB and the commands after it.
    /// </summary>
    [Fact]
    public void WeLoadRedisServersAppendOnlyFileWithAnRdbBase()
    {
        Dictionary<string, string> expected;
        using (var redis = new RedisServerProcess(_directory))
        {
            using var client = new RespClient(redis.Port);
            expected = WriteEveryType(client);
            Assert.Equal("lib", client.Call("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 'fn' end)"));
            RewriteThenWrite(client, expected);
        }
        Assert.Single(Directory.GetFiles(Path.Combine(_directory, "appendonlydir"), "*.base.rdb"));
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(expected, ReadBack(client));
            Assert.Equal("fn", client.Call("FCALL", "f", "0"));
            // Our rewrite replaces the RDB base with one of commands, and the files stay loadable.
            Rewrite(client);
            server.Kill();
        }
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory, "appendonlydir"), "*.base.rdb"));
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(expected, ReadBack(client));
        }

        // Redis 6's form: one appendonly.aof beside where appendonlydir goes, the preamble and the commands after it. It
        // becomes the base of a manifest, as Redis 7 upgrades it.
        var single = Path.Combine(_directory, "single");
        Directory.CreateDirectory(single);
        Directory.CreateDirectory(Path.Combine(_directory, "rdb"));
        using (var redis = new RedisServerProcess(Path.Combine(_directory, "rdb"), appendOnly: false))
        {
            using var client = new RespClient(redis.Port);
            client.Call("SET", "from-rdb", "1");
            client.Call("EXPIRE", "from-rdb", "1000");
            client.Call("RPUSH", "list", "a", "b");
            Assert.Equal("OK", client.Call("SAVE"));
        }
        var preamble = File.ReadAllBytes(Path.Combine(_directory, "rdb", "dump.rdb"));
        File.WriteAllBytes(Path.Combine(single, "appendonly.aof"),
            [.. preamble, .. System.Text.Encoding.ASCII.GetBytes("*3\r\n$5\r\nRPUSH\r\n$4\r\nlist\r\n$1\r\nc\r\n")]);
        for (int run = 0; run < 2; run++)
        {
            using var server = ServerProcess.Start("--dir", single, "--appendonly", "yes");
            using var client = new RespClient(server.Port);
            Assert.Equal("1", client.Call("GET", "from-rdb"));
            Assert.InRange((long)client.Call("TTL", "from-rdb")!, 900, 1000);
            Assert.Equal(new List<object?>(["a", "b", "c", .. Enumerable.Repeat("d", run)]), client.Call("LRANGE", "list", "0", "-1"));
            client.Call("RPUSH", "list", "d");
        }
        Assert.False(File.Exists(Path.Combine(single, "appendonly.aof")));
        Assert.StartsWith("file appendonly.aof seq 1 type b\n", File.ReadAllText(Path.Combine(single, "appendonlydir", "appendonly.aof.manifest")));
    }

    [Fact]
    public void WithRdbPreambleTheRewrittenBaseIsAnRdbFileThatWeAndRedisServerLoad()
    {
        Dictionary<string, string> expected;
        using (var server = Start("--aof-use-rdb-preamble", "yes"))
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(new List<object?> { "aof-use-rdb-preamble", "yes" }, client.Call("CONFIG", "GET", "aof-use-rdb-preamble"));
            expected = WriteEveryType(client);
            RewriteThenWrite(client, expected);
            server.Kill();
        }
        Assert.Single(Directory.GetFiles(Path.Combine(_directory, "appendonlydir"), "appendonly.aof.2.base.rdb"));
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(expected, ReadBack(client));
            // Switched off at run time, as CONFIG SET does in Redis's tests: the next rewrite writes commands again.
            Assert.Equal("OK", client.Call("CONFIG", "SET", "aof-use-rdb-preamble", "no"));
            Assert.Equal(new RespClient.RespError("ERR CONFIG SET failed (possibly related to argument 'aof-use-rdb-preamble') - argument must be 'yes' or 'no'"),
                client.Call("CONFIG", "SET", "aof-use-rdb-preamble", "maybe"));
        }
        using var redis = new RedisServerProcess(_directory);
        using var redisClient = new RespClient(redis.Port);
        Assert.Equal(expected, ReadBack(redisClient));
    }

    /// <summary>
    /// CONFIG SET appendonly on a server started with its AOF: no stops journaling (a write then is not in the AOF, as in
    /// Redis), yes journals again after a rewrite whose snapshot holds what was written meanwhile (INFO says it is
    /// scheduled until then, which Redis's waitForBgrewriteaof waits for).
    /// </summary>
    [Fact]
    public void AppendOnlyTurnsOffAndOnAtRunTime()
    {
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            client.Call("SET", "before", "1");
            Assert.Equal("OK", client.Call("CONFIG", "SET", "appendonly", "no"));
            Assert.Contains("aof_enabled:0", (string)client.Call("INFO", "persistence")!);
            client.Call("SET", "while-off", "2");
            Assert.Equal("OK", client.Call("CONFIG", "SET", "appendonly", "yes"));
            WaitForRewrite(client);
            Assert.Contains("aof_enabled:1", (string)client.Call("INFO", "persistence")!);
            client.Call("SET", "after-on", "3");
            Assert.Equal("OK", client.Call("CONFIG", "SET", "appendonly", "no"));
            client.Call("SET", "lost", "4");
            server.Kill();
        }
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(new List<object?> { "1", "2", "3", null }, client.Call("MGET", "before", "while-off", "after-on", "lost"));
        }
        // A server started without an AOF turns one on as Redis's does: a rewrite writes the dataset as its base.
        Directory.Delete(Path.Combine(_directory, "appendonlydir"), recursive: true);
        using (var server = Start("--appendonly", "no"))
        {
            using var client = new RespClient(server.Port);
            client.Call("SET", "from-memory", "5");
            Assert.Equal("OK", client.Call("CONFIG", "SET", "appendonly", "yes"));
            WaitForRewrite(client);
            Assert.Contains("aof_enabled:1", (string)client.Call("INFO", "persistence")!);
            client.Call("SET", "journaled", "6");
            server.Kill();
        }
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(new List<object?> { "5", "6" }, client.Call("MGET", "from-memory", "journaled"));
        }
    }

    /// <summary>multi.tcl's "MULTI with BGREWRITEAOF" and "MULTI with config set appendonly": Redis's words for a rewrite asked for inside a transaction.</summary>
    [Fact]
    public void ARewriteAskedForInsideATransactionIsScheduled()
    {
        using (var server = Start("--appendonly", "no"))
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(0, TotalForks(client));
            client.Call("MULTI");
            client.Call("SET", "foo", "bar");
            client.Call("BGREWRITEAOF");
            Assert.Equal(new List<object?> { "OK", "Background append only file rewriting scheduled" }, client.Call("EXEC"));
            WaitForRewrite(client);
            Assert.Contains("aof_last_bgrewrite_status:ok", (string)client.Call("INFO", "persistence")!);
            // What Redis forks a child for is counted as a fork, as the suite's "aofrw didn't start" checks.
            Assert.Equal(1, TotalForks(client));

            client.Call("MULTI");
            client.Call("SET", "foo", "baz");
            client.Call("CONFIG", "SET", "appendonly", "yes");
            Assert.Equal(new List<object?> { "OK", "OK" }, client.Call("EXEC"));
            WaitForRewrite(client);
            Assert.True(SpinWait.SpinUntil(() => server.Output.Any(line =>
                line.Contains("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.")), 5000));
            Assert.Contains("aof_enabled:1", (string)client.Call("INFO", "persistence")!);
            Assert.Equal(2, TotalForks(client));
            Assert.Equal("Background saving started", client.Call("BGSAVE"));
            Assert.Equal(3, TotalForks(client));
            Assert.Matches("latest_fork_usec:\\d+\r\n", (string)client.Call("INFO", "stats")!);
            server.Kill();
        }
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            Assert.Equal("baz", client.Call("GET", "foo"));
        }
    }

    /// <summary>
    /// rdb-key-save-delay (hidden, for tests, as Redis's): a background save or rewrite waits that many microseconds per
    /// key, so tests meet it in progress; 0 ends the wait. As Redis runs one child at a time, a rewrite asked for during
    /// a save is scheduled, and a BGSAVE during a rewrite is refused unless SCHEDULE; the cron starts what was scheduled.
    /// CONFIG SET appendonly no abandons a running rewrite, as Redis kills its child: the AOF stays as it was, and loads.
    /// </summary>
    [Fact]
    public void BackgroundSavesAndRewritesRunOneAtATimeAndARewriteIsAbandonedWhenTheAofIsTurnedOff()
    {
        using (var server = Start("--appendonly", "yes"))
        {
            using var client = new RespClient(server.Port);
            string Persistence() => (string)client.Call("INFO", "persistence")!;
            for (int i = 0; i < 10; i++) client.Call("SET", $"k{i}", "v");
            Assert.Equal("OK", client.Call("CONFIG", "SET", "rdb-key-save-delay", "1000000"));
            Assert.Equal("Background saving started", client.Call("BGSAVE"));
            Assert.Contains("rdb_bgsave_in_progress:1", Persistence());
            Assert.Equal(new RespClient.RespError("ERR Background save already in progress"), client.Call("BGSAVE"));
            Assert.Equal("Background append only file rewriting scheduled", client.Call("BGREWRITEAOF"));
            Assert.Contains("aof_rewrite_scheduled:1", Persistence());
            Assert.Equal("OK", client.Call("CONFIG", "SET", "rdb-key-save-delay", "0"));
            Assert.True(SpinWait.SpinUntil(() => Persistence() is var p && p.Contains("aof_rewrite_scheduled:0") &&
                                                 p.Contains("aof_rewrite_in_progress:0") && p.Contains("rdb_bgsave_in_progress:0"), 10_000));
            Assert.Contains("aof_rewrites:1", (string)client.Call("INFO", "persistence")!);
            Assert.True(File.Exists(Path.Combine(_directory, "dump.rdb")));

            Assert.Equal("OK", client.Call("CONFIG", "SET", "rdb-key-save-delay", "1000000"));
            Assert.Equal("Background append only file rewriting started", client.Call("BGREWRITEAOF"));
            Assert.Equal(new RespClient.RespError("ERR Background append only file rewriting already in progress"), client.Call("BGREWRITEAOF"));
            Assert.Equal(new RespClient.RespError("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."),
                client.Call("BGSAVE"));
            Assert.Equal("Background saving scheduled", client.Call("BGSAVE", "SCHEDULE"));
            Assert.Equal("OK", client.Call("CONFIG", "SET", "appendonly", "no"));
            Assert.True(SpinWait.SpinUntil(() => server.Output.Any(line => line.StartsWith("Killing running AOF rewrite child", StringComparison.Ordinal)), 5000));
            // The abandoned rewrite ends at once; then the cron starts the scheduled save, slowed until the delay is 0.
            Assert.True(SpinWait.SpinUntil(() => Persistence().Contains("rdb_bgsave_in_progress:1"), 5000));
            Assert.Contains("aof_rewrite_in_progress:0", Persistence());
            Assert.Equal("OK", client.Call("CONFIG", "SET", "rdb-key-save-delay", "0"));
            Assert.True(SpinWait.SpinUntil(() => Persistence().Contains("rdb_bgsave_in_progress:0"), 5000));
            Assert.Contains("aof_rewrites:1", (string)client.Call("INFO", "persistence")!);
            server.Kill();
        }
        using (var server = Start("--appendonly", "yes"))
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(10L, client.Call("DBSIZE"));
        }
    }

    private static int TotalForks(RespClient client) =>
        int.Parse(System.Text.RegularExpressions.Regex.Match((string)client.Call("INFO", "stats")!, "total_forks:(\\d+)").Groups[1].Value);

    private static void WaitForRewrite(RespClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (((string)client.Call("INFO", "persistence")!) is var info && (info.Contains("aof_rewrite_scheduled:1") || info.Contains("aof_rewrite_in_progress:1")))
        {
            Assert.True(DateTime.UtcNow < deadline, "the rewrite never ended");
            Thread.Sleep(20);
        }
    }

    [Fact]
    public void WithoutAppendOnlyNothingIsWrittenUntilABgRewriteAofWritesOne()
    {
        using (var server = Start("--appendonly", "no"))
        {
            using var client = new RespClient(server.Port);
            client.Call("SET", "a", "1");
            Assert.Contains("aof_enabled:0", (string)client.Call("INFO", "persistence")!);
            Assert.False(Directory.Exists(Path.Combine(_directory, "appendonlydir")));
            // As Redis: BGREWRITEAOF writes an AOF of the dataset even with the AOF off, which stays off.
            Assert.Equal("Background append only file rewriting started", client.Call("BGREWRITEAOF"));
            WaitForRewrite(client);
            Assert.Contains("aof_enabled:0", (string)client.Call("INFO", "persistence")!);
            client.Call("SET", "b", "2");
            server.Kill();
        }
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(new List<object?> { "1", null }, client.Call("MGET", "a", "b"));
        }
    }

    [Fact]
    public void RestoreIsJournaledAsSentUnlessItsTtlIsRelative()
    {
        // As restoreCommand propagates it: verbatim (options in the client's case), or with a relative TTL made absolute
        // and ABSTTL appended. Redis's expire.tcl reads 'restore foo18 * {*} absttl' back from the AOF.
        long at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 100_000;
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            client.Call("SET", "source", "v");
            var payload = (byte[])client.CallBinary("DUMP", "source")!;
            Assert.Equal("OK", client.CallBinary("restore", "r:abs", at.ToString(), payload, "absttl"));
            Assert.Equal("OK", client.CallBinary("RESTORE", "r:rel", "100000", payload));
            Assert.Equal("OK", client.CallBinary("RESTORE", "r:opts", "0", payload, "replace", "IDLETIME", "5"));
            server.Kill();
        }
        var text = File.ReadAllText(IncrementFile, System.Text.Encoding.Latin1);
        Assert.Matches($"\\$7\r\nrestore\r\n\\$5\r\nr:abs\r\n\\$13\r\n{at}\r\n\\$[0-9]+\r\n[^*]*\r\n\\$6\r\nabsttl\r\n", text);
        Assert.Matches("\\$5\r\nr:rel\r\n\\$13\r\n[0-9]{13}\r\n\\$[0-9]+\r\n[^*]*\r\n\\$6\r\nABSTTL\r\n", text);
        Assert.Matches("\\$6\r\nr:opts\r\n\\$1\r\n0\r\n\\$[0-9]+\r\n[^*]*\r\n\\$7\r\nreplace\r\n\\$8\r\nIDLETIME\r\n\\$1\r\n5\r\n", text);
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(at, client.Call("PEXPIRETIME", "r:abs"));
            Assert.Equal(-1L, client.Call("PTTL", "r:opts"));
            Assert.Equal("v", client.Call("GET", "r:rel"));
        }
    }

    [Fact]
    public void AScriptIsJournaledAsItsEffectsInOneBlock()
    {
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(3L, client.Call("EVAL", "redis.call('set', KEYS[1], 'x') redis.call('rpush', KEYS[2], 'a', 'b', 'c') return redis.call('llen', KEYS[2])", "2", "s:str", "s:list"));
            Assert.Equal(1L, client.Call("EVAL", "return redis.call('sadd', KEYS[1], redis.call('get', KEYS[2]))", "2", "s:set", "s:str"));
            server.Kill();
        }
        var text = File.ReadAllText(IncrementFile);
        Assert.DoesNotContain("EVAL", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nset\r\n$5\r\ns:str\r\n$1\r\nx\r\n", text);
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            Assert.Equal("x", client.Call("GET", "s:str"));
            Assert.Equal(new List<object?> { "a", "b", "c" }, client.Call("LRANGE", "s:list", "0", "-1"));
            Assert.Equal(1L, client.Call("SISMEMBER", "s:set", "x"));
        }
    }

    [Fact]
    public void InfoPersistenceHasRedisFields()
    {
        using var server = Start();
        using var client = new RespClient(server.Port);
        client.Call("SET", "a", "1");
        var info = (string)client.Call("INFO", "persistence")!;
        foreach (var field in new[] { "loading:0", "aof_enabled:1", "aof_rewrite_in_progress:0", "aof_rewrite_scheduled:0",
                     "aof_last_bgrewrite_status:ok", "aof_last_write_status:ok", "aof_rewrites:0", "aof_base_size:", "aof_current_size:" })
            Assert.Contains(field, info);
        long current = long.Parse(info.Split("\r\n").Single(l => l.StartsWith("aof_current_size:"))["aof_current_size:".Length..]);
        Assert.True(current > 0, "the SET is counted in aof_current_size");
    }

    [Fact]
    public void FlushAllWithSavePointsSavesSoFlushedKeysStayGoneAfterACrash()
    {
        using (var server = Start("--appendonly", "no", "--save", "3600 1"))
        {
            using var client = new RespClient(server.Port);
            Assert.Equal("OK", client.Call("MSET", "a", "1", "b", "2"));
            Assert.Equal("lib", client.Call("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 'fn' end)"));
            Assert.Equal("OK", client.Call("SAVE"));
            Assert.Equal("OK", client.Call("FLUSHALL"));
            // As flushAllDataAndResetRDB: the emptied dataset was saved (functions stay), so nothing is left unsaved.
            var persistence = (string)client.Call("INFO", "persistence")!;
            Assert.Contains("rdb_changes_since_last_save:0", persistence);
            Assert.Contains("rdb_last_bgsave_status:ok", persistence);
            server.Kill();
        }
        using (var server = Start("--appendonly", "no", "--save", "3600 1"))
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(0L, client.Call("DBSIZE"));
            Assert.Equal("fn", client.Call("FCALL", "f", "0"));
            // Without save points FLUSHALL saves nothing, and counts the keys it removed as changes, as Redis does.
            Assert.Equal("OK", client.Call("CONFIG", "SET", "save", ""));
            Assert.Equal("OK", client.Call("MSET", "a", "1", "b", "2", "c", "3"));
            long saved = (long)client.Call("LASTSAVE")!;
            Assert.Equal("OK", client.Call("FLUSHALL"));
            Assert.Contains("rdb_changes_since_last_save:6", (string)client.Call("INFO", "persistence")!);
            Assert.Equal(saved, client.Call("LASTSAVE"));
        }
    }

    [Fact]
    public void SaveWritesAnRdbThatWeAndRedisServerLoad()
    {
        Dictionary<string, string> expected;
        using (var server = Start("--appendonly", "no"))
        {
            using var client = new RespClient(server.Port);
            expected = WriteEveryType(client);
            Assert.Equal("lib", client.Call("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 'fn' end)"));
            long before = (long)client.Call("LASTSAVE")!;
            Assert.Equal("OK", client.Call("SAVE"));
            Assert.True((long)client.Call("LASTSAVE")! >= before);
            Assert.Contains("rdb_changes_since_last_save:0", (string)client.Call("INFO", "persistence")!);
            client.Call("SET", "after-save", "lost");
            Assert.Equal("Background saving started", client.Call("BGSAVE"));
            while (((string)client.Call("INFO", "persistence")!).Contains("rdb_bgsave_in_progress:1")) Thread.Sleep(20);
            Assert.Contains("rdb_last_bgsave_status:ok", (string)client.Call("INFO", "persistence")!);
            client.Call("SET", "not-saved", "x");
            expected["after-save"] = "string:lost:";
            server.Kill();
        }
        Assert.False(Directory.Exists(Path.Combine(_directory, "appendonlydir")));
        using (var server = Start("--appendonly", "no", "--shards", "3"))
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(expected, ReadBack(client));
            Assert.Equal("fn", client.Call("FCALL", "f", "0"));
        }
        using var redis = new RedisServerProcess(_directory, appendOnly: false);
        using var redisClient = new RespClient(redis.Port);
        Assert.Equal(expected, ReadBack(redisClient));
        Assert.Equal("fn", redisClient.Call("FCALL", "f", "0"));
    }

    [Fact]
    public void DumpPayloadsRestoreBothWaysBetweenUsAndRedisServerAndRestoreReplaysFromTheAof()
    {
        using var redis = new RedisServerProcess();
        using var redisClient = new RespClient(redis.Port);
        Dictionary<string, string> expected;
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            expected = WriteEveryType(client);
            WriteEveryType(redisClient);
            // Big collections too, which redis-server dumps in its compact encodings.
            client.Call(["RPUSH", "biglist", .. Enumerable.Range(0, 1000).Select(i => $"e{i}")]);
            redisClient.Call(["RPUSH", "biglist", .. Enumerable.Range(0, 1000).Select(i => $"e{i}")]);
            expected["biglist"] = Describe(client, "biglist");
            foreach (var key in expected.Keys.Where(k => !k.StartsWith("7:")))
            {
                var ours = (byte[])client.CallBinary("DUMP", key)!;
                var theirs = (byte[])redisClient.CallBinary("DUMP", key)!;
                Assert.Equal("OK", redisClient.CallBinary("RESTORE", "from-akka:" + key, "0", ours));
                Assert.Equal("OK", client.CallBinary("RESTORE", "from-redis:" + key, "0", theirs));
                Assert.Equal(Describe(client, key).Split(':')[1], Describe(redisClient, "from-akka:" + key).Split(':')[1]);
                Assert.Equal(Describe(redisClient, key).Split(':')[1], Describe(client, "from-redis:" + key).Split(':')[1]);
            }

            // Redis's errors, checked in its order.
            var payload = (byte[])client.CallBinary("DUMP", "counter")!;
            Assert.Equal(new RespClient.RespError("BUSYKEY Target key name already exists."), client.CallBinary("RESTORE", "counter", "0", payload));
            Assert.Equal(new RespClient.RespError("ERR Invalid TTL value, must be >= 0"), client.CallBinary("RESTORE", "new", "-1", payload));
            var damaged = payload.ToArray();
            damaged[0] ^= 1;
            Assert.Equal(new RespClient.RespError("ERR DUMP payload version or checksum are wrong"), client.CallBinary("RESTORE", "new", "0", damaged));
            Assert.Equal(new RespClient.RespError("ERR syntax error"), client.CallBinary("RESTORE", "new", "0", payload, "FREQ", "5", "IDLETIME", "5"));
            Assert.Null(client.Call("DUMP", "no-such-key"));

            // A relative TTL is journaled as absolute: after a restart it has not started again.
            Assert.Equal("OK", client.CallBinary("RESTORE", "restored", "100000", payload));
            Thread.Sleep(1100);
            server.Kill();
        }
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(expected["counter"], Describe(client, "counter"));
            long ttl = (long)client.Call("PTTL", "restored")!;
            Assert.InRange(ttl, 1, 99_000);
        }
    }

    [Fact]
    public void SortStoreIsJournaledAsItsResult()
    {
        using (var server = Start("--shards", "4"))
        {
            using var client = new RespClient(server.Port);
            client.Call("RPUSH", "numbers", "3", "1", "2");
            client.Call("MSET", "weight_1", "30", "weight_2", "20", "weight_3", "10");
            // The destination and the weights live on other shards than the list; each replays on its own.
            Assert.Equal(3L, client.Call("SORT", "numbers", "BY", "weight_*", "STORE", "sorted{other}"));
            Assert.Equal(0L, client.Call("SORT", "missing", "STORE", "gone"));
            server.Kill();
        }
        using (var server = Start("--shards", "4"))
        {
            using var client = new RespClient(server.Port);
            Assert.Equal(new List<object?> { "3", "2", "1" }, client.Call("LRANGE", "sorted{other}", "0", "-1"));
            Assert.Equal(0L, client.Call("EXISTS", "gone"));
        }
    }

    [Fact]
    public void ScriptWritesAfterSetReplNoneAreNotJournaled()
    {
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            client.Call("EVAL", "redis.call('set','a','1'); redis.set_repl(redis.REPL_NONE); redis.call('set','b','2'); " +
                                "redis.set_repl(redis.REPL_AOF); redis.call('set','c','3'); redis.set_repl(redis.REPL_ALL); redis.call('set','d','4')", "0");
            Assert.Equal(new List<object?> { "1", "2", "3", "4" }, client.Call("MGET", "a", "b", "c", "d"));
            // The next script journals again from its start.
            client.Call("EVAL", "redis.call('set','e','5')", "0");
            server.Kill();
        }
        using (var server = Start())
        {
            using var client = new RespClient(server.Port);
            // As Redis's scripting test expects after an AOF reload: b was written with REPL_NONE.
            Assert.Equal(new List<object?> { "1", null, "3", "4", "5" }, client.Call("MGET", "a", "b", "c", "d", "e"));
        }
    }

    [Fact]
    public void SavePointsStartABackgroundSaveByThemselves()
    {
        using (var server = Start("--appendonly", "no"))
        {
            using var client = new RespClient(server.Port);
            long before = (long)client.Call("LASTSAVE")!;
            Assert.Equal("OK", client.Call("CONFIG", "SET", "save", "1 2"));
            client.Call("SET", "one", "1");
            Thread.Sleep(2500);
            Assert.Equal(before, (long)client.Call("LASTSAVE")!);
            Assert.False(File.Exists(Path.Combine(_directory, "dump.rdb")), "one change is fewer than the save point's two");
            client.Call("SET", "two", "2");
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while ((long)client.Call("LASTSAVE")! == before && DateTime.UtcNow < deadline) Thread.Sleep(100);
            Assert.True((long)client.Call("LASTSAVE")! > before, "the save point saved within 10 s");
            Assert.Contains("rdb_changes_since_last_save:0", (string)client.Call("INFO", "persistence")!);
            server.Kill();
        }
        using (var server = Start("--appendonly", "no"))
        {
            using var client = new RespClient(server.Port);
            Assert.Equal("1", client.Call("GET", "one"));
            Assert.Equal("2", client.Call("GET", "two"));
        }
    }

    [Fact]
    public void ADumpRdbWrittenByRedisServerLoads()
    {
        Dictionary<string, string> expected;
        using (var redis = new RedisServerProcess(_directory, appendOnly: false))
        {
            using var client = new RespClient(redis.Port);
            WriteEveryType(client);
            // Beyond the compact encodings' limits: Redis writes these as plain hash, set, sorted set and quicklist nodes.
            for (int i = 0; i < 600; i++)
            {
                client.Call("HSET", "big:hash", $"f{i}", $"{i}");
                client.Call("SADD", "big:set", $"m{i}");
                client.Call("SADD", "big:ints", $"{i * 1000 - 300000}");
                client.Call("RPUSH", "big:list", i % 3 == 0 ? $"{i * -70000}" : new string('v', i));
                client.Call("ZADD", "big:zset", $"{i / 7.0}", $"m{i}");
            }
            client.Call("SET", "big:string", new string('s', 100_000));
            expected = ReadBack(client);
            Assert.Equal("OK", client.Call("SAVE"));
        }
        using var server = Start("--appendonly", "no");
        using var akka = new RespClient(server.Port);
        Assert.Equal(expected, ReadBack(akka));
    }

    [Fact]
    public void ShutdownSaveWritesTheRdbFirst()
    {
        using (var server = Start("--appendonly", "no"))
        {
            using var client = new RespClient(server.Port);
            client.Call("SET", "kept", "by-shutdown-save");
            client.SendRaw(RespClient.Encode("SHUTDOWN", "SAVE"));
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(20)));
        }
        Assert.True(File.Exists(Path.Combine(_directory, "dump.rdb")));
        using var again = Start("--appendonly", "no");
        using var check = new RespClient(again.Port);
        Assert.Equal("by-shutdown-save", check.Call("GET", "kept"));
    }

    [Fact]
    public void AppendFsyncChangesAtRunTime()
    {
        using var server = Start();
        using var client = new RespClient(server.Port);
        Assert.Equal("OK", client.Call("CONFIG", "SET", "appendfsync", "always"));
        Assert.Equal(new List<object?> { "appendfsync", "always" }, client.Call("CONFIG", "GET", "appendfsync"));
        Assert.Equal("OK", client.Call("SET", "after", "switch"));
        Assert.IsType<RespClient.RespError>(client.Call("CONFIG", "SET", "appendfsync", "sometimes"));
        Assert.Equal(new List<object?> { "appendfsync", "always" }, client.Call("CONFIG", "GET", "appendfsync"));
    }

    [Fact]
    public void ARoundOfSocketEventsIsOneWriteToTheAof()
    {
        // As Redis writes its AOF buffer once per event loop round: a pipeline of SETs over both shards, read in one
        // socket event, is one write(2) to the AOF, not one per shard (each shard persists its part on its own).
        // /proc/<pid>/io's syscw counts the process's write(2)s; socket sends are not among them.
        using var server = Start("--appendonly", "yes", "--appendfsync", "everysec", "--shards", "2");
        using var client = new RespClient(server.Port);
        Assert.Equal("OK", client.Call("SET", "warm", "up"));
        var keys = Enumerable.Range(0, 50).Select(i => $"key:{i}").ToArray();
        var pipeline = keys.SelectMany(key => RespClient.Encode("SET", key, "v")).ToArray();
        long writes = 0;
        const int rounds = 5;
        for (int round = 0; round < rounds; round++)
        {
            long before = WriteCalls(server.ProcessId);
            client.SendRaw(pipeline);
            foreach (var _ in keys) Assert.Equal("OK", client.Read());
            writes += WriteCalls(server.ProcessId) - before;
        }
        // One write a round; two would be one per shard. A round split over two reads is allowed once.
        Assert.InRange(writes, rounds, rounds + 1);
        Assert.Equal(new List<object?> { "v", "v" }, client.Call("MGET", keys[0], keys[^1]));

        static long WriteCalls(int pid) =>
            long.Parse(File.ReadLines($"/proc/{pid}/io").First(line => line.StartsWith("syscw:")).Split(':')[1].Trim());
    }
}
