using System.Text;
using Akka.Actor;
using AkkaRedis.Keyspace.Shards;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>
/// Blocking commands relayed to their shard from a connection on another node (cluster mode), at the actor level: the
/// shard alone decides how each ends, and drops the command when its relay stops.
/// </summary>
public class RelayedBlockTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ShardHarness _h;

    public RelayedBlockTests() => _h = new ShardHarness(this);

    private ShardCommand Command(long seq, params string[] args)
    {
        var bytes = args.Select(Encoding.UTF8.GetBytes).ToArray();
        return new ShardCommand(_h.Table.FindCommand(bytes)!, bytes, 0, false, seq);
    }

    private static string Text(ShardReplies replies) => Encoding.UTF8.GetString(replies.Buffer, 0, replies.Ends[0]);

    [Fact]
    public void ARelayedBlockIsServedByAPushAndARepeatDoesNotBlockTwice()
    {
        string key = _h.KeyOn(1);
        var relay = CreateTestProbe();
        var block = new BlockFor(Command(7, "BLPOP", key, "0"), relay.Ref);
        _h.Shards[1].Tell(block, relay.Ref);
        relay.ExpectMsg<BlockRegistered>();
        _h.Shards[1].Tell(block, relay.Ref); // sent again by the relay: recognised
        relay.ExpectMsg<BlockRegistered>();
        Assert.Equal(":2\r\n", _h.Run("RPUSH", key, "a", "b"));
        var served = relay.ExpectMsg<ShardReplies>();
        Assert.Equal(7L, served.Seqs[0]);
        Assert.Equal($"*2\r\n${key.Length}\r\n{key}\r\n$1\r\na\r\n", Text(served));
        _h.Shards[1].Tell(block, relay.Ref); // a late repeat after it was served takes nothing
        relay.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(":1\r\n", _h.Run("LLEN", key));
        // Ending it now finds nothing waiting.
        _h.Shards[1].Tell(new BlockCancel(relay.Ref, [1]), relay.Ref);
        relay.ExpectMsg<NotBlocked>();
    }

    [Fact]
    public void ACancelEndsAWaitingBlockWithTheGivenReply()
    {
        string key = _h.KeyOn(2);
        var relay = CreateTestProbe();
        _h.Shards[2].Tell(new BlockFor(Command(3, "BRPOP", key, "0"), relay.Ref), relay.Ref);
        relay.ExpectMsg<BlockRegistered>();
        _h.Shards[2].Tell(new BlockCancel(relay.Ref, "*-1\r\n"u8.ToArray()), relay.Ref);
        var replies = relay.ExpectMsg<ShardReplies>();
        Assert.Equal(3L, replies.Seqs[0]);
        Assert.Equal("*-1\r\n", Text(replies));
        Assert.Equal(":1\r\n", _h.Run("RPUSH", key, "x"));
        relay.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(":1\r\n", _h.Run("LLEN", key));
    }

    [Fact]
    public void ABlockWhoseRelayStopsTakesNothing()
    {
        string key = _h.KeyOn(0);
        var relay = CreateTestProbe();
        _h.Shards[0].Tell(new BlockFor(Command(1, "BLPOP", key, "0"), relay.Ref), relay.Ref);
        relay.ExpectMsg<BlockRegistered>();
        Watch(relay.Ref);
        Sys.Stop(relay.Ref);
        ExpectTerminated(relay.Ref);
        Thread.Sleep(200); // the shard learns of it from DeathWatch
        Assert.Equal(":1\r\n", _h.Run("RPUSH", key, "x"));
        relay.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal(":1\r\n", _h.Run("LLEN", key));
    }

    [Fact]
    public void ARelayedCommandThatNeedNotBlockIsAnsweredAtOnce()
    {
        string key = _h.KeyOn(1);
        _h.Run("RPUSH", key, "ready");
        var relay = CreateTestProbe();
        _h.Shards[1].Tell(new BlockFor(Command(9, "BLPOP", key, "0"), relay.Ref), relay.Ref);
        Assert.Equal($"*2\r\n${key.Length}\r\n{key}\r\n$5\r\nready\r\n", Text(relay.ExpectMsg<ShardReplies>()));
        var other = CreateTestProbe();
        _h.Shards[1].Tell(new BlockFor(Command(10, "BLPOP", key, "x"), other.Ref));
        Assert.Equal("-ERR timeout is not a float or out of range\r\n", Text(other.ExpectMsg<ShardReplies>()));
    }

    [Fact]
    public void AWakerIsWokenInItsTurnByAPushOfItsKindAndPopsNothing()
    {
        string list = _h.KeyOn(1), other = _h.KeyOn(2), zset = _h.KeyOn(1, "z");
        var waker = CreateTestProbe();
        // BLPOP over keys of two shards: each shard registers the keys it owns.
        var blpop = Command(5, "BLPOP", list, other, "0");
        _h.Shards[1].Tell(new WakeWhenReady(blpop, 1, waker.Ref));
        Assert.Equal((1, 1L, 0), Registered(waker.ExpectMsg<WakeRegistered>()));
        _h.Shards[1].Tell(new WakeWhenReady(blpop, 2, waker.Ref)); // a renewal while it waits: answered, not doubled
        Assert.Equal((1, 2L, 0), Registered(waker.ExpectMsg<WakeRegistered>()));

        // A sorted set at a key it waits on as a list does not wake it; a list does, and stays whole.
        Assert.Equal(":1\r\n", _h.Run("ZADD", "{" + list + "}", "1", "m"));
        Assert.Equal(":1\r\n", _h.Run("RPUSH", list, "a"));
        Assert.Equal(new KeyReady(1), waker.ExpectMsg<KeyReady>());
        waker.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal("*1\r\n$1\r\na\r\n", _h.Run("LRANGE", list, "0", "-1"));

        // Registered again behind a client blocked here: that client is served first, and the waker is woken only when
        // an element is left for it.
        Assert.Equal("$1\r\na\r\n", _h.Run("LPOP", list));
        var relay = CreateTestProbe();
        _h.Shards[1].Tell(new BlockFor(Command(9, "BLPOP", list, "0"), relay.Ref), relay.Ref);
        relay.ExpectMsg<BlockRegistered>();
        _h.Shards[1].Tell(new WakeWhenReady(blpop, 3, waker.Ref));
        waker.ExpectMsg<WakeRegistered>();
        Assert.Equal(":1\r\n", _h.Run("RPUSH", list, "b"));
        Assert.Equal($"*2\r\n${list.Length}\r\n{list}\r\n$1\r\nb\r\n", Text(relay.ExpectMsg<ShardReplies>()));
        waker.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(":1\r\n", _h.Run("RPUSH", list, "c"));
        Assert.Equal(new KeyReady(1), waker.ExpectMsg<KeyReady>());

        // A waker of a sorted-set pop is woken by ZADD; once it stops, nothing wakes it.
        var bzpop = Command(6, "BZPOPMIN", zset, "0");
        var zwaker = CreateTestProbe();
        _h.Shards[1].Tell(new WakeWhenReady(bzpop, 1, zwaker.Ref));
        zwaker.ExpectMsg<WakeRegistered>();
        Assert.Equal(":1\r\n", _h.Run("ZADD", zset, "1", "m"));
        Assert.Equal(new KeyReady(1), zwaker.ExpectMsg<KeyReady>());
        _h.Shards[1].Tell(new WakeWhenReady(blpop, 4, waker.Ref));
        waker.ExpectMsg<WakeRegistered>();
        _h.Shards[1].Tell(new StopWaking(waker.Ref));
        Assert.Equal(":2\r\n", _h.Run("RPUSH", list, "d"));
        waker.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(0, Volatile.Read(ref _h.Keyspace.BlockedWaiters));
    }

    private static (int Shard, long Round, int Resolved) Registered(WakeRegistered registered) =>
        (registered.Shard, registered.Round, registered.Resolved.Length);

    [Fact]
    public void AWakerOfXReadWithDollarLearnsTheLastIdsAsTheWaitBegins()
    {
        string stream = _h.KeyOn(1, "s"), elsewhere = _h.KeyOn(2, "s"), missing = _h.KeyOn(1, "m");
        Assert.Equal("$3\r\n5-0\r\n", _h.Run("XADD", stream, "5-0", "f", "v"));
        Assert.Equal("$3\r\n7-0\r\n", _h.Run("XADD", stream, "7-0", "f", "v"));
        Assert.Equal(":1\r\n", _h.Run("XDEL", stream, "7-0"));
        var waker = CreateTestProbe();
        // Only this shard's streams: the last ID even when deleted, 0-0 for none; a given ID stays as it is.
        var xread = Command(3, "XREAD", "BLOCK", "0", "STREAMS", stream, elsewhere, missing, "$", "$", "$");
        _h.Shards[1].Tell(new WakeWhenReady(xread, 1, waker.Ref));
        var registered = waker.ExpectMsg<WakeRegistered>();
        Assert.Equal([(7, "7-0"), (9, "0-0")], registered.Resolved.Select(r => (r.Position, Encoding.ASCII.GetString(r.Id))));
        // The shard waits for entries after those: a new one wakes the waker.
        Assert.Equal("$3\r\n8-0\r\n", _h.Run("XADD", stream, "8-0", "f", "v"));
        Assert.Equal(new KeyReady(1), waker.ExpectMsg<KeyReady>());
    }
}
