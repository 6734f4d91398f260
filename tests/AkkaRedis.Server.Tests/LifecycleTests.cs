namespace AkkaRedis.Server.Tests;

/// <summary>Start-up, configuration flags and shutdown of the real process.</summary>
public sealed class LifecycleTests
{
    /// <summary>
    /// A shutdown saves dump.rdb when save points are set, unless told not to: SHUTDOWN NOSAVE, or shutdown-on-sigterm
    /// (and shutdown-on-sigint) "nosave"; "save" saves without save points. introspection.tcl sets them.
    /// </summary>
    [Theory]
    [InlineData("SHUTDOWN", "3600 1", "default", true)]
    [InlineData("SHUTDOWN NOSAVE", "3600 1", "default", false)]
    [InlineData("SHUTDOWN", "", "default", false)]
    [InlineData("SIGTERM", "3600 1", "default", true)]
    [InlineData("SIGTERM", "3600 1", "nosave now", false)]
    [InlineData("SIGTERM", "", "save", true)]
    [InlineData("SIGTERM", "", "default", false)]
    public void AShutdownSavesAsItsFlagsAndTheSavePointsSay(string how, string save, string onSigterm, bool saves)
    {
        var directory = ServerProcess.NewDataDirectory();
        using var server = ServerProcess.Start("--dir", directory, "--appendonly", "no", "--save", save, "--shutdown-on-sigterm", onSigterm);
        using (var c = new RespClient(server.Port))
        {
            Assert.Equal(new List<object?> { "shutdown-on-sigterm", onSigterm }, c.Call("CONFIG", "GET", "shutdown-on-sigterm"));
            c.Call("SET", "k", "v");
            if (how.StartsWith("SHUTDOWN", StringComparison.Ordinal)) c.SendRaw(RespClient.Encode(how.Split(' ')));
            else using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", server.ProcessId.ToString()])) kill.WaitForExit(5000);
        }
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Equal(saves, File.Exists(Path.Combine(directory, "dump.rdb")));
    }

    [Fact]
    public void ShutdownOnSignalFlagsAreRedisWords()
    {
        using var server = ServerProcess.Start();
        using var c = new RespClient(server.Port);
        Assert.Equal("OK", c.Call("CONFIG", "SET", "shutdown-on-sigint", "NOW nosave"));
        Assert.Equal(new List<object?> { "shutdown-on-sigint", "nosave now" }, c.Call("CONFIG", "GET", "shutdown-on-sigint"));
        Assert.Equal(new RespClient.RespError("ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigterm') - shutdown options SAVE and NOSAVE can't be used simultaneously"),
            c.Call("CONFIG", "SET", "shutdown-on-sigterm", "save nosave"));
        Assert.Equal(new RespClient.RespError("ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigterm') - argument(s) must be one of the following: default, save, nosave, now, force"),
            c.Call("CONFIG", "SET", "shutdown-on-sigterm", "later"));
        Assert.Equal("OK", c.Call("CONFIG", "SET", "shutdown-on-sigint", "default"));
        Assert.Equal(new List<object?> { "shutdown-on-sigint", "default" }, c.Call("CONFIG", "GET", "shutdown-on-sigint"));
    }

    [Fact]
    public void StartupLineAndFlags()
    {
        using var server = ServerProcess.Start("--shards", "3", "--databases", "4");
        Assert.Contains(server.Output, l => l.Contains("shards=3") && l.Contains("databases=4"));
        using var c = new RespClient(server.Port);
        Assert.Equal(new RespClient.RespError("ERR DB index is out of range"), c.Call("SELECT", "4"));
        Assert.Equal(new List<object?> { "shards", "3" }, c.Call("CONFIG", "GET", "shards"));
        // io-threads defaults to half the cores, at least one.
        Assert.Equal(new List<object?> { "io-threads", Math.Max(1, Environment.ProcessorCount / 2).ToString() }, c.Call("CONFIG", "GET", "io-threads"));
    }

    [Fact]
    public async Task AClientGoneWithRepliesItNeverReadIsLetGo()
    {
        // As Redis's gen_write_load.tcl does: pipeline writes without ever reading the replies, then die (a reset). The
        // replies waiting for it are dropped and it leaves CLIENT LIST. Before, one whose outstanding replies had all come
        // (ready, unwritten) when the reset came was never let go: one in five to fifteen such clients stayed for ever.
        using var server = ServerProcess.Start("--appendonly", "no");
        using var admin = new RespClient(server.Port);
        var name = RespClient.Encode("CLIENT", "SETNAME", "unread");
        var pipeline = Enumerable.Range(0, 20_000).SelectMany(i => RespClient.Encode("SET", $"k{i}", "v")).ToArray();
        for (int round = 0; round < 4; round++)
        {
            var sockets = Enumerable.Range(0, 5).Select(_ =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                socket.Connect(System.Net.IPAddress.Loopback, server.Port);
                socket.Send(name);
                return socket;
            }).ToList();
            var writers = sockets.Select(socket => Task.Run(() =>
            {
                try
                {
                    while (true) socket.Send(pipeline); // blocks once the server, whose replies are unread, stops reading
                }
                catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
                {
                }
            })).ToList();
            await Task.Delay(1000);
            foreach (var socket in sockets)
            {
                socket.LingerState = new System.Net.Sockets.LingerOption(true, 0); // closed with a reset, as a killed process's
                socket.Close();
            }
            await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(10));
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (((string)admin.Call("CLIENT", "LIST")!).Contains("name=unread") && DateTime.UtcNow < deadline) await Task.Delay(50);
            Assert.DoesNotContain("name=unread", (string)admin.Call("CLIENT", "LIST")!);
        }
    }

    [Fact]
    public void PastMaxclientsAConnectionIsAnsweredAndClosed()
    {
        using var server = ServerProcess.Start("--maxclients", "1");
        using var first = new RespClient(server.Port);
        Assert.Equal("PONG", first.Call("PING"));
        using var second = new RespClient(server.Port);
        Assert.Equal("-ERR max number of clients reached", second.ReadRaw().TrimEnd());
        Assert.True(second.IsClosedByServer());
        Assert.Contains("rejected_connections:1", (string)first.Call("INFO", "stats")!);
    }

    [Fact]
    public void IoThreadsSetsTheSocketThreadsAndAnyOfThemServesEveryKind()
    {
        using var server = ServerProcess.Start("--io-threads", "3");
        Assert.Equal(new List<object?> { "io-threads", "3" }, new RespClient(server.Port).Call("CONFIG", "GET", "io-threads"));
        // Connections spread over the three socket threads in turn: each answers reads, writes and a script.
        var clients = Enumerable.Range(0, 6).Select(_ => new RespClient(server.Port)).ToList();
        for (int i = 0; i < clients.Count; i++)
        {
            Assert.Equal("OK", clients[i].Call("SET", $"io:{i}", $"v{i}"));
            Assert.Equal($"v{i}", clients[i].Call("GET", $"io:{i}"));
            Assert.Equal($"v{i}", clients[i].Call("EVAL", "return redis.call('get', KEYS[1])", "1", $"io:{i}"));
        }
        foreach (var client in clients) client.Dispose();
        if (OperatingSystem.IsLinux())
        {
            // Linux names a thread by its first 15 characters; the runtime calls these ".NET Sockets".
            var socketThreads = Directory.GetDirectories($"/proc/{server.ProcessId}/task")
                .Count(task => File.ReadAllText(Path.Combine(task, "comm")).Trim() == ".NET Sockets");
            Assert.Equal(3, socketThreads);
        }
        var e = Assert.Throws<InvalidOperationException>(() => ServerProcess.Start("--io-threads", "129"));
        Assert.Contains("io-threads must be between 0 and 128", e.Message);
    }

    [Fact]
    public void TheJitWarmUpRunsBeforeListeningAndLeavesNothingBehind()
    {
        var directory = ServerProcess.NewDataDirectory();
        try
        {
            using var server = ServerProcess.Start("--dir", directory, "--appendonly", "yes");
            var output = server.Output.ToList();
            int warmed = output.FindIndex(l => l.StartsWith("Warmed up the request path with ", StringComparison.Ordinal));
            int ready = output.FindIndex(l => l.Contains("Ready to accept connections", StringComparison.Ordinal));
            Assert.InRange(warmed, 0, ready - 1);
            Assert.True(long.Parse(output[warmed].Split(' ')[6]) > 0, output[warmed]);

            // Its keys, clients, statistics and journal were its own: this server has seen nothing yet.
            using var c = new RespClient(server.Port);
            Assert.Equal(1L, c.Call("CLIENT", "ID"));
            for (int db = 0; db < 16; db++)
            {
                Assert.Equal("OK", c.Call("SELECT", db.ToString()));
                Assert.Equal(0L, c.Call("DBSIZE"));
            }
            var stats = (string)c.Call("INFO", "everything")!;
            Assert.Contains("total_connections_received:1\r\n", stats);
            Assert.DoesNotContain("cmdstat_lpush", stats);
            Assert.DoesNotContain("cmdstat_set:", stats);
            Assert.Contains("keyspace_hits:0\r\n", stats);
            var increment = Directory.GetFiles(Path.Combine(directory, "appendonlydir"), "*.incr.aof").Single();
            Assert.Equal(0L, new FileInfo(increment).Length);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task WithALargeDatasetToLoadTheJitWarmUpRunsAfterTheLoadAndStillLeavesNothingBehind()
    {
        var directory = ServerProcess.NewDataDirectory();
        try
        {
            // An AOF just past the size from which loading comes first (RedisServer.WarmUpAfterLoadBytes).
            var aof = Path.Combine(directory, "appendonlydir");
            Directory.CreateDirectory(aof);
            var value = new string('x', 100);
            int keys = 0;
            using (var file = new StreamWriter(Path.Combine(aof, "appendonly.aof.1.incr.aof")))
            {
                file.NewLine = "\r\n";
                while (file.BaseStream.Position <= RedisServer.WarmUpAfterLoadBytes)
                {
                    var key = "key:" + keys++;
                    file.Write($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n${value.Length}\r\n{value}\r\n");
                    if (keys % 1000 == 0) file.Flush();
                }
            }
            File.WriteAllBytes(Path.Combine(aof, "appendonly.aof.1.base.aof"), []);
            File.WriteAllText(Path.Combine(aof, "appendonly.aof.manifest"),
                "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
            long loadedBytes = new FileInfo(Path.Combine(aof, "appendonly.aof.1.incr.aof")).Length;

            using var server = ServerProcess.Start("--dir", directory, "--appendonly", "yes");
            for (int i = 0; i < 200 && !server.Output.Any(l => l.StartsWith("Warmed up the request path with ", StringComparison.Ordinal)); i++)
                await Task.Delay(50);
            var output = server.Output.ToList();
            int warmed = output.FindIndex(l => l.StartsWith("Warmed up the request path with ", StringComparison.Ordinal));
            int ready = output.FindIndex(l => l.Contains("Ready to accept connections", StringComparison.Ordinal));
            Assert.True(ready >= 0 && warmed > ready, string.Join("\n", output));

            using var c = new RespClient(server.Port);
            Assert.Equal((long)keys, c.Call("DBSIZE"));
            var stats = (string)c.Call("INFO", "everything")!;
            Assert.DoesNotContain("cmdstat_lpush", stats);
            Assert.Contains("keyspace_hits:0\r\n", stats);
            Assert.Equal(loadedBytes, new FileInfo(Path.Combine(aof, "appendonly.aof.1.incr.aof")).Length);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void JitWarmUpNoStartsWithoutIt()
    {
        using var server = ServerProcess.Start("--jit-warm-up", "no", "--appendonly", "no");
        Assert.Equal("PONG", new RespClient(server.Port).Call("PING"));
        Thread.Sleep(1500); // nor later, beside the first clients (as after a large load)
        Assert.DoesNotContain(server.Output, l => l.StartsWith("Warmed up", StringComparison.Ordinal));
        var e = Assert.Throws<InvalidOperationException>(() => ServerProcess.Start("--jit-warm-up", "maybe"));
        Assert.Contains("jit-warm-up", e.Message);
    }

    [Fact]
    public void IdleClientsAreClosedAfterTimeoutButBlockedOnesAreNot()
    {
        using var server = ServerProcess.Start("--timeout", "1", "--appendonly", "no");
        using var idle = new RespClient(server.Port);
        using var blocked = new RespClient(server.Port);
        Assert.Equal("PONG", idle.Call("PING"));
        blocked.SendRaw(RespClient.Encode("BLPOP", "timeout:list", "0"));
        // The idle client is closed once more than a second passed since its last command (checked every second).
        Thread.Sleep(3500);
        Assert.Throws<EndOfStreamException>(() => idle.Call("PING"));
        // A blocked client is not idle: a push still reaches it.
        using var other = new RespClient(server.Port);
        Assert.Equal(1L, other.Call("RPUSH", "timeout:list", "x"));
        Assert.Equal(new List<object?> { "timeout:list", "x" }, blocked.Read());
        Assert.Equal(new List<object?> { "timeout", "1" }, other.Call("CONFIG", "GET", "timeout"));
    }

    [Fact]
    public async Task APortInUseStopsTheStartWithRedisWords()
    {
        using var first = ServerProcess.Start("--appendonly", "no");
        using var second = ServerProcess.StartEarly(first.Port, "--appendonly", "no");
        await Assert.ThrowsAsync<InvalidOperationException>(() => second.Ready.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.True(second.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains(second.Output, l => l.Contains($"Could not create server TCP listening socket 127.0.0.1:{first.Port}: bind: Address already in use"));
        using var c = new RespClient(first.Port);
        Assert.Equal("PONG", c.Call("PING"));
    }

    [Fact]
    public void ShutdownStopsTheProcess()
    {
        using var server = ServerProcess.Start();
        using var c = new RespClient(server.Port);
        c.SendRaw(RespClient.Encode("SHUTDOWN"));
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void BadFlagsFailWithAMessage()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ServerProcess.Start("--appendfsync", "sometimes"));
        Assert.Contains("appendfsync must be one of always, everysec, no", e.Message);
    }
}
