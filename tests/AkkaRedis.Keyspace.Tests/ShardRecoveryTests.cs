using Akka.TestKit.Xunit2;
using AkkaRedis.Keyspace.Data;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>
/// KeyspaceShard actors journaling to the AOF and recovering from it. Each "restart" is a new actor system and a
/// new keyspace over the same directory, so everything the second run knows came from the file.
/// </summary>
public sealed class ShardRecoveryTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "akkaredis-shard-tests", Guid.NewGuid().ToString("N"));
    private readonly List<TestKit> _kits = [];

    public void Dispose()
    {
        foreach (var kit in _kits) kit.Shutdown();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, true);
    }

    private ShardHarness Start(int shards = 3, ManualClock? clock = null)
    {
        var kit = new TestKit(ShardHarness.JournalConfig(_directory));
        _kits.Add(kit);
        return new ShardHarness(kit, shards, appendOnly: true, clock);
    }

    private void StopAll()
    {
        foreach (var kit in _kits) kit.Shutdown();
        _kits.Clear();
    }

    [Fact]
    public void WritesSentWhileTheJournalIsBusyAreJournaledTogetherInOrder()
    {
        // One message per write, sent without waiting: the shard groups those that arrive while a write is in flight
        // into its next journal event. Every reply must come, each write once, in order, in its database.
        var shards = Start();
        var key = shards.KeyOn(1);
        var expected = new Dictionary<int, string> { [0] = "", [3] = "" };
        var appends = new Dictionary<long, (int Db, int Length)>();
        var reads = new Dictionary<long, int>();
        for (int i = 0; i < 400; i++)
        {
            int db = i % 5 == 0 ? 3 : 0;
            shards.Db = db;
            if (i % 7 == 6)
            {
                reads[shards.Send("STRLEN", key)] = -1;
                continue;
            }
            expected[db] += i + ",";
            appends[shards.Send("APPEND", key, i + ",")] = (db, expected[db].Length);
        }
        var replies = shards.Replies(appends.Count + reads.Count);
        foreach (var (seq, (_, length)) in appends) Assert.Equal($":{length}\r\n", replies[seq]);
        foreach (var seq in reads.Keys) Assert.StartsWith(":", replies[seq]);
        StopAll();

        var again = Start();
        again.Db = 0;
        Assert.Equal($"${expected[0].Length}\r\n{expected[0]}\r\n", again.Run("GET", key));
        again.Db = 3;
        Assert.Equal($"${expected[3].Length}\r\n{expected[3]}\r\n", again.Run("GET", key));
    }

    [Fact]
    public void EveryTypeSurvivesARestart()
    {
        var shards = Start();
        shards.Run("SET", "s", "text");
        shards.Run("INCRBYFLOAT", "f", "1.5");
        shards.Run("RPUSH", "l", "a", "b", "c");
        shards.Run("LPOP", "l");
        shards.Run("HSET", "h", "f1", "v1", "f2", "v2");
        shards.Run("HDEL", "h", "f1");
        shards.Run("SADD", "set", "1", "2", "x");
        shards.Run("SPOP", "set");
        shards.Run("ZADD", "z", "1.5", "a", "-inf", "b", "2", "c", "3", "d");
        shards.Run("ZINCRBY", "z", "0.25", "a");
        shards.Run("ZPOPMAX", "z");
        shards.Run("ZADD", "{z}1", "1", "x", "2", "y");
        shards.Run("ZMPOP", "2", "{z}missing", "{z}1", "MIN");
        shards.Run("ZUNIONSTORE", "{z}2", "1", "{z}1", "WEIGHTS", "3");
        shards.Run("EXPIRE", "s", "1000");
        var members = shards.Run("SMEMBERS", "set");
        shards.Db = 5;
        shards.Run("SET", "in5", "five");
        StopAll();

        var again = Start();
        Assert.Equal("$4\r\ntext\r\n", again.Run("GET", "s"));
        Assert.Equal("$3\r\n1.5\r\n", again.Run("GET", "f"));
        Assert.Equal("*2\r\n$1\r\nb\r\n$1\r\nc\r\n", again.Run("LRANGE", "l", "0", "-1"));
        Assert.Equal("*2\r\n$2\r\nf2\r\n$2\r\nv2\r\n", again.Run("HGETALL", "h"));
        Assert.Equal(members, again.Run("SMEMBERS", "set"));
        Assert.Equal("*6\r\n$1\r\nb\r\n$4\r\n-inf\r\n$1\r\na\r\n$4\r\n1.75\r\n$1\r\nc\r\n$1\r\n2\r\n", again.Run("ZRANGE", "z", "0", "-1", "WITHSCORES"));
        Assert.Equal("*2\r\n$1\r\ny\r\n$1\r\n6\r\n", again.Run("ZRANGE", "{z}2", "0", "-1", "WITHSCORES"));
        Assert.Equal(":1000\r\n", again.Run("TTL", "s"));
        again.Db = 5;
        Assert.Equal("$4\r\nfive\r\n", again.Run("GET", "in5"));
    }

    [Fact]
    public void CrossShardCommandsReplayOnWhicheverShardOwnsEachKey()
    {
        var shards = Start();
        var a = shards.KeyOn(0, "a");
        var b = shards.KeyOn(1, "b");
        var c = shards.KeyOn(2, "c");
        shards.Run("MSET", a, "1", b, "2", c, "3");
        shards.Run("RPUSH", a + "l", "x", "y");
        shards.Run("RENAME", a, c);
        shards.Run("LMOVE", a + "l", b + "l", "LEFT", "RIGHT");
        shards.Run("SADD", "src", "m");
        shards.Run("SMOVE", "src", "dst", "m");
        StopAll();

        // Fewer shards than before: the keys find their new owners.
        var again = Start(shards: 2);
        Assert.Equal("*3\r\n$-1\r\n$1\r\n2\r\n$1\r\n1\r\n", again.Run("MGET", a, b, c));
        Assert.Equal("*1\r\n$1\r\ny\r\n", again.Run("LRANGE", a + "l", "0", "-1"));
        Assert.Equal("*1\r\n$1\r\nx\r\n", again.Run("LRANGE", b + "l", "0", "-1"));
        Assert.Equal(":0\r\n", again.Run("EXISTS", "src"));
        Assert.Equal(":1\r\n", again.Run("SISMEMBER", "dst", "m"));
    }

    [Fact]
    public void AKeyThatExpiredStaysGoneEvenIfTheClockIsBehindAtRestart()
    {
        var clock = new ManualClock();
        var shards = Start(clock: clock);
        shards.Run("SET", "k", "v", "PX", "100");
        shards.Run("RPUSH", "l", "a");
        shards.Run("PEXPIRE", "l", "100");
        clock.Advance(200);
        Assert.Equal("$-1\r\n", shards.Run("GET", "k"));  // lazy expiry
        shards.ExpireCycle();                              // active expiry
        Assert.Equal(":0\r\n", shards.Run("EXISTS", "l"));
        shards.Run("RPUSH", "l", "b");
        StopAll();

        // A clock set back before the expiry: only the journaled DELs keep the old values from coming back.
        var again = Start(clock: new ManualClock(clock.NowMs - 1000));
        Assert.Equal("$-1\r\n", again.Run("GET", "k"));
        Assert.Equal("*1\r\n$1\r\nb\r\n", again.Run("LRANGE", "l", "0", "-1"));
    }

    private sealed class Client : Commands.IClientState
    {
        public int Db => 0;
        public bool Resp3 => false;
        public Akka.Actor.IActorRef? Actor => null;
    }

    [Fact]
    public void ATransactionIsOneMultiExecBlockInTheFileAndReplaysWhole()
    {
        var shards = Start();
        var table = shards.Table;
        byte[][] Args(params string[] a) => a.Select(x => System.Text.Encoding.UTF8.GetBytes(x)).ToArray();
        var queued = new List<Commands.QueuedCommand>
        {
            new(table.Find("set")!, Args("SET", "{t}a", "1"), null),
            new(table.Find("incr")!, Args("INCR", "{t}a"), null),
            new(table.Find("get")!, Args("GET", "{t}a"), null),
            new(table.Find("rpush")!, Args("RPUSH", "{t}b", "x"), null),
        };
        var exec = Args("EXEC");
        var command = new Shards.ShardCommand(table.Find("exec")!, exec, 0, false, 1, new Commands.Transaction(queued, null, new Client()));
        int shard = shards.Keyspace.ShardOf("{t}a"u8);
        shards.Shards[shard].Tell(new Shards.ShardBatch([command], 1, _kits[0].TestActor), _kits[0].TestActor);
        _kits[0].ExpectMsg<Shards.ShardReplies>();
        StopAll();

        var text = File.ReadAllText(Path.Combine(_directory, "appendonlydir", "appendonly.aof.1.incr.aof"));
        Assert.Equal(string.Concat(
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n",
            "*1\r\n$5\r\nMULTI\r\n",
            "*3\r\n$3\r\nSET\r\n$4\r\n{t}a\r\n$1\r\n1\r\n",
            "*2\r\n$4\r\nINCR\r\n$4\r\n{t}a\r\n",
            "*3\r\n$5\r\nRPUSH\r\n$4\r\n{t}b\r\n$1\r\nx\r\n",
            "*1\r\n$4\r\nEXEC\r\n"), text);
        var again = Start();
        Assert.Equal("$1\r\n2\r\n", again.Run("GET", "{t}a"));
    }

    [Fact]
    public void WhileTheAofCannotBeWrittenWritesAnswerMisconfAndReadsGoOn()
    {
        var shards = Start();
        shards.Run("SET", "k", "v");
        shards.State.Aof!.WriteError = "No space left on device";
        Assert.Equal("-MISCONF Errors writing to the AOF file: No space left on device\r\n", shards.Run("SET", "k", "w"));
        Assert.Equal("-MISCONF Errors writing to the AOF file: No space left on device\r\n", shards.Run("RPUSH", "l", "x"));
        Assert.Equal("$1\r\nv\r\n", shards.Run("GET", "k"));
        // Each refusal is a rejected call (processCommand's rejectCommand), as redis-server counts it.
        Assert.Equal(1, shards.State.Rejected[shards.Table.Find("set")!.Id]);
        Assert.Equal(1, shards.State.Rejected[shards.Table.Find("rpush")!.Id]);
        shards.State.Aof.WriteError = null;
        Assert.Equal("+OK\r\n", shards.Run("SET", "k", "w"));
    }
}
