namespace AkkaRedis.Server.Tests;

/// <summary>Connection and server commands through a raw client, errors included.</summary>
public sealed class ConnectionCommandTests(SharedServer server) : IClassFixture<SharedServer>
{
    private readonly int _port = server.Port;
    private static RespClient.RespError Err(string message) => new(message);

    [Fact]
    public void SelectSwitchesDatabase()
    {
        using var c = new RespClient(_port);
        c.Call("SET", "sel:k", "db0");
        Assert.Equal("OK", c.Call("SELECT", "3"));
        Assert.Null(c.Call("GET", "sel:k"));
        Assert.Equal(Err("ERR DB index is out of range"), c.Call("SELECT", "16"));
        Assert.Equal(Err("ERR value is not an integer or out of range"), c.Call("SELECT", "x"));
        Assert.Equal("RESET", c.Call("RESET"));
        Assert.Equal("db0", c.Call("GET", "sel:k"));
    }

    [Fact]
    public void ClientSubcommands()
    {
        using var c = new RespClient(_port);
        using var other = new RespClient(_port);
        Assert.Equal("OK", c.Call("CLIENT", "SETNAME", "tester"));
        Assert.Equal("tester", c.Call("CLIENT", "GETNAME"));
        Assert.Equal(Err("ERR Client names cannot contain spaces, newlines or special characters."), c.Call("CLIENT", "SETNAME", "a b"));
        Assert.Equal("OK", c.Call("CLIENT", "SETINFO", "LIB-NAME", "mylib"));
        var id = Assert.IsType<long>(c.Call("CLIENT", "ID"));
        var info = Assert.IsType<string>(c.Call("CLIENT", "INFO"));
        Assert.Contains($"id={id} ", info);
        Assert.Contains("name=tester", info);
        Assert.Contains("lib-name=mylib", info);
        Assert.Contains("name=tester", Assert.IsType<string>(c.Call("CLIENT", "LIST")));
        Assert.Contains("flags=N ", info);
        // The query buffer holds the command being run (26 bytes, as Redis's test suite expects), nobody else's.
        Assert.Contains(" qbuf=26 ", info);
        var list = Assert.IsType<string>(c.Call("CLIENT", "LIST")).Split('\n');
        Assert.Contains(" qbuf=26 ", list.Single(l => l.StartsWith($"id={id} ")));
        Assert.All(list.Where(l => l.Length > 0 && !l.StartsWith($"id={id} ")), l => Assert.Contains(" qbuf=0 ", l));
        Assert.Equal("OK", c.Call("CLIENT", "NO-EVICT", "on"));
        Assert.Contains("flags=e ", (string)c.Call("CLIENT", "INFO")!);
        Assert.Equal(Err("ERR syntax error"), c.Call("CLIENT", "NO-EVICT", "maybe"));
        Assert.Equal("OK", c.Call("CLIENT", "NO-EVICT", "OFF"));
        var otherId = Assert.IsType<long>(other.Call("CLIENT", "ID"));
        Assert.Equal(1L, c.Call("CLIENT", "KILL", "ID", otherId.ToString()));
        Assert.True(other.IsClosedByServer());
        Assert.Equal(0L, c.Call("CLIENT", "KILL", "ID", id.ToString()));
        Assert.Equal(Err("ERR No such client"), c.Call("CLIENT", "KILL", "1.2.3.4:5"));
        Assert.Equal(Err("ERR unknown subcommand 'NOPE'. Try CLIENT HELP."), c.Call("CLIENT", "NOPE"));
        Assert.Equal(Err("ERR wrong number of arguments for 'client|setname' command"), c.Call("CLIENT", "SETNAME"));
    }

    [Fact]
    public void ConfigGetAndSet()
    {
        using var c = new RespClient(_port);
        Assert.Equal(new List<object?> { "databases", "16" }, c.Call("CONFIG", "GET", "databases"));
        Assert.Equal(new List<object?> { "slave-read-only", "yes" }, c.Call("CONFIG", "GET", "slave-read-only"));
        Assert.Equal(new List<object?>(), c.Call("CONFIG", "GET", "no-such-parameter"));
        Assert.Equal("OK", c.Call("CONFIG", "SET", "hz", "20"));
        Assert.Equal(new List<object?> { "hz", "20" }, c.Call("CONFIG", "GET", "hz"));
        c.Call("CONFIG", "SET", "hz", "10");
        Assert.Equal(Err("ERR Unknown option or number of arguments for CONFIG SET - 'nope'"), c.Call("CONFIG", "SET", "nope", "1"));
        Assert.Equal(Err("ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config"), c.Call("CONFIG", "SET", "port", "1"));
        // introspection.tcl's "CONFIG SET set immutable": start-up-only parameters are known, and refuse another value.
        Assert.Equal(Err("ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"), c.Call("CONFIG", "SET", "daemonize", "yes"));
        Assert.Equal(new List<object?> { "daemonize", "no", "logfile", "" }, c.Call("CONFIG", "GET", "daemonize", "logfile"));
        // A hidden testing knob is found by its exact name only (introspection.tcl's "CONFIG GET hidden configs").
        Assert.Equal(new List<object?> { "key-load-delay", "0" }, c.Call("CONFIG", "GET", "key-load-delay"));
        Assert.DoesNotContain("key-load-delay", (List<object?>)c.Call("CONFIG", "GET", "*")!);
        // This server replicates nothing: replicaof (and its old name slaveof, both matched by a pattern) is empty.
        var replicaof = (List<object?>)c.Call("CONFIG", "GET", "*of")!;
        Assert.Equal(["replicaof", "", "slaveof", ""], Enumerable.Range(0, replicaof.Count / 2)
            .Select(i => ((string)replicaof[2 * i]!, (string)replicaof[2 * i + 1]!)).Order().SelectMany(p => new[] { p.Item1, p.Item2 }));
        Assert.Equal(Err("ERR CONFIG SET failed (possibly related to argument 'replicaof') - can't set immutable config"), c.Call("CONFIG", "SET", "replicaof", "127.0.0.1 6379"));
        // Every parameter may be set to the value it has, as Redis's "CONFIG sanity" test does for all of them.
        var all = (List<object?>)c.Call("CONFIG", "GET", "*")!;
        for (int i = 0; i < all.Count; i += 2)
            Assert.Equal("OK", c.Call("CONFIG", "SET", (string)all[i]!, (string)all[i + 1]!));
        Assert.Equal(all, c.Call("CONFIG", "GET", "*"));
        Assert.Equal(Err("ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"), c.Call("CONFIG", "SET", "hz", "fast"));
        Assert.Equal(Err("ERR wrong number of arguments for 'config|set' command"), c.Call("CONFIG", "SET", "hz", "1", "lfu-log-factor"));
        // Redis's test suite sets these before its list tests (start_server overrides go through CONFIG SET).
        Assert.Equal("OK", c.Call("CONFIG", "SET", "list-max-ziplist-size", "5", "list-compress-depth", "2"));
        Assert.Equal(new List<object?> { "list-max-listpack-size", "5", "list-max-ziplist-size", "5", "list-compress-depth", "2" },
            c.Call("CONFIG", "GET", "list-*"));
        Assert.Equal("OK", c.Call("CONFIG", "SET", "save", "100 10 200 20"));
        Assert.Equal(new List<object?> { "save", "100 10 200 20" }, c.Call("CONFIG", "GET", "save"));
        Assert.Equal(Err("ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"), c.Call("CONFIG", "SET", "save", "100"));
        Assert.Equal("OK", c.Call("CONFIG", "SET", "save", ""));
        Assert.Equal(new List<object?> { "save", "" }, c.Call("CONFIG", "GET", "save"));
        // introspection.tcl's "CONFIG SET with multiple args": repl-backlog-size is kept and reported (there are no replicas).
        Assert.Equal("OK", c.Call("CONFIG", "SET", "repl-backlog-size", "10000002", "maxmemory-samples", "6"));
        Assert.Equal(new List<object?> { "repl-backlog-size", "10000002" }, c.Call("CONFIG", "GET", "repl-backlog-size"));
        Assert.Contains("repl_backlog_size:10000002", (string)c.Call("INFO", "replication")!);
        Assert.Equal("OK", c.Call("CONFIG", "SET", "repl-backlog-size", "1mb", "maxmemory-samples", "5"));
    }

    [Fact]
    public void CommandIntrospection()
    {
        using var c = new RespClient(_port);
        var count = Assert.IsType<long>(c.Call("COMMAND", "COUNT"));
        Assert.True(count > 50);
        var info = Assert.IsType<List<object?>>(c.Call("COMMAND", "INFO", "get", "nosuch"));
        var get = Assert.IsType<List<object?>>(info[0]);
        Assert.Equal("get", get[0]);
        Assert.Equal(2L, get[1]);
        Assert.Equal(new List<object?> { "readonly", "fast" }, get[2]);
        Assert.Null(info[1]);
        Assert.Equal(new List<object?> { "a", "c" }, c.Call("COMMAND", "GETKEYS", "MSET", "a", "b", "c", "d"));
        Assert.Equal(Err("ERR The command has no key arguments"), c.Call("COMMAND", "GETKEYS", "ECHO", "x"));
        Assert.Equal(Err("ERR Invalid command specified"), c.Call("COMMAND", "GETKEYS", "NOPE", "x"));
        Assert.Equal(Err("ERR wrong number of arguments for 'command|getkeys' command"), c.Call("COMMAND", "GETKEYS", "PING"));
        var all = Assert.IsType<List<object?>>(c.Call("COMMAND"));
        Assert.Equal(count, all.Count);
        Assert.Contains("set", Assert.IsType<List<object?>>(c.Call("COMMAND", "LIST")));
    }

    [Fact]
    public void GetKeysAndFlagsAnswersAsRedisDoes()
    {
        using var redis = new RedisServerProcess(appendOnly: false);
        using var expected = new RespClient(redis.Port);
        using var actual = new RespClient(_port);
        // SET and BITFIELD have flags that depend on their arguments (variable_flags); the rest come from the key specs.
        string[][] commands =
        [
            ["SET", "k1", "v1"], ["SET", "k1", "v1", "GET"], ["SET", "k", "v", "NX", "get"], ["SET", "k", "v", "EX", "10"],
            ["BITFIELD", "k"], ["BITFIELD", "k", "GET", "u8", "0"], ["BITFIELD", "k", "OVERFLOW", "SAT", "GET", "u8", "0"],
            ["BITFIELD", "k", "GET", "u8", "0", "SET", "u8", "0", "1"], ["BITFIELD", "k", "INCRBY", "u8", "0", "1"],
            ["BITFIELD", "k", "foo"], ["BITFIELD", "k", "GET", "u8"], ["BITFIELD_RO", "k", "GET", "u8", "0"],
            ["MSET", "k1", "v1", "k2", "v2"], ["LMOVE", "k1", "k2", "left", "right"], ["SORT", "k1", "STORE", "k2"], ["GET", "k"],
        ];
        foreach (var command in commands)
        {
            string[] full = ["COMMAND", "GETKEYSANDFLAGS", .. command];
            Assert.Equal(expected.Call(full), actual.Call(full));
        }
    }

    [Fact]
    public void InfoSections()
    {
        using var c = new RespClient(_port);
        c.Call("SET", "info:k", "v");
        var all = Assert.IsType<string>(c.Call("INFO"));
        foreach (var section in new[] { "# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# Keyspace" })
            Assert.Contains(section, all);
        Assert.Contains("db0:keys=", all);
        Assert.DoesNotContain("# Commandstats", all);
        var stats = Assert.IsType<string>(c.Call("INFO", "commandstats"));
        Assert.Contains("cmdstat_set:calls=", stats);
        Assert.Equal("", c.Call("INFO", "nosuchsection"));
        // Sections come in Redis's order, whatever order they are asked in (genRedisInfoString).
        string Headers(params string[] sections) =>
            string.Join(" ", ((string)c.Call(["INFO", .. sections])!).Split("\r\n").Where(l => l.StartsWith('#')));
        Assert.Equal("# Server # CPU # Keyspace", Headers("keyspace", "cpu", "server"));
        Assert.Equal("# Server # Commandstats", Headers("commandstats", "server"));
        Assert.Equal("# Server # Clients # Memory # Persistence # Stats # Replication # CPU # Modules # Commandstats # Errorstats # Latencystats # Cluster # Keyspace",
            Headers("all"));
    }

    [Fact]
    public void WaitHasNoReplicasToWaitFor()
    {
        using var c = new RespClient(_port);
        using var other = new RespClient(_port);
        Assert.Equal(0L, c.Call("WAIT", "0", "0"));
        Assert.Equal(Err("ERR timeout is negative"), c.Call("WAIT", "1", "-1"));
        Assert.Equal(Err("ERR timeout is not an integer or out of range"), c.Call("WAIT", "1", "x"));
        // One replica asked for: blocks until the timeout, then none acknowledged.
        Assert.Equal(0L, c.Call("WAIT", "1", "50"));
        // Without a timeout it blocks (commands after it wait) until CLIENT UNBLOCK.
        long id = (long)c.Call("CLIENT", "ID")!;
        c.SendRaw(RespClient.Encode("WAIT", "1", "0"));
        c.SendRaw(RespClient.Encode("SET", "wait:after", "1"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (other.Call("CLIENT", "UNBLOCK", id.ToString()) is 0L && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.Equal(0L, c.Read());
        Assert.Equal("OK", c.Read());
        Assert.Equal("1", other.Call("GET", "wait:after"));
        Assert.Equal("OK", c.Call("MULTI"));
        Assert.Equal("QUEUED", c.Call("WAIT", "5", "0"));
        Assert.Equal(new List<object?> { 0L }, c.Call("EXEC"));
    }

    [Fact]
    public void MemoryUsageSizesKeysWithTheirValues()
    {
        using var c = new RespClient(_port);
        c.Call("SET", "mem:s", new string('x', 1000));
        var text = (long)c.Call("MEMORY", "USAGE", "mem:s")!;
        Assert.InRange(text, 1000 + "mem:s".Length, 2000);
        c.Call(["RPUSH", "mem:l", .. Enumerable.Range(0, 1000).Select(i => new string('e', 100))]);
        // A list of 1000 100-byte elements, sampled (5 by default) or all measured: the same, as they are alike.
        var sampled = (long)c.Call("MEMORY", "USAGE", "mem:l")!;
        Assert.InRange(sampled, 100_000, 200_000);
        Assert.Equal(sampled, c.Call("MEMORY", "USAGE", "mem:l", "SAMPLES", "0"));
        Assert.Null(c.Call("MEMORY", "USAGE", "mem:none"));
        Assert.Equal(Err("ERR syntax error"), c.Call("MEMORY", "USAGE", "mem:s", "SAMPLES", "-1"));
        Assert.Equal(Err("ERR syntax error"), c.Call("MEMORY", "USAGE", "mem:s", "SAMPLES"));
        Assert.Equal(Err("ERR value is not an integer or out of range"), c.Call("MEMORY", "USAGE", "mem:s", "SAMPLES", "x"));
        Assert.Equal("OK", c.Call("MEMORY", "PURGE"));
        Assert.Equal("Stats not supported for the current allocator", c.Call("MEMORY", "MALLOC-STATS"));
    }

    [Fact]
    public void MemoryStatsAndDoctorAnswerInRedisShape()
    {
        using var redis = new RedisServerProcess(appendOnly: false);
        using var akka = ServerProcess.Start("--appendonly", "no", "--shards", "2");
        using var expected = new RespClient(redis.Port);
        using var actual = new RespClient(akka.Port);
        foreach (var command in new[] { new[] { "MEMORY", "HELP" }, ["MEMORY", "STATS", "x"], ["MEMORY", "DOCTOR", "x"], ["MEMORY", "DOCTOR"] })
            Assert.Equal(expected.Call(command), actual.Call(command)); // DOCTOR: both empty

        foreach (var client in new[] { expected, actual })
        {
            client.Call("MSET", "a", "1", "b", "2", "c", "3");
            client.Call("SET", "e", "x", "EX", "100");
            client.Call("SELECT", "3");
            client.Call("SET", "d", "4");
        }
        static List<string> Names(object? reply) => ((List<object?>)reply!).Where((_, i) => i % 2 == 0).Cast<string>().ToList();
        var want = (List<object?>)expected.Call("MEMORY", "STATS")!;
        var got = (List<object?>)actual.Call("MEMORY", "STATS")!;
        Assert.Equal(Names(want), Names(got));
        var stats = Enumerable.Range(0, got.Count / 2).ToDictionary(i => (string)got[2 * i]!, i => got[2 * i + 1]);
        Assert.Equal(Names(want[Names(want).IndexOf("db.0") * 2 + 1]), Names(stats["db.0"]));
        Assert.Equal(5L, stats["keys.count"]);
        Assert.True((long)stats["total.allocated"]! > 0 && (long)stats["peak.allocated"]! >= (long)stats["total.allocated"]!);
        Assert.True((long)stats["dataset.bytes"]! > 0);
        Assert.True(((List<object?>)stats["db.0"]!)[3] is > 0L, "db.0 has a key with an expiry");
        Assert.InRange(double.Parse((string)stats["peak.percentage"]!, System.Globalization.CultureInfo.InvariantCulture), 0.0, 100.0);

        // INFO memory: Redis 7.0's fields in its order, from the same figures.
        static List<string> Fields(object? info) => ((string)info!).Split("\r\n").Where(l => l.Contains(':')).Select(l => l[..l.IndexOf(':')]).ToList();
        Assert.Equal(Fields(expected.Call("INFO", "memory")), Fields(actual.Call("INFO", "memory")));
        var memory = ((string)actual.Call("INFO", "memory")!).Split("\r\n").Where(l => l.Contains(':')).ToDictionary(l => l[..l.IndexOf(':')], l => l[(l.IndexOf(':') + 1)..]);
        Assert.True(long.Parse(memory["used_memory_peak"]) >= long.Parse(memory["used_memory"]));
        Assert.Matches(@"^\d+\.\d\d%$", memory["used_memory_peak_perc"]);
        Assert.Equal("dotnet-gc", memory["mem_allocator"]);

        // With data (tens of megabytes past start-up) the doctor runs its checks, and answers in Redis's words.
        var value = new string('v', 10_000);
        for (int i = 0; i < 3000; i++) actual.Call("SET", "big:" + i, value);
        actual.Call("MEMORY", "PURGE"); // a collection, so the heap's figures are what is live
        var doctor = (string)actual.Call("MEMORY", "DOCTOR")!;
        Assert.True(doctor.StartsWith("Hi Sam, I can't find any memory issue", StringComparison.Ordinal)
                    || doctor.StartsWith("Sam, I detected a few issues in this Redis instance memory implants:", StringComparison.Ordinal), doctor);
    }

    [Fact]
    public void CommandStatsCountTimeForConnectionAndShardCommands()
    {
        using var c = new RespClient(_port);
        Assert.Equal("OK", c.Call("CONFIG", "RESETSTAT"));
        for (int i = 0; i < 2000; i++)
        {
            c.Call("PING");
            c.Call("GET", "stats:k");
        }
        var stats = (string)c.Call("INFO", "commandstats")!;
        foreach (var command in new[] { "ping", "get" })
        {
            var match = System.Text.RegularExpressions.Regex.Match(stats, $@"cmdstat_{command}:calls=(\d+),usec=(\d+),");
            Assert.True(match.Success, stats);
            Assert.Equal("2000", match.Groups[1].Value);
            Assert.True(long.Parse(match.Groups[2].Value) > 0, $"{command} usec is 0: {stats}");
        }
    }

    [Fact]
    public void TimeEchoAuthAndCluster()
    {
        using var c = new RespClient(_port);
        var time = Assert.IsType<List<object?>>(c.Call("TIME"));
        Assert.InRange(long.Parse((string)time[0]!), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60);
        Assert.Equal("hi", c.Call("ECHO", "hi"));
        Assert.Equal(Err("ERR wrong number of arguments for 'ping' command"), c.Call("PING", "a", "b"));
        Assert.Equal(Err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"), c.Call("AUTH", "pw"));
        Assert.Equal(Err("ERR This instance has cluster support disabled"), c.Call("CLUSTER", "NODES"));
    }
}
