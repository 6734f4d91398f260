
namespace AkkaRedis.Server.Tests;

/// <summary>
/// The tests that start clusters of server processes (several .NET processes each) run alone, not beside the other
/// test classes, whose timing (BUSY scripts, blocking timeouts) they would starve on a 2-core machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "clusters";
}

/// <summary>
/// Several AkkaRedis server processes on loopback forming one cluster, with the shared journal in
/// <paramref name="journal"/> (a PostgreSQL connection string; null: in memory, --appendonly no). Nodes are
/// started in order; every node lists the first node's cluster port as its seed.
/// </summary>
public sealed class ClusterNodes(string? journal, int shards = 8) : IDisposable
{
    private readonly List<ServerProcess?> _nodes = [];
    private readonly List<(int Port, int ClusterPort)> _ports = [];

    public IReadOnlyList<ServerProcess?> Nodes => _nodes;

    /// <summary>Client ports of the nodes, in start order.</summary>
    public int Port(int node) => _ports[node].Port;

    /// <summary>Starts one more node; it is returned once it accepts clients (its shards may still be arriving).</summary>
    public ServerProcess StartNode()
    {
        int port = PostgresInstance.FreePort(), clusterPort = PostgresInstance.FreePort();
        var seed = _ports.Count == 0 ? clusterPort : _ports[0].ClusterPort;
        var args = new List<string>
        {
            "--port", port.ToString(), "--cluster-port", clusterPort.ToString(), "--cluster-seed", $"127.0.0.1:{seed}",
            "--shards", shards.ToString(),
        };
        if (journal == null) args.AddRange(["--appendonly", "no"]);
        else args.AddRange(["--cluster-journal", journal]);
        var node = ServerProcess.Start(args.ToArray());
        _nodes.Add(node);
        _ports.Add((port, clusterPort));
        return node;
    }

    public static ClusterNodes Start(string? journal, int nodes, int shards = 8)
    {
        var cluster = new ClusterNodes(journal, shards);
        try
        {
            for (int i = 0; i < nodes; i++) cluster.StartNode();
            cluster.WaitUntilSettled(nodes);
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    public void Kill(int node)
    {
        _nodes[node]!.Kill();
        _nodes[node]!.Dispose();
        _nodes[node] = null;
    }

    /// <summary>Waits until every running node sees <paramref name="members"/> nodes and every slot served, and all agree.</summary>
    public void WaitUntilSettled(int members, Func<string, bool>? also = null, int timeoutSeconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var views = Running().Select(i => Call(i, "CLUSTER", "NODES") as string ?? "").ToList();
                var infos = Running().Select(i => Call(i, "CLUSTER", "INFO") as string ?? "").ToList();
                last = string.Join("\n---\n", views);
                var slotsOnly = views.Select(v => string.Join("\n", v.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Select(line => string.Join(' ', line.Split(' ').Where((_, idx) => idx != 2 && idx != 5))).Order())).ToList();
                // Balanced as the coordinator leaves it (least-shard allocation: at most one shard apart), so shards
                // do not move under a test that just looked where they are.
                // INFO holds the node's shards, so while they move it may answer TRYAGAIN (or CLUSTERDOWN with none).
                var owned = Running().Select(i => Call(i, "INFO", "cluster") is string info
                    ? info.Split("\r\n").First(l => l.StartsWith("akkaredis_local_shards:")).Split(':')[1].Split(',', StringSplitOptions.RemoveEmptyEntries).Length
                    : -1).ToList();
                bool balanced = !owned.Contains(-1) && owned.Sum() == shards && owned.Max() - owned.Min() <= 1;
                if (infos.All(i => i.Contains("cluster_state:ok") && i.Contains($"cluster_known_nodes:{members}\r\n"))
                    && slotsOnly.Distinct().Count() == 1 && balanced && (also == null || views.All(also)))
                    return;
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
            {
                last = e.Message;
            }
            Thread.Sleep(250);
        }
        throw new TimeoutException("the cluster did not settle:\n" + last);
    }

    public IEnumerable<int> Running() => Enumerable.Range(0, _nodes.Count).Where(i => _nodes[i] != null);

    public object? Call(int node, params string[] args)
    {
        using var client = new RespClient(Port(node));
        return client.Call(args);
    }

    /// <summary>Which node's client port serves a key now, from CLUSTER SLOTS on <paramref name="askNode"/>.</summary>
    public int OwnerPort(int askNode, string key)
    {
        int slot = (int)(long)Call(askNode, "CLUSTER", "KEYSLOT", key)!;
        foreach (var item in (List<object?>)Call(askNode, "CLUSTER", "SLOTS")!)
        {
            var range = (List<object?>)item!;
            if ((long)range[0]! <= slot && slot <= (long)range[1]!) return (int)(long)((List<object?>)range[2]!)[1]!;
        }
        throw new InvalidOperationException($"slot {slot} is not served");
    }

    public string Describe() => string.Join("\n", Running().Select(i => $"node {i} (port {Port(i)}):\n" +
        string.Join("\n", _nodes[i]!.Output.TakeLast(20))));

    public void Dispose()
    {
        foreach (var node in _nodes) node?.Dispose();
    }
}
