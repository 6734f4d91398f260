using System.Collections.Immutable;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.TestKit.Xunit2;

namespace AkkaRedis.Persistence.Tests;

/// <summary>
/// The journal's contract, modelled on Akka.Persistence's JournalSpec and driven through the journal protocol:
/// writes are acknowledged, replay gives back what was written (as units, by the shard owning the keys) within
/// the requested range, the highest sequence number counts what was written, and deletes are refused.
/// Each "restart" is a fresh actor system over the same directory.
/// </summary>
public class AofJournalSpec : IDisposable
{
    private readonly string _directory = Aof.NewDirectory();
    private readonly List<TestKit> _kits = [];

    public void Dispose()
    {
        foreach (var kit in _kits) kit.Shutdown();
        Directory.Delete(_directory, true);
    }

    private (TestKit Kit, IActorRef Journal) Start(string fsync = "always")
    {
        // The server's own journal settings (hocon/akkaredis.conf), with this test's directory and fsync policy.
        var config = ConfigurationFactory.ParseString($"akkaredis.journal {{ dir = \"{_directory}\", appendfsync = {fsync} }}")
            .WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "akkaredis.conf"))));
        var kit = new TestKit(config);
        _kits.Add(kit);
        AofRuntime.For(kit.Sys).Router = new Aof.FirstByteRouter(2);
        return (kit, Akka.Persistence.Persistence.Instance.Apply(kit.Sys).JournalFor("akkaredis.journal"));
    }

    private static AofBatch Batch(int db, params string[][] commands) =>
        new(Encoding.UTF8.GetBytes(string.Concat(commands.Select(c => Aof.Resp(c)))), db, db, commands.Length);

    /// <summary>Writes the batches as events sequenceNr, sequenceNr + 1, ... of one atomic write, as a shard's persist does.</summary>
    private static void Write(TestKit kit, IActorRef journal, string persistenceId, long sequenceNr, params AofBatch[] batches)
    {
        Send(kit, journal, persistenceId, sequenceNr, batches);
        kit.ExpectMsg<WriteMessagesSuccessful>();
        for (int i = 0; i < batches.Length; i++) Assert.Equal(sequenceNr + i, kit.ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr);
    }

    private static List<(long SequenceNr, string Text)> Replay(TestKit kit, IActorRef journal, string persistenceId, long from = 1, long to = long.MaxValue, long max = long.MaxValue)
    {
        journal.Tell(new ReplayMessages(from, to, max, persistenceId, kit.TestActor));
        var replayed = new List<(long, string)>();
        while (true)
        {
            var message = kit.ExpectMsg<object>(TimeSpan.FromSeconds(10));
            if (message is RecoverySuccess) return replayed;
            var persistent = ((ReplayedMessage)message).Persistent;
            var units = ((AofChunk)persistent.Payload).ReadUnits();
            // A chunk's sequence number is its last unit's; unit i of n is number SequenceNr - n + 1 + i.
            for (int i = 0; i < units.Count; i++)
                replayed.Add((persistent.SequenceNr - units.Count + 1 + i, string.Join(" | ", units[i].Select(c => $"{c.Db}:{Aof.Text(c.Args)}"))));
        }
    }

    private static long Highest(TestKit kit, IActorRef journal, string persistenceId)
    {
        journal.Tell(new ReplayMessages(long.MaxValue, long.MaxValue, 0, persistenceId, kit.TestActor));
        return kit.ExpectMsg<RecoverySuccess>(TimeSpan.FromSeconds(10)).HighestSequenceNr;
    }

    [Fact]
    public void WrittenEventsAreReplayedAfterARestartInOrder()
    {
        var (kit, journal) = Start();
        journal.Tell(LoadAof.Instance, kit.TestActor);
        kit.ExpectMsg<AofLoaded>();
        Write(kit, journal, "shard-1", 1, Batch(0, ["SET", "a", "1"]));
        Write(kit, journal, "shard-0", 1, Batch(2, ["SET", "b", "x"]));
        Write(kit, journal, "shard-1", 2, Batch(2, ["INCR", "a"], ["APPEND", "a", "z"]));
        kit.Shutdown();

        (kit, journal) = Start();
        Assert.Equal([(1L, "0:SET a 1"), (2L, "2:INCR a"), (3L, "2:APPEND a z")], Replay(kit, journal, "shard-1"));
        Assert.Equal([(1L, "2:SET b x")], Replay(kit, journal, "shard-0"));
    }

    [Fact]
    public async Task AReadingStartedBeforeTheActorSystemIsTakenWhenItIsOfTheSameFiles()
    {
        var (kit, journal) = Start();
        journal.Tell(LoadAof.Instance, kit.TestActor);
        kit.ExpectMsg<AofLoaded>();
        Write(kit, journal, "shard-1", 1, Batch(0, ["SET", "a", "1"]));
        kit.Shutdown();
        var aofDirectory = Path.Combine(_directory, "appendonlydir");
        var options = new AofLoadOptions(LoadTruncated: true, LoadUpToDamage: false);
        var preload = AofPreload.Start(aofDirectory, "appendonly.aof", new Aof.FirstByteRouter(2), options, _ => { });
        long preloaded = (await preload.For(aofDirectory, "appendonly.aof", options, 2)!).Result.Commands;
        // A command added after the reading (the server never writes before its journal loads) shows which copy is loaded.
        File.AppendAllText(Directory.GetFiles(aofDirectory, "*.incr.aof").Single(), Aof.Resp("SET", "b", "2"));

        (kit, journal) = Start();
        AofRuntime.For(kit.Sys).Preload = preload;
        journal.Tell(LoadAof.Instance, kit.TestActor);
        Assert.Equal(preloaded, kit.ExpectMsg<AofLoaded>().Commands);
        kit.Shutdown();

        // A reading for another shard count (or other files, or options) is not taken: the journal reads the files.
        (kit, journal) = Start();
        AofRuntime.For(kit.Sys).Preload = AofPreload.Start(aofDirectory, "appendonly.aof", new Aof.FirstByteRouter(3), options, _ => { });
        journal.Tell(LoadAof.Instance, kit.TestActor);
        Assert.Equal(preloaded + 1, kit.ExpectMsg<AofLoaded>().Commands);
        Assert.Equal([(1L, "0:SET a 1")], Replay(kit, journal, "shard-1"));
    }

    [Fact]
    public void WritesTheJournalMakesItselfAndWritesItQueuesKeepOneOrderAndTheirDatabases()
    {
        // Under everysec the journal writes the file itself (AofWriter.TryWriteNow); under always it queues for the
        // writer's group commit. CONFIG SET appendfsync switches between them while databases change.
        var policy = "everysec";
        var (kit, journal) = Start("everysec");
        AofRuntime.For(kit.Sys).FsyncPolicy = () => policy;
        journal.Tell(LoadAof.Instance, kit.TestActor);
        kit.ExpectMsg<AofLoaded>();
        Write(kit, journal, "shard-1", 1, Batch(0, ["SET", "a", "1"]));
        policy = "always";
        Write(kit, journal, "shard-1", 2, Batch(2, ["SET", "a", "2"]));
        policy = "everysec";
        Write(kit, journal, "shard-1", 3, Batch(2, ["APPEND", "a", "x"]));
        Write(kit, journal, "shard-0", 1, Batch(5, ["SET", "b", "y"]));
        policy = "always";
        Write(kit, journal, "shard-1", 4, Batch(0, ["INCR", "c"]));
        policy = "no";
        Write(kit, journal, "shard-1", 5, Batch(0, ["INCR", "c"]), Batch(3, ["DEL", "a"]));
        var incr = Directory.GetFiles(Path.Combine(_directory, "appendonlydir"), "*.incr.aof").Single();
        // Each acknowledged write is in the file, in order, with a SELECT wherever the database changed.
        Assert.Equal(Aof.Resp("SELECT", "0") + Aof.Resp("SET", "a", "1") + Aof.Resp("SELECT", "2") + Aof.Resp("SET", "a", "2") +
                     Aof.Resp("APPEND", "a", "x") + Aof.Resp("SELECT", "5") + Aof.Resp("SET", "b", "y") + Aof.Resp("SELECT", "0") +
                     Aof.Resp("INCR", "c") + Aof.Resp("INCR", "c") + Aof.Resp("SELECT", "3") + Aof.Resp("DEL", "a"), Aof.ReadShared(incr));
        kit.Shutdown();

        (kit, journal) = Start();
        Assert.Equal([(1L, "0:SET a 1"), (2L, "2:SET a 2"), (3L, "2:APPEND a x"), (4L, "0:INCR c"), (5L, "0:INCR c"), (6L, "3:DEL a")],
            Replay(kit, journal, "shard-1"));
        Assert.Equal([(1L, "5:SET b y")], Replay(kit, journal, "shard-0"));
    }


    [Fact]
    public void ReplayHonoursRangeAndMax()
    {
        var (kit, journal) = Start();
        journal.Tell(LoadAof.Instance, kit.TestActor);
        kit.ExpectMsg<AofLoaded>();
        for (int i = 1; i <= 5; i++) Write(kit, journal, "shard-1", i, Batch(0, ["SET", "a", i.ToString()]));
        kit.Shutdown();

        (kit, journal) = Start();
        Assert.Equal([(2L, "0:SET a 2"), (3L, "0:SET a 3")], Replay(kit, journal, "shard-1", from: 2, to: 4, max: 2));
    }

    [Fact]
    public void TheHighestSequenceNumberCountsUnitsLoadedAndWritten()
    {
        var (kit, journal) = Start();
        journal.Tell(LoadAof.Instance, kit.TestActor);
        kit.ExpectMsg<AofLoaded>();
        Write(kit, journal, "shard-1", 1, Batch(0, ["SET", "a", "1"], ["SET", "a", "2"]));
        kit.Shutdown();

        (kit, journal) = Start();
        Assert.Equal(2, Highest(kit, journal, "shard-1"));
        Write(kit, journal, "shard-1", 3, Batch(0, ["SET", "a", "3"]));
        Assert.Equal(3, Highest(kit, journal, "shard-1"));
        Assert.Equal(0, Highest(kit, journal, "shard-0"));
    }

    [Fact]
    public void DeletingMessagesIsRefusedBecauseRewriteCompacts()
    {
        var (kit, journal) = Start();
        journal.Tell(new DeleteMessagesTo("shard-1", 1, kit.TestActor));
        Assert.IsType<NotSupportedException>(kit.ExpectMsg<DeleteMessagesFailure>().Cause);
    }

    [Fact]
    public void TheFileIsPlainRedisAofWithSelectWhereTheDatabaseChanges()
    {
        var (kit, journal) = Start("no");
        journal.Tell(LoadAof.Instance, kit.TestActor);
        kit.ExpectMsg<AofLoaded>();
        Write(kit, journal, "shard-1", 1, Batch(0, ["SET", "a", "1"]));
        Write(kit, journal, "shard-1", 2, Batch(0, ["SET", "a", "2"]));
        Write(kit, journal, "shard-0", 1, Batch(5, ["SET", "b", "3"]));
        kit.Shutdown();
        var text = File.ReadAllText(Path.Combine(_directory, "appendonlydir", "appendonly.aof.1.incr.aof"));
        Assert.Equal(Aof.Resp("SELECT", "0") + Aof.Resp("SET", "a", "1") + Aof.Resp("SET", "a", "2") + Aof.Resp("SELECT", "5") + Aof.Resp("SET", "b", "3"), text);
        Assert.Equal("file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
            File.ReadAllText(Path.Combine(_directory, "appendonlydir", "appendonly.aof.manifest")));
    }

    [Fact]
    public void ARewriteReplacesTheFilesWithTheNewBaseAndKeepsLaterWrites()
    {
        var (kit, journal) = Start();
        journal.Tell(LoadAof.Instance, kit.TestActor);
        kit.ExpectMsg<AofLoaded>();
        Write(kit, journal, "shard-1", 1, Batch(0, ["SET", "a", "1"]));
        Write(kit, journal, "shard-1", 2, Batch(0, ["SET", "a", "2"]));
        AofRuntime.For(kit.Sys).Status.TryStartRewrite();
        var baseFile = Path.Combine(_directory, "appendonlydir", "temp-base.aof");
        File.WriteAllText(baseFile, Aof.Resp("SET", "a", "2"));
        journal.Tell(new RewriteAof(baseFile), kit.TestActor);
        Write(kit, journal, "shard-1", 3, Batch(0, ["APPEND", "a", "x"]));
        Assert.Equal("appendonly.aof.2.base.aof", kit.ExpectMsg<string>(TimeSpan.FromSeconds(10)));
        Assert.False(AofRuntime.For(kit.Sys).Status.RewriteInProgress);
        var files = Directory.GetFiles(Path.Combine(_directory, "appendonlydir")).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["appendonly.aof.2.base.aof", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"], files);
        kit.Shutdown();

        (kit, journal) = Start();
        Assert.Equal([(1L, "0:SET a 2"), (2L, "0:APPEND a x")], Replay(kit, journal, "shard-1"));
    }

    [Fact]
    public async Task ConcurrentCommitsAllCompleteUnderAlways()
    {
        var directory = Path.Combine(_directory, "group");
        var manifest = AofWriter.OpenOrCreate(directory, "x.aof");
        var writer = new AofWriter(directory, "x.aof", manifest, () => "always", new AofStatus(), _ => { });
        var commits = new List<Task>();
        for (int i = 0; i < 1000; i++)
        {
            writer.Append(Encoding.UTF8.GetBytes(Aof.Resp("SET", "k" + i, "v")));
            commits.Add(writer.CommitAsync());
        }
        await Task.WhenAll(commits).WaitAsync(TimeSpan.FromSeconds(30));
        await writer.DisposeAsync();
        var expected = string.Concat(Enumerable.Range(0, 1000).Select(i => Aof.Resp("SET", "k" + i, "v")));
        Assert.Equal(expected, File.ReadAllText(Path.Combine(directory, "x.aof.1.incr.aof")));
    }

    /// <summary>A socket thread's round end run by hand: it takes work while <see cref="Taking"/>.</summary>
    private sealed class RoundEndByHand : IAfterSocketEvents
    {
        public readonly System.Collections.Concurrent.ConcurrentQueue<Action> Queued = new();
        public volatile bool Taking = true;

        public bool TryRunAfter(Action action)
        {
            if (!Taking) return false;
            Queued.Enqueue(action);
            return true;
        }

        public void Post(Action action) => Queued.Enqueue(action);

        public void End()
        {
            while (Queued.TryDequeue(out var action)) action();
        }
    }

    /// <summary>A loaded journal whose socket thread's round end is run by hand.</summary>
    private (TestKit Kit, IActorRef Journal, RoundEndByHand RoundEnd) StartWithRoundEnd(string fsync)
    {
        var (kit, journal) = Start(fsync);
        var roundEnd = new RoundEndByHand();
        AofRuntime.For(kit.Sys).AfterSocketEvents = roundEnd;
        journal.Tell(LoadAof.Instance, kit.TestActor);
        kit.ExpectMsg<AofLoaded>();
        return (kit, journal, roundEnd);
    }

    private string IncrementFile => Path.Combine(_directory, "appendonlydir", "appendonly.aof.1.incr.aof");

    /// <summary>Sends the batches as one atomic write of consecutive events, without waiting for the answer.</summary>
    private static void Send(TestKit kit, IActorRef journal, string persistenceId, long sequenceNr, params AofBatch[] batches)
    {
        var events = batches.Select((batch, i) => (IPersistentRepresentation)new Persistent(batch, sequenceNr + i, persistenceId, writerGuid: "w"));
        journal.Tell(new WriteMessages([new AtomicWrite(events.ToImmutableList())], kit.TestActor, 1));
    }

    [Fact]
    public void OnASocketThreadWritesWaitForTheEndOfTheRoundAndGoOutTogetherInOrder()
    {
        var (kit, journal, roundEnd) = StartWithRoundEnd("everysec");

        Send(kit, journal, "shard-0", 1, Batch(0, ["SET", "a", "1"]));
        Send(kit, journal, "shard-1", 1, Batch(3, ["SET", "b", "2"]));
        // Neither is written nor answered before the round ends.
        kit.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal("", Aof.ReadShared(IncrementFile));
        Assert.Single(roundEnd.Queued); // the second joined the first

        roundEnd.End();
        kit.ExpectMsg<WriteMessagesSuccessful>();
        Assert.Equal(1, kit.ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr);
        kit.ExpectMsg<WriteMessagesSuccessful>();
        Assert.Equal("shard-1", kit.ExpectMsg<WriteMessageSuccess>().Persistent.PersistenceId);
        Assert.Equal(Aof.Resp("SELECT", "0") + Aof.Resp("SET", "a", "1") + Aof.Resp("SELECT", "3") + Aof.Resp("SET", "b", "2"), Aof.ReadShared(IncrementFile));

        // Any other message writes what waits first: a replay right after a deferred write counts it.
        Send(kit, journal, "shard-0", 2, Batch(3, ["SET", "c", "3"]));
        journal.Tell(new ReplayMessages(long.MaxValue, long.MaxValue, 0, "shard-0", kit.TestActor));
        kit.ExpectMsg<WriteMessagesSuccessful>();
        Assert.Equal(2, kit.ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr);
        Assert.Equal(2, kit.ExpectMsg<RecoverySuccess>(TimeSpan.FromSeconds(10)).HighestSequenceNr);
        Assert.EndsWith(Aof.Resp("SET", "c", "3"), Aof.ReadShared(IncrementFile));

        // Off the round's thread (TryRunAfter false), a write goes out at once.
        roundEnd.End();
        roundEnd.Taking = false;
        Write(kit, journal, "shard-1", 2, Batch(3, ["SET", "d", "4"]));
        Assert.EndsWith(Aof.Resp("SET", "d", "4"), Aof.ReadShared(IncrementFile));
    }

    [Fact]
    public void UnderAlwaysTheRoundsWritesAreAnsweredOnlyOnceTheWriterTaskFsyncedThem()
    {
        var (kit, journal, roundEnd) = StartWithRoundEnd("always");

        Send(kit, journal, "shard-0", 1, Batch(0, ["SET", "a", "1"]));
        Send(kit, journal, "shard-1", 1, Batch(0, ["SET", "b", "2"]));
        kit.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        roundEnd.End();
        // Written at the round end; the answer waits for the fsync, and then comes through the round end again.
        AwaitCondition(() => Aof.ReadShared(IncrementFile) == Aof.Resp("SELECT", "0") + Aof.Resp("SET", "a", "1") + Aof.Resp("SET", "b", "2"));
        AwaitCondition(() => !roundEnd.Queued.IsEmpty);
        kit.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        roundEnd.End();
        kit.ExpectMsg<WriteMessagesSuccessful>();
        Assert.Equal("shard-0", kit.ExpectMsg<WriteMessageSuccess>().Persistent.PersistenceId);
        kit.ExpectMsg<WriteMessagesSuccessful>();
        Assert.Equal("shard-1", kit.ExpectMsg<WriteMessageSuccess>().Persistent.PersistenceId);

        // Restarted, the journal finds both (each replayed to the shard its key's first byte routes it to).
        kit.Shutdown();
        (kit, journal) = Start();
        Assert.Equal([(1L, "0:SET b 2")], Replay(kit, journal, "shard-0"));
        Assert.Equal([(1L, "0:SET a 1")], Replay(kit, journal, "shard-1"));

        static void AwaitCondition(Func<bool> condition)
        {
            for (int i = 0; i < 500 && !condition(); i++) Thread.Sleep(10);
            Assert.True(condition());
        }
    }
}
