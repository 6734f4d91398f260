using System.Text.RegularExpressions;
namespace AkkaRedis.Server.Tests;

/// <summary>
/// Shards moving between nodes under load: a node killed with kill -9 (its shards restart on the survivors and
/// recover from the shared journal) and a node joining (shards rebalance onto it). Each test has its own cluster.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterFailoverTests
{
    /// <summary>Writes SET key i through one node until stopped, remembering every write that was acknowledged.</summary>
    private sealed class Writer(int port, string prefix, Func<int, string[]>? request = null)
    {
        public readonly List<int> Acknowledged = [];
        public readonly List<string> Errors = [];
        private volatile bool _stop;
        private Thread? _thread;

        public int AcknowledgedCount
        {
            get { lock (Acknowledged) return Acknowledged.Count; }
        }

        public void WaitForAcknowledged(int count, int timeoutSeconds = 90)
        {
            var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
            while (AcknowledgedCount < count)
            {
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"{AcknowledgedCount} of {count} writes acknowledged; errors:\n{string.Join("\n", Errors.Take(20))}");
                Thread.Sleep(50);
            }
        }

        public void Start()
        {
            _thread = new Thread(Run) { IsBackground = true };
            _thread.Start();
        }

        public void Stop()
        {
            _stop = true;
            _thread!.Join();
        }

        private void Run()
        {
            RespClient? client = null;
            for (int i = 0; !_stop; i++)
            {
                try
                {
                    client ??= new RespClient(port);
                    var reply = client.Call(request?.Invoke(i) ?? ["SET", prefix + i, i.ToString()]);
                    if (reply is "OK" or long) lock (Acknowledged) Acknowledged.Add(i);
                    else lock (Errors) Errors.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {prefix}{i}: {reply}");
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
                {
                    // No reply: the write may or may not have happened; it is not counted as acknowledged.
                    lock (Errors) Errors.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {prefix}{i}: {e.Message}");
                    client?.Dispose();
                    client = null;
                }
            }
            client?.Dispose();
        }
    }

    private static void AssertAllReadable(ClusterNodes cluster, int node, string prefix, List<int> acknowledged)
    {
        using var client = new RespClient(cluster.Port(node));
        foreach (int i in acknowledged) Assert.Equal(i.ToString(), client.Call("GET", prefix + i));
    }

    [Fact]
    public void EveryAcknowledgedWriteSurvivesTheKillOfANode()
    {
        using var postgres = new PostgresInstance();
        using var cluster = ClusterNodes.Start(postgres.ConnectionString, nodes: 3);
        var writers = new[] { new Writer(cluster.Port(0), "a:"), new Writer(cluster.Port(1), "b:") };
        foreach (var w in writers) w.Start();
        Assert.All(writers, w => w.WaitForAcknowledged(200));
        cluster.Kill(2);
        // The two survivors take over the lost node's shards once the split-brain resolver has downed it, and the
        // writers carry on (the write in flight when the node died may be answered with an error or time out).
        cluster.WaitUntilSettled(members: 2, timeoutSeconds: 120);
        var before = writers.Select(w => w.AcknowledgedCount).ToArray();
        for (int i = 0; i < writers.Length; i++) writers[i].WaitForAcknowledged(before[i] + 200);
        foreach (var w in writers) w.Stop();

        foreach (int node in new[] { 0, 1 })
        {
            AssertAllReadable(cluster, node, "a:", writers[0].Acknowledged);
            AssertAllReadable(cluster, node, "b:", writers[1].Acknowledged);
        }
    }

    [Fact]
    public void WritesThatSpanShardsOfANodeSurviveTheLossOfThatNode()
    {
        using var postgres = new PostgresInstance();
        using var cluster = ClusterNodes.Start(postgres.ConnectionString, nodes: 3);
        string[][] keys = [];
        using (var client = new RespClient(cluster.Port(0)))
        {
            // Keys of node 0 in two different shards (8 shards: shard = slot * 8 / 16384); chosen again while
            // rebalancing still moves shards (a script that declares no keys can read both only once both shards are
            // on node 0; until then it gets Redis Cluster's non-local-key error).
            for (int attempt = 0; ; attempt++)
            {
                keys = Enumerable.Range(0, 5000).Select(i => "m" + i)
                    .Where(k => cluster.OwnerPort(0, k) == cluster.Port(0))
                    .GroupBy(k => (long)cluster.Call(0, "CLUSTER", "KEYSLOT", k)! * 8 / 16384)
                    .Take(2).Select(g => g.Take(2).ToArray()).ToArray();
                if (keys.Length == 2 && client.Call("EVAL", "return redis.call('EXISTS', ARGV[1], ARGV[2])", "0", keys[0][1], keys[1][1]) is long) break;
                Assert.True(attempt < 20, "node 0 never held two shards");
                Thread.Sleep(1000);
            }
            Assert.Equal("OK", client.Call("SET", keys[0][0], "flushed"));
            Assert.Equal("OK", client.Call("SET", keys[1][0], "flushed"));
            Assert.Equal("OK", client.Call("FLUSHALL"));
            // One held command writing keys of both shards, and a transaction over both.
            Assert.Equal("OK", client.Call("MSET", keys[0][1], "a", keys[1][1], "b"));
            Assert.Equal("OK", client.Call("MULTI"));
            Assert.Equal("QUEUED", client.Call("RPUSH", keys[0][0], "x"));
            Assert.Equal("QUEUED", client.Call("INCR", keys[1][0]));
            Assert.Equal(new List<object?> { 1L, 1L }, client.Call("EXEC"));
        }
        // And a transaction sent to node 2 whose keys live on nodes 0 and 1 (a lending hold).
        string onNode0 = Enumerable.Range(0, 5000).Select(i => "o" + i).First(k => cluster.OwnerPort(0, k) == cluster.Port(0));
        string onNode1 = Enumerable.Range(0, 5000).Select(i => "o" + i).First(k => cluster.OwnerPort(0, k) == cluster.Port(1));
        using (var third = new RespClient(cluster.Port(2)))
        {
            Assert.Equal("OK", third.Call("MULTI"));
            Assert.Equal("QUEUED", third.Call("MSET", onNode0, "lent", onNode1, "lent"));
            Assert.Equal("QUEUED", third.Call("SADD", onNode0 + "s", "m"));
            Assert.Equal(new List<object?> { "OK", 1L }, third.Call("EXEC"));
        }
        cluster.Kill(0);
        cluster.WaitUntilSettled(members: 2, timeoutSeconds: 120);
        using var survivor = new RespClient(cluster.Port(1));
        Assert.Equal("a", survivor.Call("GET", keys[0][1]));
        Assert.Equal("b", survivor.Call("GET", keys[1][1]));
        Assert.Equal(new List<object?> { "x" }, survivor.Call("LRANGE", keys[0][0], "0", "-1"));
        Assert.Equal("1", survivor.Call("GET", keys[1][0]));
        Assert.Equal(new List<object?> { "lent", "lent" }, survivor.Call("MGET", onNode0, onNode1));
        Assert.Equal(1L, survivor.Call("SISMEMBER", onNode0 + "s", "m"));
    }

    [Fact]
    public void ShardsSnapshotTheirStateAndRecoverFromTheSnapshotAndTheJournalAfterIt()
    {
        using var postgres = new PostgresInstance();
        var expected = new Dictionary<string, string>();
        using (var cluster = ClusterNodes.Start(postgres.ConnectionString, nodes: 1, shards: 2))
        {
            using var client = new RespClient(cluster.Port(0));
            // Snapshot once a shard journaled 20 kB since the last one (and grew by 100% of it).
            Assert.Equal("OK", client.Call("CONFIG", "SET", "auto-aof-rewrite-min-size", "20kb"));
            Assert.Equal("lib", client.Call("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 'fn' end)"));
            for (int i = 0; i < 3000; i++)
            {
                Assert.Equal("OK", client.Call("SET", $"k{i}", $"v{i}"));
                expected[$"k{i}"] = $"v{i}";
                if (i % 3 != 0) continue;
                Assert.Equal(1L, client.Call("DEL", $"k{i}"));
                expected.Remove($"k{i}");
            }
            Assert.Equal("OK", client.Call("SET", "last", "written after the snapshots", "PX", "600000"));
            expected["last"] = "written after the snapshots";
            cluster.Kill(0);
        }
        using (var cluster = ClusterNodes.Start(postgres.ConnectionString, nodes: 1, shards: 2))
        {
            var node = cluster.Nodes[0]!;
            using var client = new RespClient(cluster.Port(0));
            var keys = ((List<object?>)client.Call("KEYS", "*")!).Cast<string>().ToHashSet();
            Assert.Equal(expected.Keys.ToHashSet(), keys);
            foreach (var (key, value) in expected) Assert.Equal(value, client.Call("GET", key));
            Assert.InRange((long)client.Call("PTTL", "last")!, 1, 600000);
            Assert.Equal("fn", client.Call("FCALL", "f", "0"));
            // Each shard started from a snapshot and replayed only what came after it, not the 5000 writes.
            var loaded = node.Output.Where(l => l.Contains("snapshot commands and")).ToList();
            Assert.Equal(2, loaded.Count);
            foreach (var line in loaded)
            {
                var journaled = long.Parse(Regex.Match(line, "and ([0-9]+) commands in the shared journal").Groups[1].Value);
                Assert.InRange(journaled, 0, 1500);
            }
            Assert.Contains(node.Output, l => l.Contains("snapshot at sequence number"));
            Assert.DoesNotContain(node.Output, l => l.Contains("failed"));
        }
    }

    [Fact]
    public void ClientsAreToldTheAnnouncedAddressBehindNatOrDocker()
    {
        int port = PostgresInstance.FreePort(), clusterPort = PostgresInstance.FreePort();
        using var node = ServerProcess.Start("--port", port.ToString(), "--cluster-port", clusterPort.ToString(),
            "--cluster-seed", $"127.0.0.1:{clusterPort}", "--appendonly", "no", "--cluster-announce-ip", "10.1.2.3", "--cluster-announce-port", "7999");
        using var client = new RespClient(port);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(client.Call("CLUSTER", "INFO") as string)!.Contains("cluster_state:ok"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the single-node cluster never came up");
            Thread.Sleep(200);
        }
        var slots = (List<object?>)client.Call("CLUSTER", "SLOTS")!;
        var first = (List<object?>)((List<object?>)slots[0]!)[2]!;
        Assert.Equal("10.1.2.3", first[0]);
        Assert.Equal(7999L, first[1]);
        Assert.Contains(" 10.1.2.3:7999@", (string)client.Call("CLUSTER", "NODES")!);
        Assert.Equal("OK", client.Call("SET", "k", "v")); // it serves clients on its own port as before
        var defaults = Akka.Configuration.ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "akkaredis.conf")));
        var bad = ServerOptions.ParseCommandLine(["--port", "7000", "--cluster-port", "17000", "--appendonly", "no", "--cluster-announce-port", "70000"]).Overrides.WithFallback(defaults);
        Assert.Equal("cluster-announce-port must be between 0 and 65535", Assert.Throws<ServerOptions.UsageException>(() => ServerOptions.ToServerConfig(bad)).Message);
    }

    [Fact]
    public void ANodeThatJoinsReceivesShardsWhileClientsKeepWorking()
    {
        using var postgres = new PostgresInstance();
        using var cluster = ClusterNodes.Start(postgres.ConnectionString, nodes: 3);
        var writer = new Writer(cluster.Port(0), "j:");
        // Whole-keyspace commands hold the node's shards while shards move away from it: each is answered, at worst with
        // TRYAGAIN when a shard moved while the command waited for it, and never leaves a shard held.
        var holder = new Writer(cluster.Port(0), "", _ => ["DBSIZE"]);
        // Multi-key writes whose keys span nodes (lending holds), through another node, while shards move.
        var lender = new Writer(cluster.Port(1), "", i => ["MSET", "jm:a" + i, i.ToString(), "jm:b" + i, i.ToString(), "jm:c" + i, i.ToString()]);
        writer.Start();
        holder.Start();
        lender.Start();
        writer.WaitForAcknowledged(200);
        lender.WaitForAcknowledged(50);
        // Clients blocked on keys of every shard: those whose shards move to the new node follow them there.
        var blockedKeys = Enumerable.Range(0, 64).Select(i => "bj:" + i).ToArray();
        var blocked = blockedKeys.Select(key =>
        {
            var client = new RespClient(cluster.Port(0));
            client.SendRaw(RespClient.Encode("BLPOP", key, "0"));
            return client;
        }).ToArray();
        Thread.Sleep(500);
        cluster.StartNode();
        string newNode = $"127.0.0.1:{cluster.Port(3)}@";
        // Settled with four members, and the new node owns slots (its CLUSTER NODES line ends in slot ranges).
        cluster.WaitUntilSettled(members: 4, also: nodes => nodes.Split('\n').Any(line =>
            line.Contains(newNode) && line.Split(' ').Length > 8), timeoutSeconds: 120);
        writer.WaitForAcknowledged(writer.AcknowledgedCount + 200);
        holder.WaitForAcknowledged(holder.AcknowledgedCount + 50);
        lender.WaitForAcknowledged(lender.AcknowledgedCount + 50);
        writer.Stop();
        holder.Stop();
        lender.Stop();
        // At worst TRYAGAIN when a shard it needed moved while it waited; what was acknowledged is all there.
        Assert.True(lender.Errors.All(e => e.Contains("TRYAGAIN")), string.Join("\n", lender.Errors) + "\n" + cluster.Describe());
        using (var check = new RespClient(cluster.Port(2)))
            foreach (int i in lender.Acknowledged)
                Assert.Equal(new List<object?> { i.ToString(), i.ToString(), i.ToString() }, check.Call("MGET", "jm:a" + i, "jm:b" + i, "jm:c" + i));
        Assert.All(holder.Errors, e => Assert.Contains("TRYAGAIN A shard this command needs moved", e));

        Assert.True(writer.Errors.Count == 0, string.Join("\n", writer.Errors) + "\n" + cluster.Describe());
        for (int i = 0; i < blockedKeys.Length; i++)
        {
            Assert.Equal(1L, cluster.Call(1, "RPUSH", blockedKeys[i], "e" + i));
            Assert.Equal(new List<object?> { blockedKeys[i], "e" + i }, blocked[i].Read());
            blocked[i].Dispose();
        }
        AssertAllReadable(cluster, 3, "j:", writer.Acknowledged);
        AssertAllReadable(cluster, 1, "j:", writer.Acknowledged);
    }
}
