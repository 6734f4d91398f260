using System.Text;
using Akka.Actor;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Shards;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>
/// The lending hold (how a cluster runs a command whose shards span nodes), at the actor level on real shards: the
/// command runs on lent copies, each shard applies its part of the effects, and a lent shard serves no one else
/// until its runner releases it or dies.
/// </summary>
public class LendingHoldTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ShardHarness _h;
    private long _seq = 1000;

    public LendingHoldTests() => _h = new ShardHarness(this);

    private static byte[][] Bytes(params string[] args) => args.Select(Encoding.UTF8.GetBytes).ToArray();

    /// <summary>Runs a command as a lending hold over the shards of its keys and returns its reply.</summary>
    private string Lending(params string[] args) => Lending(_h.Table.FindCommand(Bytes(args))!, Bytes(args), null);

    private string Lending(CommandSpec spec, byte[][] args, object? payload)
    {
        var command = new ShardCommand(spec, args, 0, false, ++_seq, payload);
        // As the connection does for EXEC: the watched shards are lent too.
        var watched = (payload as Transaction)?.Watch?.StandInShards ?? [];
        var shards = LendingHold.KeysOf(command).Select(k => _h.Keyspace.ShardOf(k)).Concat(watched).Distinct().Order().ToArray();
        Sys.ActorOf(LendingHold.Props(_h.Shards, shards, command, TestActor, _h.State, _h.Shards.Length, 16));
        var replies = ExpectMsg<ShardReplies>(TimeSpan.FromSeconds(5));
        Assert.Equal(_seq, replies.Seqs[0]);
        return Encoding.UTF8.GetString(replies.Buffer, 0, replies.Ends[0]);
    }

    [Fact]
    public void AMultiKeyCommandRunsOnLentKeysAndItsEffectsLandOnTheirShards()
    {
        string a = _h.KeyOn(0), b = _h.KeyOn(1), c = _h.KeyOn(2);
        _h.Run("SET", a, "1", "EX", "100");
        _h.Run("SADD", b, "x", "y");
        Assert.Equal("+OK\r\n", Lending("RENAME", a, c));
        Assert.Equal("$1\r\n1\r\n", _h.Run("GET", c));
        Assert.Equal(":100\r\n", _h.Run("TTL", c));
        Assert.Equal(":0\r\n", _h.Run("EXISTS", a));
        Assert.Equal(":2\r\n", Lending("SUNIONSTORE", a, b, c + "missing"));
        Assert.Equal(":2\r\n", _h.Run("SCARD", a));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", Lending("SUNIONSTORE", a, b, c));
        Assert.Equal("*3\r\n$1\r\n1\r\n$-1\r\n$-1\r\n", Lending("MGET", c, b + "none", a + "none"));
    }

    [Fact]
    public void SortedSetsAreLentAndStoredBackWithTheirScores()
    {
        string a = _h.KeyOn(0), b = _h.KeyOn(1), c = _h.KeyOn(2);
        _h.Run("ZADD", a, "1.5", "x", "-inf", "y");
        _h.Run("ZADD", b, "2", "x", "inf", "z");
        Assert.Equal(":3\r\n", Lending("ZUNIONSTORE", c, "2", a, b));
        Assert.Equal("*6\r\n$1\r\ny\r\n$4\r\n-inf\r\n$1\r\nx\r\n$3\r\n3.5\r\n$1\r\nz\r\n$3\r\ninf\r\n", _h.Run("ZRANGE", c, "0", "-1", "WITHSCORES"));
        Assert.Equal($"*2\r\n${a.Length}\r\n{a}\r\n*1\r\n*2\r\n$1\r\ny\r\n$4\r\n-inf\r\n", Lending("ZMPOP", "2", a, b, "MIN"));
        Assert.Equal(":1\r\n", _h.Run("ZCARD", a));
    }

    [Fact]
    public void ATransactionRunsWholeOverLentShards()
    {
        string a = _h.KeyOn(0), b = _h.KeyOn(2);
        _h.Run("SET", a, "5");
        var queue = new List<QueuedCommand>
        {
            new(_h.Table.Find("incr")!, Bytes("INCR", a), null),
            new(_h.Table.Find("rpush")!, Bytes("RPUSH", b, "e"), null),
            new(_h.Table.Find("rpush")!, Bytes("RPUSH", a, "e"), null),
        };
        var transaction = new Transaction(queue, null, new Client());
        Assert.Equal("*3\r\n:6\r\n:1\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            Lending(_h.Table.Find("exec")!, Bytes("EXEC"), transaction));
        Assert.Equal("$1\r\n6\r\n", _h.Run("GET", a));
        Assert.Equal("*1\r\n$1\r\ne\r\n", _h.Run("LRANGE", b, "0", "-1"));
    }

    [Fact]
    public void AScriptRunsOnItsDeclaredKeysLentAndOnlyOnThose()
    {
        string a = _h.KeyOn(0), b = _h.KeyOn(2), undeclared = _h.KeyOn(0, "other"), elsewhere = _h.KeyOn(1);
        _h.Run("SET", a, "5");
        _h.Run("SET", undeclared, "on a lent shard, not lent");
        // Loaded through the shards' engine; the hold's own Lua state finds it in the node's script cache.
        string script = "redis.call('INCRBY', KEYS[1], ARGV[1]); redis.call('RPUSH', KEYS[2], ARGV[1]); return {redis.call('GET', KEYS[1]), redis.call('LLEN', KEYS[2])}";
        string loaded = _h.Run("SCRIPT", "LOAD", script);
        string sha = loaded.Split("\r\n")[1];
        Assert.Equal("*2\r\n$1\r\n7\r\n:1\r\n", Lending("EVALSHA", sha, "2", a, b, "2"));
        Assert.Equal("$1\r\n7\r\n", _h.Run("GET", a));
        Assert.Equal("*1\r\n$1\r\n2\r\n", _h.Run("LRANGE", b, "0", "-1"));

        // A key the script did not declare is not there to read or write, whichever shard it is on.
        foreach (var key in new[] { undeclared, elsewhere })
            Assert.StartsWith("-ERR Script attempted to access a non local key in a cluster node script",
                Lending("EVAL", "return redis.call('GET', ARGV[1])", "2", a, b, key));
        Assert.StartsWith("-ERR Write commands are not allowed from read-only scripts",
            Lending("EVAL_RO", "return redis.call('DEL', KEYS[1])", "2", a, b));
        Assert.Equal("$1\r\n7\r\n", _h.Run("GET", a));

        // SCRIPT FLUSH empties the node's cache: no engine runs the script by its SHA any more.
        _h.Run("SCRIPT", "FLUSH");
        Assert.StartsWith("-NOSCRIPT", Lending("EVALSHA", sha, "2", a, b, "1"));
        Assert.StartsWith("-NOSCRIPT", _h.Run("EVALSHA", sha, "0"));
    }

    /// <summary>WATCH as a connection on another node sends it: with a ticket, for which the shard keeps a stand-in.</summary>
    private void WatchFromAnotherNode(WatchState watch, int shard, string key)
    {
        watch.Ticket ??= new WatchTicket(CreateTestProbe().Ref, watch.Generation);
        watch.StandInShards.Add(shard);
        var command = new ShardCommand(_h.Table.Find("watch")!, Bytes("WATCH", key), 0, false, ++_seq, watch.Ticket);
        _h.Shards[shard].Tell(new ShardBatch([command], 1, TestActor), TestActor);
        Assert.Equal("+OK\r\n", Encoding.UTF8.GetString(ExpectMsg<ShardReplies>().Buffer));
    }

    private string ExecWatched(WatchState watch, string key, string value)
    {
        var queue = new List<QueuedCommand> { new(_h.Table.Find("set")!, Bytes("SET", key, value), null) };
        return Lending(_h.Table.Find("exec")!, Bytes("EXEC"), new Transaction(queue, watch, new Client()));
    }

    [Fact]
    public void AWatchKeptForAnotherNodeFailsExecWhenItsKeyChangesAndOnlyThen()
    {
        string watched = _h.KeyOn(1), target = _h.KeyOn(2);
        var untouched = new WatchState();
        WatchFromAnotherNode(untouched, 1, watched);
        Assert.Equal("*1\r\n+OK\r\n", ExecWatched(untouched, target, "ran"));
        Assert.Equal("$3\r\nran\r\n", _h.Run("GET", target));

        var touched = new WatchState();
        WatchFromAnotherNode(touched, 1, watched);
        _h.Run("SET", watched, "changed");
        Assert.Equal("*-1\r\n", ExecWatched(touched, target, "not run"));
        Assert.Equal("$3\r\nran\r\n", _h.Run("GET", target));

        // EXEC ended the stand-in: asked again (or never known, as after the shard moved), the watch counts as failed.
        Assert.Equal("*-1\r\n", ExecWatched(touched, target, "not run"));

        // ForgetWatch (UNWATCH, DISCARD, disconnect) ends it too: no key is watched any more.
        var forgotten = new WatchState();
        WatchFromAnotherNode(forgotten, 1, watched);
        _h.Shards[1].Tell(new ForgetWatch(forgotten.Ticket!));
        _h.Run("SET", watched, "again");
        Assert.Equal(0, _h.Keyspace.WatchedKeys);
    }

    [Fact]
    public void AStandInWatchEndsWhenItsConnectionIsGoneWithoutForgettingIt()
    {
        // As when the connection's node dies: no ForgetWatch ever comes, only the death of its actor.
        var connection = CreateTestProbe();
        var watch = new WatchState();
        watch.Ticket = new WatchTicket(connection.Ref, watch.Generation);
        WatchFromAnotherNode(watch, 1, _h.KeyOn(1));
        Assert.Equal(1, _h.Keyspace.WatchedKeys);
        Sys.Stop(connection.Ref);
        AwaitAssert(() => Assert.Equal(0, Volatile.Read(ref _h.Keyspace.WatchedKeys)), TimeSpan.FromSeconds(5));
    }

    private sealed class Client : IClientState
    {
        public int Db => 0;
        public bool Resp3 => false;
        public Akka.Actor.IActorRef? Actor => null;
    }

    /// <summary>Stands in for a shard behind Cluster Sharding that loses the first message of one type (a hand-off).</summary>
    private sealed class LosesFirst : ReceiveActor
    {
        private bool _dropped;

        public LosesFirst(IActorRef shard, Type lost) => ReceiveAny(message =>
        {
            if (!_dropped && message.GetType() == lost) _dropped = true;
            else shard.Forward(message);
        });
    }

    [Theory]
    [InlineData(typeof(LendKeys))]
    public void AMessageLostOnTheWayIsFoundByAProbeAndSentAgainOnce(Type lost)
    {
        string a = _h.KeyOn(0), b = _h.KeyOn(2);
        _h.Run("SET", a, "10");
        var shards = _h.Shards.ToArray();
        shards[2] = Sys.ActorOf(Props.Create(() => new LosesFirst(_h.Shards[2], lost)));
        // A transaction whose effects are not idempotent: applied twice, the counter would read 2.
        var queue = new List<QueuedCommand>
        {
            new(_h.Table.Find("incr")!, Bytes("INCR", a), null),
            new(_h.Table.Find("incr")!, Bytes("INCR", b), null),
        };
        var command = new ShardCommand(_h.Table.Find("exec")!, Bytes("EXEC"), 0, false, 1, new Transaction(queue, null, new Client()));
        Sys.ActorOf(LendingHold.Props(shards, [0, 2], command, TestActor, _h.State, _h.Shards.Length, 16));
        Assert.Equal("*2\r\n:11\r\n:1\r\n", Encoding.UTF8.GetString(ExpectMsg<ShardReplies>(TimeSpan.FromSeconds(10)).Buffer));
        Assert.Equal("$2\r\n11\r\n", _h.Run("GET", a));
        Assert.Equal("$1\r\n1\r\n", _h.Run("GET", b));
    }

    [Fact]
    public void ALentShardServesNoOneElseUntilReleased()
    {
        string a = _h.KeyOn(1);
        _h.Run("SET", a, "v");
        var runner = CreateTestProbe();
        _h.Shards[1].Tell(new LendKeys(Bytes(a), runner.Ref), runner.Ref);
        var lent = runner.ExpectMsg<KeysLent>();
        Assert.Equal(1, lent.Shard);
        Assert.Contains("$1\r\nv\r\n", Encoding.UTF8.GetString(lent.State.Resp));

        var get = new ShardCommand(_h.Table.Find("get")!, Bytes("GET", a), 0, false, 1);
        _h.Shards[1].Tell(new ShardBatch([get], 1, TestActor));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        _h.Shards[1].Tell(new ReleaseLent(runner.Ref));
        Assert.Equal("$1\r\nv\r\n", Encoding.UTF8.GetString(ExpectMsg<ShardReplies>().Buffer));
    }

    [Fact]
    public void ALentShardIsReleasedWhenItsRunnerDies()
    {
        var runner = CreateTestProbe();
        _h.Shards[2].Tell(new LendKeys(Bytes(_h.KeyOn(2)), runner.Ref), runner.Ref);
        runner.ExpectMsg<KeysLent>();
        var ping = new ShardCommand(_h.Table.Find("dbsize")!, Bytes("DBSIZE"), 0, false, 1);
        _h.Shards[2].Tell(new ShardBatch([ping], 1, TestActor));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Sys.Stop(runner.Ref);
        ExpectMsg<ShardReplies>(TimeSpan.FromSeconds(5));
    }
}
