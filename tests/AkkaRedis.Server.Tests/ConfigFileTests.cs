using System.Diagnostics;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// redis.conf and redis-server's command line: read as Redis reads them (the parser), and the real process started
/// with a configuration file, as Redis's own test suite and packaged services start redis-server.
/// </summary>
public sealed class ConfigFileTests : IDisposable
{
    private readonly string _directory = ServerProcess.NewDataDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void ArgumentsAreSplitAsSdssplitargsSplitsThem()
    {
        Assert.Equal(["save", "900", "1"], ConfigFile.SplitArgs("save   900\t1"));
        Assert.Equal(["logfile", ""], ConfigFile.SplitArgs("logfile ''"));
        Assert.Equal(["requirepass", "a b\"c\n\u0001"], ConfigFile.SplitArgs("requirepass \"a b\\\"c\\n\\x01\""));
        Assert.Equal(["x", "it's"], ConfigFile.SplitArgs("x 'it\\'s'"));
        Assert.Equal(["notify-keyspace-events", ""], ConfigFile.SplitArgs("notify-keyspace-events \"\""));
        Assert.Null(ConfigFile.SplitArgs("x \"open"));
        Assert.Null(ConfigFile.SplitArgs("x \"closed\"too-soon"));
        Assert.Null(ConfigFile.SplitArgs("x 'open"));
    }

    [Fact]
    public void TheFileComesFirstThenOptionsWithTheirWordsNumberedOnFromTheFile()
    {
        var path = Path.Combine(_directory, "redis.conf");
        var included = Path.Combine(_directory, "more.conf");
        File.WriteAllText(included, "hz 20\n");
        File.WriteAllText(path, $"# comment\n\n  port 7000\ninclude {included}\nsave 900 1\n");
        var (directives, file) = ConfigFile.FromCommandLine([path, "--save", "60", "1000", "--maxmemory-policy", "allkeys-lru"]);
        Assert.Equal(Path.GetFullPath(path), file);
        Assert.Equal(["port 7000", "hz 20", "save 900 1", "save 60 1000", "maxmemory-policy allkeys-lru"],
            directives.Select(d => string.Join(' ', [d.Name, .. d.Args])));
        Assert.Equal([3, 1, 5, 6, 7], directives.Select(d => d.Line));

        var (stdin, none) = ConfigFile.FromCommandLine(["-", "--port", "7001"], () => new StringReader("hz 30\n"));
        Assert.Null(none);
        Assert.Equal(["hz 30", "port 7001"], stdin.Select(d => string.Join(' ', [d.Name, .. d.Args])));
    }

    [Fact]
    public void SavesAddUpAndAnythingUnknownIsRefusedAsRedisRefusesIt()
    {
        // Settings the actor system starts with become HOCON; other parameters are applied once the configuration exists.
        var line = ServerOptions.ParseCommandLine(["--save", "900", "1", "--save", "300", "10", "--hz", "15", "--slowlog-max-len", "9"]);
        Assert.Equal("900 1 300 10", line.Overrides.GetString("akkaredis.save"));
        Assert.Equal("15", line.Overrides.GetString("akkaredis.hz"));
        Assert.Equal(["slowlog-max-len"], line.Parameters.Select(p => p.Name));
        Assert.Equal("", ServerOptions.ParseCommandLine(["--save", "900", "1", "--save", ""]).Overrides.GetString("akkaredis.save"));
        // Redis's test harness writes an empty save as a bare "save" line: no save points either.
        Assert.Equal("", ServerOptions.ParseCommandLine(["--save", "900", "1", "--save"]).Overrides.GetString("akkaredis.save"));

        var unknown = Assert.Throws<ConfigFile.ConfigException>(() => ServerOptions.ParseCommandLine(["--port", "7000", "--no-such-thing", "1"]));
        Assert.Equal("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'no-such-thing \"1\"'\n" +
                     "Bad directive or wrong number of arguments", unknown.Report());
        var duplicate = Assert.Throws<ConfigFile.ConfigException>(() => ServerOptions.ParseCommandLine(["--user", "foo", "--user", "foo"]));
        Assert.Equal("Error in user declaration 'foo': Duplicate user found. A user can only be defined once in config files", duplicate.Message);
        var config = new AkkaRedis.Keyspace.Server.ServerConfig();
        var badValue = Assert.Throws<ConfigFile.ConfigException>(() =>
            ServerOptions.ApplyParameters(config, ServerOptions.ParseCommandLine(["--activerehashing", "maybe"]).Parameters));
        Assert.Equal("argument must be 'yes' or 'no'", badValue.Message);
        var fixedValue = Assert.Throws<ConfigFile.ConfigException>(() =>
            ServerOptions.ApplyParameters(config, ServerOptions.ParseCommandLine(["--daemonize", "yes"]).Parameters));
        Assert.Equal("'daemonize' can only be 'no' here", fixedValue.Message);
    }

    [Fact]
    public void AServerStartedWithAFileHasItsSettingsItsPidFileAndItsBannerAndRewritesIt()
    {
        // Redis's test suite starts servers this way (tests/assets/default.conf); its start-up looks for " PID: <pid>".
        var path = Path.Combine(_directory, "redis.conf");
        var pidFile = Path.Combine(_directory, "redis.pid");
        File.WriteAllText(path, string.Join('\n',
            "# as Redis's tests write it", "always-show-logo yes", "notify-keyspace-events KEA", "daemonize no",
            $"pidfile {pidFile}", "timeout 0", "loglevel verbose", "logfile ''", "databases 16", "latency-monitor-threshold 1",
            "save 900 1", "rdbcompression yes", "slave-serve-stale-data yes", "appendonly no", "appendfsync everysec",
            "no-appendfsync-on-rewrite no", "activerehashing yes", "enable-protected-configs yes", "enable-debug-command yes",
            "enable-module-command yes", "propagation-error-behavior panic", "repl-diskless-sync-delay 0", ""));
        using (var server = ServerProcess.StartWithConfigFile(path, "--hz", "20"))
        {
            Assert.Contains(server.Output, l => l == $"    PID: {server.ProcessId}");
            Assert.Contains(server.Output, l => l == $"Configuration loaded from {path}");
            Assert.Equal($"{server.ProcessId}\n", File.ReadAllText(pidFile));
            using var c = new RespClient(server.Port);
            Assert.Equal(new List<object?> { "latency-monitor-threshold", "1" }, c.Call("CONFIG", "GET", "latency-monitor-threshold"));
            Assert.Equal(new List<object?> { "hz", "20" }, c.Call("CONFIG", "GET", "hz"));
            Assert.Equal(new List<object?> { "save", "900 1" }, c.Call("CONFIG", "GET", "save"));
            Assert.Equal(new List<object?> { "propagation-error-behavior", "panic" }, c.Call("CONFIG", "GET", "propagation-error-behavior"));
            Assert.Equal(new List<object?> { "slave-serve-stale-data", "yes" }, c.Call("CONFIG", "GET", "slave-serve-stale-data"));
            Assert.Equal(new RespClient.RespError("ERR CONFIG SET failed (possibly related to argument 'enable-module-command') - can't set immutable config"),
                c.Call("CONFIG", "SET", "enable-module-command", "no"));

            // CONFIG REWRITE: the file's lines get the values now; what CONFIG SET changed beyond them is added.
            Assert.Equal("OK", c.Call("CONFIG", "SET", "latency-monitor-threshold", "7", "slowlog-max-len", "99"));
            Assert.Equal("OK", c.Call("CONFIG", "REWRITE"));
            var rewritten = File.ReadAllLines(path);
            Assert.Equal("# as Redis's tests write it", rewritten[0]);
            Assert.Contains("latency-monitor-threshold 7", rewritten);
            Assert.Contains("logfile \"\"", rewritten);
            Assert.Equal("slowlog-max-len 99", rewritten[^1]);
            c.SendRaw(RespClient.Encode("SHUTDOWN", "NOSAVE"));
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(20)));
        }
        Assert.False(File.Exists(pidFile)); // removed at a clean exit

        // Started again from the rewritten file, it has the rewritten values.
        using var again = ServerProcess.StartWithConfigFile(path);
        using var check = new RespClient(again.Port);
        Assert.Equal(new List<object?> { "latency-monitor-threshold", "7" }, check.Call("CONFIG", "GET", "latency-monitor-threshold"));
        Assert.Equal(new List<object?> { "slowlog-max-len", "99" }, check.Call("CONFIG", "GET", "slowlog-max-len"));
    }

    [Fact]
    public void ARewriteOfEveryParameterStartsTheServerAsItWas()
    {
        // introspection.tcl's "CONFIG REWRITE sanity": DEBUG CONFIG-REWRITE-FORCE-ALL, restart, nothing changed.
        var path = Path.Combine(_directory, "redis.conf");
        File.WriteAllText(path, "# minimal\nappendonly no\n");
        Dictionary<string, string> before;
        using (var server = ServerProcess.StartWithConfigFile(path, "--dir", _directory))
        {
            using var c = new RespClient(server.Port);
            Assert.Equal("OK", c.Call("CONFIG", "SET", "save", "100 10 20 5", "notify-keyspace-events", "KEA", "maxmemory-policy", "allkeys-lru"));
            Assert.Equal("OK", c.Call("DEBUG", "CONFIG-REWRITE-FORCE-ALL"));
            before = AllParameters(c);
            c.SendRaw(RespClient.Encode("SHUTDOWN", "NOSAVE"));
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(20)));
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal("# minimal", lines[0]);
        Assert.Contains("hz 10", lines); // a default, written anyway
        Assert.Contains("maxmemory-policy allkeys-lru", lines);
        Assert.DoesNotContain(lines, line => line.StartsWith("key-load-delay", StringComparison.Ordinal)); // hidden

        using var again = ServerProcess.StartWithConfigFile(path, "--dir", _directory);
        using var check = new RespClient(again.Port);
        var after = AllParameters(check);
        // The test gives each start its own port on the command line, which wins over the file.
        before.Remove("port");
        after.Remove("port");
        Assert.Equal(before, after);
    }

    private static Dictionary<string, string> AllParameters(RespClient c)
    {
        var pairs = (List<object?>)c.Call("CONFIG", "GET", "*")!;
        return Enumerable.Range(0, pairs.Count / 2).ToDictionary(i => (string)pairs[2 * i]!, i => (string)pairs[2 * i + 1]!);
    }

    [Fact]
    public void WithoutAFileConfigRewriteSaysSoAndAnyParameterIsAnOption()
    {
        using var server = ServerProcess.Start("--slowlog-log-slower-than", "0", "--latency-tracking-info-percentiles", "50", "99.9");
        using var c = new RespClient(server.Port);
        Assert.Equal(new List<object?> { "slowlog-log-slower-than", "0" }, c.Call("CONFIG", "GET", "slowlog-log-slower-than"));
        Assert.Equal(new List<object?> { "latency-tracking-info-percentiles", "50 99.9" }, c.Call("CONFIG", "GET", "latency-tracking-info-percentiles"));
        Assert.Equal(new RespClient.RespError("ERR The server is running without a config file"), c.Call("CONFIG", "REWRITE"));
    }

    [Fact]
    public void ABadFileStopsTheStartWithRedisReportAndALogFileTakesTheLog()
    {
        var path = Path.Combine(_directory, "bad.conf");
        File.WriteAllText(path, "port 0\nappendonly maybe-not\n");
        var bad = Run(path);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***", bad.Output);
        Assert.Contains("appendonly must be one of yes, no, not 'maybe-not'", bad.Output);

        File.WriteAllText(path, "port 0\nrename-command FLUSHALL \"\"\n");
        bad = Run(path);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("Reading the configuration file, at line 2\n>>> 'rename-command FLUSHALL \"\"'\nBad directive or wrong number of arguments", bad.Output);

        // With a logfile the log goes there: the start-up lines included.
        var logFile = Path.Combine(_directory, "server.log");
        int port = PostgresInstance.FreePort();
        File.WriteAllText(path, $"port {port}\ndir {_directory}\nlogfile {logFile}\n");
        using var process = Process.Start(new ProcessStartInfo("dotnet") { ArgumentList = { ServerProcess.ServerDll, path }, RedirectStandardOutput = true, UseShellExecute = false })!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && !(File.Exists(logFile) && ReadShared(logFile).Contains("Ready to accept connections"))) Thread.Sleep(50);
            Assert.Contains($"pid={process.Id}, just started", ReadShared(logFile));
            using var c = new RespClient(port);
            Assert.Equal(new List<object?> { "logfile", logFile }, c.Call("CONFIG", "GET", "logfile"));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        Assert.Equal("", process.StandardOutput.ReadToEnd());
    }

    private static (int ExitCode, string Output) Run(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(ServerProcess.ServerDll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000));
        return (process.ExitCode, output.Result + error.Result);
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(stream).ReadToEnd();
    }

    [Fact]
    public void NoAppendfsyncOnRewriteLeavesTheAofUnsyncedWhileARewriteRuns()
    {
        var config = new AkkaRedis.Keyspace.Server.ServerConfig { AppendFsync = "always" };
        var status = new AkkaRedis.Persistence.AofStatus { RewriteInProgress = true };
        Assert.Equal("always", RedisServer.FsyncPolicy(config, status));
        config.NoAppendFsyncOnRewrite = true;
        Assert.Equal("no", RedisServer.FsyncPolicy(config, status));
        status.RewriteInProgress = false;
        Assert.Equal("always", RedisServer.FsyncPolicy(config, status));
    }

    [Fact]
    public void ProtectedModeServesOnlyLoopbackWhileTheDefaultUserHasNoPassword()
    {
        // Tests bind to loopback only, so the decision is checked on its own: a client from 10.1.2.3 is refused.
        var config = new AkkaRedis.Keyspace.Server.ServerConfig();
        var table = AkkaRedis.Keyspace.Commands.KeyspaceCommands.Register(new AkkaRedis.Keyspace.Commands.CommandTable.Builder()).Build();
        var acl = new AkkaRedis.Keyspace.Acl.AclUsers(table, config);
        var outside = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.1.2.3"), 5000);
        Assert.True(RedisServer.ProtectedModeRefuses(config, acl, outside));
        Assert.False(RedisServer.ProtectedModeRefuses(config, acl, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 5000)));
        Assert.False(RedisServer.ProtectedModeRefuses(config, acl, new System.Net.IPEndPoint(System.Net.IPAddress.Parse("::ffff:127.0.0.1"), 5000)));
        Assert.False(RedisServer.ProtectedModeRefuses(config, acl, new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, 5000)));
        acl.SetDefaultPassword("secret");
        Assert.False(RedisServer.ProtectedModeRefuses(config, acl, outside));
        acl.SetDefaultPassword("");
        config.ProtectedMode = false;
        Assert.False(RedisServer.ProtectedModeRefuses(config, acl, outside));
    }

    [Fact]
    public void UsersDeclaredInTheFileAreTheServersUsersButNotBesideAnAclFile()
    {
        var path = Path.Combine(_directory, "users.conf");
        File.WriteAllText(path, "user default on nopass ~* &* +@all -flushdb\nuser alice on >wonderland ~a:* +get +set\n");
        using (var server = ServerProcess.StartWithConfigFile(path))
        {
            using var c = new RespClient(server.Port);
            Assert.Equal(new RespClient.RespError("NOPERM this user has no permissions to run the 'flushdb' command"), c.Call("FLUSHDB"));
            Assert.Equal("OK", c.Call("AUTH", "alice", "wonderland"));
            Assert.Equal("OK", c.Call("SET", "a:1", "x"));
            Assert.Equal(new RespClient.RespError("NOPERM this user has no permissions to access one of the keys used as arguments"), c.Call("SET", "b:1", "x"));
        }
        File.WriteAllText(Path.Combine(_directory, "users.acl"), "user default on nopass ~* +@all\n");
        var e = Assert.Throws<InvalidOperationException>(() => ServerProcess.StartWithConfigFile(path, "--aclfile", "users.acl", "--dir", _directory));
        Assert.Contains("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid", e.Message);
    }
}
