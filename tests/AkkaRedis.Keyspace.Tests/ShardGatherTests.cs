using Akka.TestKit.Xunit2;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>
/// Under appendfsync always a shard gathers its next journal write until the clients it just answered are back (each
/// write costs an fsync), waiting at most ServerConfig.AofGatherWaitMs. The journal here completes writes when the
/// test says so, so what each write carries is exact.
/// </summary>
public sealed class ShardGatherTests : TestKit
{
    public ShardGatherTests() : base(GatedJournal.Config) { }

    private (ShardHarness Shards, Akka.TestKit.TestProbe Journal) Start(string fsync, int gatherWaitMs)
    {
        var journal = CreateTestProbe();
        Sys.EventStream.Subscribe(journal, typeof(GatedWrite));
        var shards = new ShardHarness(this, shards: 2, appendOnly: true);
        shards.Config.AppendFsync = fsync;
        shards.Config.AofGatherWaitMs = gatherWaitMs;
        return (shards, journal);
    }

    private static string Set(string key) => $"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n$1\r\nv\r\n";

    /// <summary>Journals SET a, then sends SET b and SET c while its write is in flight, and completes it.</summary>
    private static (long B, long C) OneWrittenTwoAwaiting(ShardHarness shards, Akka.TestKit.TestProbe journal, string a, string b, string c)
    {
        long first = shards.Send("SET", a, "v");
        var write = journal.ExpectMsg<GatedWrite>();
        Assert.EndsWith(Set(a), write.Commands);
        long second = shards.Send("SET", b, "v"), third = shards.Send("SET", c, "v");
        journal.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // one write in flight at a time
        write.Complete();
        Assert.Equal("+OK\r\n", shards.Replies(1)[first]);
        return (second, third);
    }

    [Fact]
    public void UnderAlwaysTheNextWriteWaitsForTheClientsJustAnswered()
    {
        var (shards, journal) = Start("always", gatherWaitMs: 60_000);
        string a = shards.KeyOn(0, "a"), b = shards.KeyOn(0, "b"), c = shards.KeyOn(0, "c"), d = shards.KeyOn(0, "d");
        var (second, third) = OneWrittenTwoAwaiting(shards, journal, a, b, c);

        // One client was answered and two wait: the write waits for a third commit, the answered client's next.
        journal.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        long fourth = shards.Send("SET", d, "v");
        var gathered = journal.ExpectMsg<GatedWrite>();
        Assert.EndsWith(Set(b) + Set(c) + Set(d), gathered.Commands);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // no reply before the write is in
        gathered.Complete();
        var replies = shards.Replies(3);
        Assert.All(new[] { second, third, fourth }, seq => Assert.Equal("+OK\r\n", replies[seq]));
    }

    [Fact]
    public void AGatheredWriteWaitsNoLongerThanTheGatherWait()
    {
        var (shards, journal) = Start("always", gatherWaitMs: 50);
        string a = shards.KeyOn(0, "a"), b = shards.KeyOn(0, "b"), c = shards.KeyOn(0, "c");
        var (second, third) = OneWrittenTwoAwaiting(shards, journal, a, b, c);

        // Nobody comes back: the two go out on their own once the wait is over.
        var gathered = journal.ExpectMsg<GatedWrite>(TimeSpan.FromSeconds(5));
        Assert.EndsWith(Set(b) + Set(c), gathered.Commands);
        gathered.Complete();
        var replies = shards.Replies(2);
        Assert.Equal("+OK\r\n", replies[second]);
        Assert.Equal("+OK\r\n", replies[third]);
    }

    [Fact]
    public void UnderEverysecNothingIsGathered()
    {
        var (shards, journal) = Start("everysec", gatherWaitMs: 60_000);
        string a = shards.KeyOn(0, "a"), b = shards.KeyOn(0, "b"), c = shards.KeyOn(0, "c");
        OneWrittenTwoAwaiting(shards, journal, a, b, c);

        Assert.EndsWith(Set(b) + Set(c), journal.ExpectMsg<GatedWrite>(TimeSpan.FromSeconds(1)).Commands);
    }

    [Fact]
    public void ACommandHoldingTheShardWritesWhatWasGatheredAtOnce()
    {
        var (shards, journal) = Start("always", gatherWaitMs: 60_000);
        string a = shards.KeyOn(0, "a"), b = shards.KeyOn(0, "b"), c = shards.KeyOn(0, "c");
        var (second, third) = OneWrittenTwoAwaiting(shards, journal, a, b, c);
        journal.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // MSET over both shards holds this one, which must first have its earlier writes journaled.
        string other = shards.KeyOn(1, "e");
        var client = CreateTestProbe();
        shards.SendFor(client, "MSET", a, "2", other, "2");
        var gathered = journal.ExpectMsg<GatedWrite>(TimeSpan.FromSeconds(1));
        Assert.EndsWith(Set(b) + Set(c), gathered.Commands);
        gathered.Complete();
        var held = journal.ExpectMsg<GatedWrite>(TimeSpan.FromSeconds(5));
        Assert.Contains(other, held.Commands);
        held.Complete();
        var msetReply = client.ExpectMsg<AkkaRedis.Keyspace.Shards.ShardReplies>(TimeSpan.FromSeconds(5));
        Assert.Equal("+OK\r\n", System.Text.Encoding.UTF8.GetString(msetReply.Buffer, 0, msetReply.Ends[0]));
        var replies = shards.Replies(2);
        Assert.Equal("+OK\r\n", replies[second]);
        Assert.Equal("+OK\r\n", replies[third]);
    }
}
