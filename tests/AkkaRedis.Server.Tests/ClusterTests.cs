using System.Diagnostics;
using StackExchange.Redis;

namespace AkkaRedis.Server.Tests;

/// <summary>A real PostgreSQL and three AkkaRedis nodes forming one cluster, shared by the tests of <see cref="ClusterTests"/>.</summary>
public sealed class ClusterFixture : IDisposable
{
    public PostgresInstance Postgres { get; } = new();
    public ClusterNodes Cluster { get; }

    public ClusterFixture() => Cluster = ClusterNodes.Start(Postgres.ConnectionString, nodes: 3);

    public void Dispose()
    {
        Cluster.Dispose();
        Postgres.Dispose();
    }
}

/// <summary>Three nodes on loopback with the shared journal: any node serves any key; cluster clients route by slot.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private readonly ClusterNodes _cluster = fixture.Cluster;
    private readonly string _prefix = Guid.NewGuid().ToString("N")[..8] + ":";

    /// <summary>
    /// Keys named <paramref name="tag"/>N, by the node that serves them as node 0 sees it: those of node 0, then those of
    /// the other two.
    /// </summary>
    private (List<string> Here, List<string> A, List<string> B) KeysOnEachNode(string tag)
    {
        var byNode = Enumerable.Range(0, 3000).Select(i => _prefix + tag + i)
            .GroupBy(k => _cluster.OwnerPort(0, k)).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(3, byNode.Count);
        int here = _cluster.Port(0);
        var others = byNode.Keys.Where(port => port != here).Order().ToArray();
        return (byNode[here], byNode[others[0]], byNode[others[1]]);
    }

    [Fact]
    public void WritesThroughOneNodeAreReadThroughTheOthers()
    {
        using var a = new RespClient(_cluster.Port(0));
        using var b = new RespClient(_cluster.Port(1));
        using var c = new RespClient(_cluster.Port(2));
        for (int i = 0; i < 200; i++) Assert.Equal("OK", a.Call("SET", _prefix + i, "v" + i));
        Assert.Equal(200L, a.Call(["RPUSH", _prefix + "list", .. Enumerable.Range(0, 200).Select(i => i.ToString())]));
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal("v" + i, b.Call("GET", _prefix + i));
            Assert.Equal("v" + i, c.Call("GET", _prefix + i));
        }
        Assert.Equal(200L, c.Call("LLEN", _prefix + "list"));
        Assert.Equal(100L, b.Call("INCRBY", _prefix + "counter", "100"));
        Assert.Equal(101L, c.Call("INCR", _prefix + "counter"));
    }

    /// <summary>
    /// Streams on a cluster: written through one node, their groups read and claimed through another, and a blocked
    /// XREAD on a node that does not own the stream served by an XADD through a third.
    /// </summary>
    [Fact]
    public void StreamsAndTheirGroupsWorkThroughAnyNode()
    {
        var (_, onA, onB) = KeysOnEachNode("stream");
        using var a = new RespClient(_cluster.Port(0));
        using var b = new RespClient(_cluster.Port(1));
        using var c = new RespClient(_cluster.Port(2));
        string stream = onA[0], other = onB[0];
        for (int i = 1; i <= 5; i++) Assert.Equal($"{i}-0", a.Call("XADD", stream, $"{i}-0", "n", i.ToString()));
        Assert.Equal("OK", b.Call("XGROUP", "CREATE", stream, "g", "0"));
        var read = (List<object?>)b.Call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", stream, ">")!;
        Assert.Equal(2, ((List<object?>)((List<object?>)read[0]!)[1]!).Count);
        Assert.Equal(new List<object?> { 2L, "1-0", "2-0", new List<object?> { new List<object?> { "alice", "2" } } }, c.Call("XPENDING", stream, "g"));
        Assert.Equal(new List<object?> { "1-0" }, c.Call("XCLAIM", stream, "g", "bob", "0", "1-0", "JUSTID"));
        Assert.Equal(5L, c.Call("XLEN", stream));

        b.SendRaw(System.Text.Encoding.ASCII.GetString(RespClient.Encode("XREAD", "BLOCK", "10000", "STREAMS", other, stream, "0-0", "5-0")));
        Assert.Null(b.ReadRawWithin(TimeSpan.FromMilliseconds(300)));
        Assert.Equal("7-1", a.Call("XADD", other, "7-1", "x", "y"));
        Assert.Equal(new List<object?> { new List<object?> { other, new List<object?> { new List<object?> { "7-1", new List<object?> { "x", "y" } } } } },
            b.ReadWithin(TimeSpan.FromSeconds(10)));

        b.SendRaw(System.Text.Encoding.ASCII.GetString(RespClient.Encode("XREAD", "BLOCK", "3000", "STREAMS", other, "$")));
        Assert.Null(b.ReadRawWithin(TimeSpan.FromMilliseconds(300)));
        Assert.Equal("8-0", a.Call("XADD", other, "8-0", "x", "z"));
        Assert.Equal(new List<object?> { new List<object?> { other, new List<object?> { new List<object?> { "8-0", new List<object?> { "x", "z" } } } } },
            b.ReadWithin(TimeSpan.FromSeconds(10)));

        // "$" over streams of two nodes means their last IDs as the wait began: the next entry on either is the reply
        // (it used to be read again as "$" when it woke the reader, which then waited for its timeout).
        b.SendRaw(System.Text.Encoding.ASCII.GetString(RespClient.Encode("XREAD", "BLOCK", "10000", "STREAMS", other, stream, "$", "$")));
        Assert.Null(b.ReadRawWithin(TimeSpan.FromMilliseconds(300)));
        Assert.Equal("9-0", a.Call("XADD", stream, "9-0", "x", "w"));
        Assert.Equal(new List<object?> { new List<object?> { stream, new List<object?> { new List<object?> { "9-0", new List<object?> { "x", "w" } } } } },
            b.ReadWithin(TimeSpan.FromSeconds(8)));
    }

    [Fact]
    public void ClientTrackingInvalidatesOnTheNodeThatServesTheKey()
    {
        // As in Redis Cluster, each node tracks the reads of its own keys (a key of another node answers MOVED).
        var (onHere, _, _) = KeysOnEachNode("track");
        using var reader = new RespClient(_cluster.Port(0));
        using var writer = new RespClient(_cluster.Port(0));
        reader.Call("HELLO", "3");
        Assert.Equal("OK", reader.Call("CLIENT", "TRACKING", "on"));
        Assert.Equal(new List<object?> { null, null }, reader.Call("MGET", onHere[0], onHere[1]));
        Assert.Equal("OK", writer.Call("SET", onHere[1], "changed"));
        Assert.Equal(new List<object?> { "invalidate", new List<object?> { onHere[1] } }, reader.ReadWithin(TimeSpan.FromSeconds(10)));
        Assert.Equal("OK", reader.Call("CLIENT", "TRACKING", "off"));
        Assert.Equal("OK", reader.Call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", _prefix + "track"));
        Assert.Equal("OK", writer.Call("SET", onHere[2], "x"));
        Assert.Equal(new List<object?> { "invalidate", new List<object?> { onHere[2] } }, reader.ReadWithin(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void PublishReachesSubscribersOnEveryNode()
    {
        string channel = _prefix + "news";
        using var onB = new RespClient(_cluster.Port(1));
        using var onC = new RespClient(_cluster.Port(2));
        Assert.Equal(new List<object?> { "subscribe", channel, 1L }, onB.Call("SUBSCRIBE", channel));
        Assert.Equal(new List<object?> { "psubscribe", _prefix + "*", 1L }, onC.Call("PSUBSCRIBE", _prefix + "*"));
        using var publisher = new RespClient(_cluster.Port(0));
        // The mediator learns of the other nodes' relays by gossip; until then a message may reach no one.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        int sent = 0;
        object? first;
        do
        {
            Assert.Equal(0L, publisher.Call("PUBLISH", channel, "m" + sent++)); // a Redis Cluster node counts its own clients
            first = onB.ReadWithin(TimeSpan.FromMilliseconds(300));
        } while (first == null && DateTime.UtcNow < deadline);
        var received = Assert.IsType<List<object?>>(first);
        Assert.Equal(new List<object?> { "message", channel }, received.Take(2));
        // Once the topic reaches a node, messages keep their order, and patterns match there too.
        Assert.Equal(0L, publisher.Call("PUBLISH", channel, "last"));
        while (onB.Read() is List<object?> next && (string?)next[2] != "last") { }
        while (onC.Read() is List<object?> next && (string?)next[3] != "last") { }
        using var local = new RespClient(_cluster.Port(1));
        Assert.Equal(1L, local.Call("PUBLISH", channel, "local"));
    }

    [Fact]
    public void ATenMegabyteValueCrossesNodes()
    {
        int here = _cluster.Port(0);
        string key = Enumerable.Range(0, 1000).Select(i => _prefix + "big" + i).First(k => _cluster.OwnerPort(0, k) != here);
        var value = new byte[10 * 1024 * 1024];
        new Random(7).NextBytes(value);
        using var writer = new RespClient(here);
        Assert.Equal("OK", writer.CallBinary("SET", key, value));
        using var reader = new RespClient(_cluster.Port(2));
        Assert.Equal(value, (byte[])reader.CallBinary("GET", key)!);
        Assert.Equal((long)value.Length, writer.Call("STRLEN", key));
    }

    [Fact]
    public void PipelinedCommandsForKeysOnEveryNodeAnswerInOrder()
    {
        using var client = new RespClient(_cluster.Port(1));
        var request = new List<byte>();
        for (int i = 0; i < 500; i++)
        {
            request.AddRange(RespClient.Encode("SET", _prefix + "p" + i, i.ToString()));
            request.AddRange(RespClient.Encode("GET", _prefix + "p" + i));
        }
        client.SendRaw(request.ToArray());
        for (int i = 0; i < 500; i++)
        {
            Assert.Equal("OK", client.Read());
            Assert.Equal(i.ToString(), client.Read());
        }
    }

    [Fact]
    public void ClusterCommandsDescribeWhichNodeServesEachSlot()
    {
        var slots = (List<object?>)_cluster.Call(0, "CLUSTER", "SLOTS")!;
        var covered = slots.Cast<List<object?>>().Sum(r => (long)r[1]! - (long)r[0]! + 1);
        Assert.Equal(16384L, covered);
        var ports = slots.Cast<List<object?>>().Select(r => (int)(long)((List<object?>)r[2]!)[1]!).Distinct().Order().ToList();
        Assert.Equal(_cluster.Running().Select(_cluster.Port).Order().ToList(), ports);

        var info = (string)_cluster.Call(1, "CLUSTER", "INFO")!;
        Assert.Contains("cluster_enabled:1\r\n", info);
        Assert.Contains("cluster_state:ok\r\n", info);
        Assert.Contains("cluster_known_nodes:3\r\n", info);

        // Redis Cluster's slots: CRC16 of the key, or of its {hashtag}.
        Assert.Equal(12182L, _cluster.Call(2, "CLUSTER", "KEYSLOT", "foo"));
        Assert.Equal(_cluster.Call(2, "CLUSTER", "KEYSLOT", "user1000"), _cluster.Call(2, "CLUSTER", "KEYSLOT", "{user1000}.following"));

        var myIds = _cluster.Running().Select(i => (string)_cluster.Call(i, "CLUSTER", "MYID")!).ToList();
        Assert.All(myIds, id => Assert.Matches("^[0-9a-f]{40}$", id));
        var nodes = (string)_cluster.Call(0, "CLUSTER", "NODES")!;
        Assert.All(myIds, id => Assert.Contains(id, nodes));
        Assert.Contains($"{myIds[0]} 127.0.0.1:{_cluster.Port(0)}@", nodes);
        Assert.Contains("myself,master", nodes);

        var shards = (List<object?>)_cluster.Call(0, "CLUSTER", "SHARDS")!;
        Assert.Equal(3, shards.Count);

        // INFO tells clients (StackExchange.Redis among them) that this is a cluster node, and where the shards are.
        var infoText = (string)_cluster.Call(2, "INFO")!;
        Assert.Contains("redis_mode:cluster\r\n", infoText);
        Assert.Contains("cluster_enabled:1\r\n", infoText);
        Assert.Contains("akkaredis_cluster_nodes:3\r\n", infoText);
        Assert.Contains("akkaredis_unplaced_shards:0\r\n", infoText);

        // A slot's keys are counted and listed by the node that owns it; the others hold none of them.
        string key = _prefix + "counted";
        _cluster.Call(0, "SET", key, "x");
        long slot = (long)_cluster.Call(0, "CLUSTER", "KEYSLOT", key)!;
        int owner = _cluster.Running().First(i => _cluster.Port(i) == _cluster.OwnerPort(0, key));
        Assert.Equal(1L, _cluster.Call(owner, "CLUSTER", "COUNTKEYSINSLOT", slot.ToString()));
        Assert.Equal([key], ((List<object?>)_cluster.Call(owner, "CLUSTER", "GETKEYSINSLOT", slot.ToString(), "10")!).Cast<string>());
        foreach (int other in _cluster.Running().Where(i => i != owner))
            Assert.Equal(0L, _cluster.Call(other, "CLUSTER", "COUNTKEYSINSLOT", slot.ToString()));

        Assert.Equal(new RespClient.RespError("ERR Invalid slot"), _cluster.Call(0, "CLUSTER", "COUNTKEYSINSLOT", "16384"));
        Assert.Equal(new RespClient.RespError("ERR value is not an integer or out of range"), _cluster.Call(0, "CLUSTER", "COUNTKEYSINSLOT", "x"));
        Assert.Equal(new RespClient.RespError("ERR Invalid slot or number of keys"), _cluster.Call(0, "CLUSTER", "GETKEYSINSLOT", "1", "-1"));
        Assert.Equal("OK", _cluster.Call(0, "READONLY"));
        Assert.Equal(new RespClient.RespError("ERR CLUSTER MEET is not supported: Akka.Cluster.Sharding places the slots"),
            _cluster.Call(0, "CLUSTER", "MEET", "127.0.0.1", "7000"));
        Assert.Equal(new RespClient.RespError("ERR Background append only file rewriting does not apply in cluster mode: the journal is shared in PostgreSQL"),
            _cluster.Call(0, "BGREWRITEAOF"));
    }

    [Fact]
    public void MultiKeyCommandsAndTransactionsWhoseKeysSpanNodesRunAsOnOneServer()
    {
        var (onHere, onA, onB) = KeysOnEachNode("x");
        string local = onHere[0], local2 = onHere[1], a = onA[0], a2 = onA[1], b = onB[0], b2 = onB[1];
        using var client = new RespClient(_cluster.Port(0));

        Assert.Equal("OK", client.Call("MSET", local, "1", a, "2", b, "3"));
        Assert.Equal(new List<object?> { "1", "2", "3", null }, client.Call("MGET", local, a, b, a2));
        Assert.Equal("2", _cluster.Call(2, "GET", a)); // written on its owner, readable anywhere
        Assert.Equal(0L, client.Call("MSETNX", a2, "x", b, "y"));
        Assert.Equal(3L, client.Call("EXISTS", local, a, b, b2));
        Assert.Equal(2L, client.Call("DEL", a, b2, b));
        Assert.Equal(new List<object?> { "1", null, null }, client.Call("MGET", local, a, b));

        // RENAME moves the value and its expiry to a key on another node.
        Assert.Equal("OK", client.Call("SET", a, "moving", "EX", "100"));
        Assert.Equal("OK", client.Call("RENAME", a, b));
        Assert.Equal(0L, _cluster.Call(1, "EXISTS", a));
        Assert.Equal("moving", _cluster.Call(2, "GET", b));
        Assert.InRange((long)_cluster.Call(1, "TTL", b)!, 1L, 100L);
        Assert.Equal(new RespClient.RespError("ERR no such key"), client.Call("RENAME", a, b2));

        // Collections cross nodes whole; errors keep Redis's words.
        Assert.Equal(3L, client.Call("SADD", a2, "m1", "m2", "m3"));
        Assert.Equal(2L, client.Call("SADD", local2, "m3", "m4"));
        Assert.Equal(4L, client.Call("SUNIONSTORE", b2, a2, local2));
        Assert.Equal(4L, _cluster.Call(1, "SCARD", b2));
        Assert.Equal(new RespClient.RespError("WRONGTYPE Operation against a key holding the wrong kind of value"), client.Call("SUNIONSTORE", b2, a2, local));
        Assert.Equal(2L, client.Call("RPUSH", a + "l", "e1", "e2"));
        Assert.Equal("e2", client.Call("LMOVE", a + "l", b + "l", "RIGHT", "LEFT"));

        // A transaction over all three nodes: every reply in order, and no client sees half of it.
        Assert.Equal("OK", client.Call("MULTI"));
        Assert.Equal("QUEUED", client.Call("INCR", local));
        Assert.Equal("QUEUED", client.Call("RPUSH", a, "t"));
        Assert.Equal("QUEUED", client.Call("SELECT", "1"));
        Assert.Equal("QUEUED", client.Call("SET", b, "in db 1"));
        Assert.Equal("QUEUED", client.Call("SCARD", b2));
        Assert.Equal(new List<object?> { 2L, 1L, "OK", "OK", 0L }, client.Call("EXEC"));
        Assert.Equal("in db 1", client.Call("GET", b));
        Assert.Equal("moving", _cluster.Call(1, "GET", b));
    }

    [Fact]
    public async Task ClientsBlockedOnOneNodeAreServedByPushesThroughAnother()
    {
        int here = _cluster.Port(0);
        var remote = Enumerable.Range(0, 3000).Select(i => _prefix + "q" + i).Where(k => _cluster.OwnerPort(0, k) != here).Take(3).ToArray();
        using var blocked = new RespClient(here);
        using var blocked2 = new RespClient(here);

        // Served by a push through a third node; the reply takes its place in the pipeline.
        var waiting = Task.Run(() => blocked.Call("BLPOP", remote[0], "0"));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1L, _cluster.Call(2, "RPUSH", remote[0], "pushed"));
        Assert.Equal(new List<object?> { remote[0], "pushed" }, await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0L, _cluster.Call(1, "EXISTS", remote[0]));
        Assert.Equal("PONG", blocked.Call("PING"));

        // A sorted-set pop blocks the same way, and a ZADD through another node serves it.
        string zset = "{" + remote[0] + "}z"; // on the remote shard of remote[0]
        waiting = Task.Run(() => blocked.Call("BZPOPMIN", zset, "0"));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(2L, _cluster.Call(2, "ZADD", zset, "2", "b", "1", "a"));
        Assert.Equal(new List<object?> { zset, "a", "1" }, await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(new List<object?> { "b" }, _cluster.Call(1, "ZRANGE", zset, "0", "-1"));

        // BLMOVE between two keys of one remote shard; a timeout answers nil at its deadline.
        string source = "{" + remote[1] + "}src", destination = "{" + remote[1] + "}dst";
        waiting = Task.Run(() => blocked.Call("BLMOVE", source, destination, "LEFT", "RIGHT", "0"));
        await Task.Delay(300);
        Assert.Equal(1L, _cluster.Call(1, "LPUSH", source, "moved"));
        Assert.Equal("moved", await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(new List<object?> { "moved" }, _cluster.Call(2, "LRANGE", destination, "0", "-1"));
        var began = Stopwatch.StartNew();
        Assert.Null(blocked.Call("BRPOP", remote[1], "0.5"));
        Assert.InRange(began.ElapsedMilliseconds, 450, 5000);

        // CLIENT UNBLOCK from another connection, with and without the error.
        long id = (long)blocked.Call("CLIENT", "ID")!;
        waiting = Task.Run(() => blocked.Call("BLPOP", remote[2], "0"));
        await Task.Delay(300);
        Assert.Equal(1L, blocked2.Call("CLIENT", "UNBLOCK", id.ToString(), "ERROR"));
        Assert.Equal(new RespClient.RespError("UNBLOCKED client unblocked via CLIENT UNBLOCK"), await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        waiting = Task.Run(() => blocked.Call("BLPOP", remote[2], "0"));
        await Task.Delay(300);
        Assert.Equal(1L, blocked2.Call("CLIENT", "UNBLOCK", id.ToString()));
        Assert.Null(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));

        // A client that leaves while blocked takes nothing: the next push stays in the list.
        using (var leaving = new RespClient(here))
        {
            leaving.SendRaw(RespClient.Encode("BLPOP", remote[2], "0"));
            await Task.Delay(300);
        }
        await Task.Delay(500);
        Assert.Equal(1L, _cluster.Call(1, "RPUSH", remote[2], "kept"));
        await Task.Delay(300);
        Assert.Equal(new List<object?> { "kept" }, _cluster.Call(2, "LRANGE", remote[2], "0", "-1"));
        Assert.Equal(new RespClient.RespError("ERR timeout is not a float or out of range"), blocked.Call("BLPOP", remote[2], "x"));
    }

    [Fact]
    public async Task ScriptsWhoseKeysSpanNodesRunOnTheirDeclaredKeys()
    {
        var (onHere, onA, onB) = KeysOnEachNode("s");
        string local = onHere[0], a = onA[0], a2 = onA[1], b = onB[0];
        using var client = new RespClient(_cluster.Port(0));

        // Keys on all three nodes: the script sees them all and its writes land on their owners.
        Assert.Equal("OK", client.Call("MSET", local, "10", a, "20"));
        const string sum = "local t = 0 for i, k in ipairs(KEYS) do t = t + tonumber(redis.call('GET', k) or 0) end redis.call('SET', KEYS[#KEYS], t) return t";
        Assert.Equal(30L, client.Call("EVAL", sum, "3", local, a, b));
        Assert.Equal("30", _cluster.Call(2, "GET", b));

        // EVALSHA of a script loaded on this node, with its keys all on one other node (Redis Cluster would redirect).
        var sha = (string)client.Call("SCRIPT", "LOAD", "redis.call('RPUSH', KEYS[1], ARGV[1]) return redis.call('INCR', KEYS[2])")!;
        Assert.Equal(21L, client.Call("EVALSHA", sha, "2", a2, a, "e"));
        Assert.Equal(new List<object?> { "e" }, _cluster.Call(1, "LRANGE", a2, "0", "-1"));
        Assert.Equal(new List<object?> { 1L }, client.Call("SCRIPT", "EXISTS", sha));

        // Keys it did not declare are not there, as on a Redis Cluster node that does not serve them; errors keep their words.
        var undeclared = client.Call("EVAL", "return redis.call('GET', ARGV[1])", "1", a, local) as RespClient.RespError;
        Assert.StartsWith("ERR Script attempted to access a non local key in a cluster node script", undeclared?.Message);
        var wrongType = client.Call("EVAL", "local v = redis.call('GET', KEYS[1]) return v", "2", a2, b) as RespClient.RespError;
        Assert.Matches("^WRONGTYPE Operation against a key holding the wrong kind of value script: [0-9a-f]{40}, on @user_script:1[.]$", wrongType?.Message);

        // A script or function that declares no-cluster does not run on a cluster node, as in Redis Cluster.
        Assert.Equal(new RespClient.RespError("ERR Can not run script on cluster, 'no-cluster' flag is set."),
            client.Call("EVAL", "#!lua flags=no-cluster\n return 1", "0"));
        client.Call("FUNCTION", "LOAD", "REPLACE", "#!lua name=nocl\nredis.register_function{function_name='nocl', callback=function() return 1 end, flags={'no-cluster'}}");
        Assert.Equal(new RespClient.RespError("ERR Can not run script on cluster, 'no-cluster' flag is set."), client.Call("FCALL", "nocl", "0"));
        Assert.Equal(1L, client.Call("EVAL", "#!lua\n return 1", "0"));

        // Atomic under concurrent clients: scripts on every node move a unit between two keys of two other nodes.
        Assert.Equal("OK", client.Call("MSET", a, "100", b, "0"));
        const string move = "redis.call('DECR', KEYS[1]) redis.call('INCR', KEYS[2]) return 1";
        var movers = Enumerable.Range(0, 3).Select(node => Task.Run(() =>
        {
            using var mover = new RespClient(_cluster.Port(node));
            for (int i = 0; i < 30; i++) Assert.Equal(1L, mover.Call("EVAL", move, "2", a, b));
        })).ToArray();
        while (!movers.All(m => m.IsCompleted))
        {
            var both = (List<object?>)client.Call("MGET", a, b)!;
            Assert.Equal(100, int.Parse((string)both[0]!) + int.Parse((string)both[1]!));
        }
        await Task.WhenAll(movers);
        Assert.Equal(new List<object?> { "10", "90" }, client.Call("MGET", a, b));
    }

    [Fact]
    public async Task BlockingPopsOverKeysOfSeveralNodesAreServedOnce()
    {
        var (onHere, onA, onB) = KeysOnEachNode("p");
        string local = onHere[0], a = onA[0], b = onB[0];
        using var client = new RespClient(_cluster.Port(0));

        // Ready at once: the first non-empty key in the command's order; the wrong type answers WRONGTYPE.
        Assert.Equal(1L, _cluster.Call(1, "RPUSH", b, "b1"));
        Assert.Equal(1L, _cluster.Call(2, "RPUSH", a, "a1"));
        Assert.Equal(new List<object?> { a, "a1" }, client.Call("BLPOP", local, a, b, "0"));
        Assert.Equal(new List<object?> { b, "b1" }, client.Call("BRPOP", local, a, b, "0"));
        Assert.Equal("OK", client.Call("SET", a, "string"));
        Assert.Equal(new RespClient.RespError("WRONGTYPE Operation against a key holding the wrong kind of value"), client.Call("BLPOP", local, a, "0"));
        Assert.Equal(1L, client.Call("DEL", a));

        // Nothing there: the timeout answers nil at its deadline.
        var began = Stopwatch.StartNew();
        Assert.Null(client.Call("BLPOP", local, a, b, "0.5"));
        Assert.InRange(began.ElapsedMilliseconds, 450, 5000);

        // Blocked, then served by a push through another node; a sorted-set pop and a BLMOVE to another node likewise.
        var waiting = Task.Run(() => client.Call("BLMPOP", "0", "3", local, a, b, "RIGHT", "COUNT", "2"));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(3L, _cluster.Call(2, "RPUSH", b, "x", "y", "z"));
        Assert.Equal(new List<object?> { b, new List<object?> { "z", "y" } }, await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(new List<object?> { "x" }, _cluster.Call(1, "LRANGE", b, "0", "-1"));
        waiting = Task.Run(() => client.Call("BZPOPMAX", local + "z", a + "z", "0"));
        await Task.Delay(300);
        Assert.Equal(2L, _cluster.Call(1, "ZADD", a + "z", "1", "low", "2", "high"));
        Assert.Equal(new List<object?> { a + "z", "high", "2" }, await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        waiting = Task.Run(() => client.Call("BLMOVE", a + "src", b + "dst", "LEFT", "RIGHT", "0"));
        await Task.Delay(300);
        Assert.Equal(1L, _cluster.Call(2, "LPUSH", a + "src", "moved"));
        Assert.Equal("moved", await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(new List<object?> { "moved" }, _cluster.Call(1, "LRANGE", b + "dst", "0", "-1"));
        Assert.Equal(0L, _cluster.Call(1, "EXISTS", a + "src"));

        // CLIENT UNBLOCK, with and without the error.
        long id = (long)client.Call("CLIENT", "ID")!;
        using var other = new RespClient(_cluster.Port(0));
        waiting = Task.Run(() => client.Call("BLPOP", local, a, "0"));
        await Task.Delay(300);
        Assert.Equal(1L, other.Call("CLIENT", "UNBLOCK", id.ToString(), "ERROR"));
        Assert.Equal(new RespClient.RespError("UNBLOCKED client unblocked via CLIENT UNBLOCK"), await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        waiting = Task.Run(() => client.Call("BLPOP", local, a, "0"));
        await Task.Delay(300);
        Assert.Equal(1L, other.Call("CLIENT", "UNBLOCK", id.ToString()));
        Assert.Null(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));

        // A client that leaves while blocked takes nothing.
        using (var leaving = new RespClient(_cluster.Port(0)))
        {
            leaving.SendRaw(RespClient.Encode("BLPOP", local, a, "0"));
            await Task.Delay(300);
        }
        await Task.Delay(500);
        Assert.Equal(1L, _cluster.Call(1, "RPUSH", a, "kept"));
        await Task.Delay(300);
        Assert.Equal(new List<object?> { "kept" }, _cluster.Call(2, "LRANGE", a, "0", "-1"));
        Assert.Equal(2L, client.Call("DEL", a, b));

        // Many clients on every node blocked over keys of all three, many pushes through every node: each element is
        // popped exactly once, and every client gets one.
        const int clients = 12;
        string[] queues = [local, a, b];
        var consumers = Enumerable.Range(0, clients).Select(i => Task.Run(() =>
        {
            using var consumer = new RespClient(_cluster.Port(i % 3));
            var reply = (List<object?>)consumer.Call("BLPOP", queues[i % 3], queues[(i + 1) % 3], queues[(i + 2) % 3], "20")!;
            return (string)reply[1]!;
        })).ToArray();
        await Task.Delay(500);
        for (int i = 0; i < clients; i++) _cluster.Call(i % 3, "RPUSH", queues[(i * 7) % 3], "e" + i);
        var popped = await Task.WhenAll(consumers).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, clients).Select(i => "e" + i).Order(), popped.Order());
        Assert.Equal(0L, client.Call("EXISTS", local, a, b));
    }

    [Fact]
    public async Task TransactionsAcrossNodesAreAtomicUnderConcurrentClients()
    {
        // Two counters on different nodes, moved together by transactions from every node at once: a reader that
        // reads both in one MGET (itself spanning nodes) always sees them equal.
        var byNode = Enumerable.Range(0, 3000).Select(i => _prefix + "c" + i)
            .GroupBy(k => _cluster.OwnerPort(0, k)).ToDictionary(g => g.Key, g => g.First());
        string x = byNode[_cluster.Port(1)], y = byNode[_cluster.Port(2)];
        var writers = Enumerable.Range(0, 3).Select(node => Task.Run(() =>
        {
            using var client = new RespClient(_cluster.Port(node));
            for (int i = 0; i < 100; i++)
            {
                client.Call("MULTI");
                client.Call("INCR", x);
                client.Call("INCR", y);
                Assert.IsType<List<object?>>(client.Call("EXEC"));
            }
        })).ToArray();
        using var reader = new RespClient(_cluster.Port(0));
        while (!writers.All(w => w.IsCompleted))
        {
            var both = (List<object?>)reader.Call("MGET", x, y)!;
            Assert.Equal(both[0], both[1]);
        }
        await Task.WhenAll(writers);
        Assert.Equal(new List<object?> { "300", "300" }, reader.Call("MGET", x, y));
    }

    [Fact]
    public void CommandsThatNeedTheirShardsHereAreRedirectedAsRedisClusterDoes()
    {
        int here = _cluster.Port(0);
        var keys = Enumerable.Range(0, 2000).Select(i => _prefix + "r" + i).ToList();
        var remote = keys.Where(k => _cluster.OwnerPort(0, k) != here).GroupBy(k => _cluster.OwnerPort(0, k)).First();
        string remoteKey = remote.First();
        using var client = new RespClient(here);

        // A function lives in a Lua state of the node that loaded it (as in Redis Cluster, each node loads its own): with
        // its keys all on one other node it is redirected, with keys here and elsewhere it is refused.
        for (int node = 0; node < 3; node++)
            Assert.Equal("lib", _cluster.Call(node, "FUNCTION", "LOAD", "REPLACE", "#!lua name=lib\nredis.register_function('get', function(keys) return redis.call('GET', keys[1]) end)"));
        var moved = client.Call("FCALL", "get", "1", remoteKey) as RespClient.RespError;
        Assert.Matches($"^MOVED [0-9]+ 127.0.0.1:{remote.Key}$", moved?.Message ?? "");
        string local = keys.First(k => _cluster.OwnerPort(0, k) == here);
        Assert.Equal(new RespClient.RespError("CROSSSLOT Keys in request don't hash to the same slot"), client.Call("FCALL", "get", "2", local, remoteKey));

        // A multi-key command whose keys are all on this node runs, as does a transaction on them.
        var locals = keys.Where(k => _cluster.OwnerPort(0, k) == here).Take(3).ToArray();
        Assert.Equal("OK", client.Call("MSET", locals[0], "a", locals[1], "b", locals[2], "c"));
        Assert.Equal("OK", client.Call("WATCH", locals[0]));
        Assert.Equal("OK", client.Call("MULTI"));
        Assert.Equal("QUEUED", client.Call("GET", locals[1]));
        Assert.Equal("QUEUED", client.Call("SET", locals[2], "d"));
        Assert.Equal(new List<object?> { "b", "OK" }, client.Call("EXEC"));

        // SORT on this node's keys, without the patterns Redis Cluster refuses.
        string list = keys.Where(k => _cluster.OwnerPort(0, k) == here).Skip(3).First();
        Assert.Equal(3L, client.Call("RPUSH", list, "3", "1", "2"));
        Assert.Equal(new List<object?> { "1", "2", "3" }, client.Call("SORT", list));
        Assert.Equal(new RespClient.RespError("ERR BY option of SORT denied in Cluster mode."), client.Call("SORT", list, "BY", "w_*"));
        Assert.Equal(new RespClient.RespError("ERR GET option of SORT denied in Cluster mode."), client.Call("SORT", list, "GET", "#"));

        // A plain command for a key on another node is forwarded, not redirected.
        Assert.Equal("OK", client.Call("SET", remoteKey, "forwarded"));
        Assert.Equal("forwarded", _cluster.Call(2, "GET", remoteKey));

        // redis-cli -c follows the redirect to the node that owns the key.
        Assert.Equal("OK", client.Call("SET", remoteKey, "e"));
        var cli = Process.Start(new ProcessStartInfo("redis-cli", $"-c -p {here} FCALL get 1 {remoteKey}") { RedirectStandardOutput = true })!;
        string output = cli.StandardOutput.ReadToEnd();
        cli.WaitForExit();
        Assert.Equal("e", output.Trim());
    }

    [Fact]
    public void WatchWorksOnKeysOfOtherNodes()
    {
        int here = _cluster.Port(0);
        var keys = Enumerable.Range(0, 2000).Select(i => _prefix + "w" + i).ToList();
        string remoteKey = keys.First(k => _cluster.OwnerPort(0, k) != here);
        string local = keys.First(k => _cluster.OwnerPort(0, k) == here);
        using var client = new RespClient(here);
        using var other = new RespClient(_cluster.Port(1));

        // Untouched: EXEC runs, on this node's key and the other node's.
        Assert.Equal("OK", client.Call("WATCH", remoteKey));
        Assert.Equal("OK", client.Call("WATCH", local));
        Assert.Equal("OK", client.Call("MULTI"));
        Assert.Equal("QUEUED", client.Call("SET", local, "1"));
        Assert.Equal("QUEUED", client.Call("SET", remoteKey, "1"));
        Assert.Equal(new List<object?> { "OK", "OK" }, client.Call("EXEC"));
        Assert.Equal("1", _cluster.Call(2, "GET", remoteKey));

        // Written through another node after WATCH: EXEC answers nil and runs nothing.
        Assert.Equal("OK", client.Call("WATCH", remoteKey));
        Assert.Equal("OK", other.Call("SET", remoteKey, "changed"));
        Assert.Equal("OK", client.Call("MULTI"));
        Assert.Equal("QUEUED", client.Call("SET", local, "2"));
        Assert.Null(client.Call("EXEC"));
        Assert.Equal("1", client.Call("GET", local));

        // EXEC forgot that watch: the next transaction runs.
        Assert.Equal("OK", client.Call("MULTI"));
        Assert.Equal("QUEUED", client.Call("INCR", local));
        Assert.Equal(new List<object?> { 2L }, client.Call("EXEC"));

        // UNWATCH forgets it on the other node too.
        Assert.Equal("OK", client.Call("WATCH", remoteKey));
        Assert.Equal("OK", client.Call("UNWATCH"));
        Assert.Equal("OK", other.Call("SET", remoteKey, "again"));
        Assert.Equal("OK", client.Call("MULTI"));
        Assert.Equal("QUEUED", client.Call("INCR", local));
        Assert.Equal(new List<object?> { 3L }, client.Call("EXEC"));

        // One WATCH of keys on this node and another: a write to either fails EXEC.
        foreach (var write in new Func<object?>[] { () => other.Call("INCR", local), () => other.Call("SET", remoteKey, "x") })
        {
            long before = long.Parse((string)client.Call("GET", local)!);
            Assert.Equal("OK", client.Call("WATCH", local, remoteKey));
            Assert.Equal("OK", client.Call("MULTI"));
            Assert.Equal("QUEUED", client.Call("INCR", local));
            Assert.Equal(new List<object?> { before + 1 }, client.Call("EXEC"));
            Assert.Equal("OK", client.Call("WATCH", local, remoteKey));
            Assert.IsNotType<RespClient.RespError>(write());
            Assert.Equal("OK", client.Call("MULTI"));
            Assert.Equal("QUEUED", client.Call("INCR", local));
            Assert.Null(client.Call("EXEC"));
        }
        Assert.Equal("6", client.Call("GET", local)); // 3, +1 by EXEC, +1 by the other client, +1 by EXEC

        // A watched key that expires before EXEC fails it, as in Redis.
        Assert.Equal("OK", other.Call("SET", remoteKey, "short", "PX", "300"));
        Assert.Equal("OK", client.Call("WATCH", remoteKey));
        Thread.Sleep(500);
        Assert.Equal("OK", client.Call("MULTI"));
        Assert.Equal("QUEUED", client.Call("INCR", local));
        Assert.Null(client.Call("EXEC"));
        Assert.Equal("6", client.Call("GET", local));
    }

    [Fact]
    public void StackExchangeRedisInClusterModeRoutesBySlot()
    {
        using var redis = ConnectionMultiplexer.Connect($"127.0.0.1:{_cluster.Port(0)}");
        var db = redis.GetDatabase();
        Assert.Equal(3, redis.GetEndPoints().Length);
        Assert.All(redis.GetEndPoints(), e => Assert.Equal(ServerType.Cluster, redis.GetServer(e).ServerType));
        for (int i = 0; i < 300; i++) Assert.True(db.StringSet(_prefix + "se" + i, i));
        for (int i = 0; i < 300; i++) Assert.Equal(i, (int)db.StringGet(_prefix + "se" + i));
        // Hash-tagged keys share a slot, so a multi-key command on them goes to one node.
        string tag = "{" + _prefix + "}";
        db.StringSet([new(tag + "a", "1"), new(tag + "b", "2")]);
        Assert.Equal(["1", "2"], db.StringGet([tag + "a", tag + "b"]).Select(v => (string)v!));
        var tran = db.CreateTransaction();
        _ = tran.StringIncrementAsync(tag + "n");
        _ = tran.StringIncrementAsync(tag + "n");
        Assert.True(tran.Execute());
        Assert.Equal(2, (int)db.StringGet(tag + "n"));
        // Each node's DBSIZE counts its own slots' keys, as in Redis Cluster: together, every key once.
        long total = redis.GetEndPoints().Sum(e => redis.GetServer(e).DatabaseSize());
        Assert.True(total >= 303, $"{total} keys");
    }
}
