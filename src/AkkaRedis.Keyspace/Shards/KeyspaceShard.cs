using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Journal;
using AkkaRedis.Persistence;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Scripting;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Shards;

/// <summary>
/// Owns one share of the hash slots: the only code that touches that share's data, except while it has
/// handed it over to a held command (<see cref="CrossShard"/>). Runs batches of commands, answers each
/// batch with one message, and expires keys actively on a timer as Redis's activeExpireCycle does.
/// Hot path: a type switch, one reused writer and context, no allocation per command beyond the reply
/// arrays of a batch.
///
/// Persistence (appendonly yes): what a message's commands changed is persisted as one <see cref="AofBatch"/>
/// with PersistAsync, and the replies (to the batch, and to blocked clients it served) go out only once the
/// journal has it, so an acknowledged write is in the AOF to the promise of appendfsync; reads of later
/// messages do not wait. On start the shard replays the AOF units that the journal routes to it.
/// The AOF is one log for all shards, so the order of writes to a key must be the order they reach the
/// journal. A shard's own writes reach it in order; for held commands, which write other shards' keys:
///   - a shard takes part in a hold (forwards or runs it) only once all its earlier writes are in the journal;
///   - the runner releases the held shards only once the held command's effects are in the journal.
/// </summary>
public sealed class KeyspaceShard : UntypedPersistentActor, IWithTimers
{
    private readonly ShardStore _store;
    private readonly ServerState _server;
    private readonly CommandContext _context;
    private readonly RespWriter _writer = new(4096);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _heldBy;
    private readonly EffectLog? _journal;
    private readonly AofStatus? _aof;
    private readonly RespWriter _replayReplies = new(256);
    private long _replayedCommands;

    /// <summary>Events persisted whose handler has not run yet.</summary>
    private int _unwritten;

    /// <summary>A held command waiting for <see cref="_unwritten"/> to reach zero.</summary>
    private HeldCommand? _waitingHold;

    /// <summary>Replies to blocked clients served by the current message; sent with the message's own replies.</summary>
    private readonly List<(IActorRef To, ShardReplies Replies)> _servedReplies = [];
    private readonly List<(int Shard, DeliverElement Delivery)> _pendingDeliveries = [];

    public override string PersistenceId { get; }
    public ITimerScheduler Timers { get; set; } = null!;

    private readonly IActorRef[] _peers;
    private readonly CommandSpec _pushSpec;

    public KeyspaceShard(Data.Keyspace keyspace, int index, ServerState server, IActorRef[] peers)
    {
        _peers = peers;
        _pushSpec = server.Commands.Find("lpush")!;
        _store = keyspace.Shards[index];
        _server = server;
        _context = new CommandContext(keyspace, server);
        _store.EnsureStats(server.Commands.AllSpecs.Count);
        PersistenceId = AofPersistenceIds.ForShard(index);
        // A single node always has the AOF journal: with appendonly no it is dormant (nothing journaled, nothing replayed)
        // until CONFIG SET appendonly yes or BGREWRITEAOF starts an AOF. A cluster node's shared journal is there or not.
        if (server.Config.AppendOnly || server.Config.AofJournalOpen)
        {
            JournalPluginId = server.Config.Cluster ? SharedJournalPlugin : JournalPlugin;
            _journal = new EffectLog();
            _aof = server.Aof;
        }
        else JournalPluginId = InMemoryJournal; // nothing is ever persisted to it: recovery finds nothing
        SnapshotPluginId = JournalPluginId == SharedJournalPlugin ? SharedSnapshots : NoSnapshots;
    }

    public const string JournalPlugin = "akkaredis.journal";
    /// <summary>Cluster mode: the journal every node reaches (Akka.Persistence.Sql on PostgreSQL, hocon/persistence-sql.conf).</summary>
    public const string SharedJournalPlugin = "akka.persistence.journal.sql";
    private const string InMemoryJournal = "akka.persistence.journal.inmem";
    private const string NoSnapshots = "akka.persistence.no-snapshot-store";
    /// <summary>Cluster mode: snapshots of a shard in the shared database, so recovery does not replay all history.</summary>
    private const string SharedSnapshots = "akka.persistence.snapshot-store.sql";

    /// <summary><paramref name="peers"/> is filled with every shard before the first command arrives (for BLMOVE deliveries).</summary>
    public static Props Props(Data.Keyspace keyspace, int index, ServerState server, IActorRef[] peers) =>
        Akka.Actor.Props.Create(() => new KeyspaceShard(keyspace, index, server, peers));

    protected override void PreStart() => ScheduleExpiry();

    /// <summary>
    /// In a cluster the shard may start again later on this node (after moving away and back): its data then
    /// comes from the shared journal, so what this node holds of it must go with the actor.
    /// </summary>
    protected override void PostStop()
    {
        // Relayed blocking commands still waiting follow the shard to its next node, where they block again.
        foreach (var (client, command) in _relayBlocks.Values)
            if (client.TryCancel()) _peers[_store.Index].Tell(new BlockFor(command, client.ReplyTo));
        foreach (var (client, registration) in _wakers.Values)
            if (client.TryCancel()) _peers[_store.Index].Tell(registration);
        // Held commands that came after the hand-off began cannot be run here any more; their other shards must not wait.
        while (_waiting.TryDequeue(out var waiting))
        {
            if (waiting.Message is HeldCommand held) CrossShard.Abort(held, CrossShard.ShardMoved);
            // Not run here: they go after the shard, to run wherever it starts again.
            else if (waiting.Message is BlockFor or BlockCancel or WakeWhenReady or StopWaking) _peers[_store.Index].Tell(waiting.Message);
        }
        if (_server.Config.Cluster) _store.Reset();
        _gatherTimer?.Dispose();
        base.PostStop();
    }

    private void ScheduleExpiry() =>
        Timers.StartSingleTimer(ExpireTick.Instance, ExpireTick.Instance, TimeSpan.FromMilliseconds(1000.0 / _server.Config.Hz));

    /// <summary>Replays one AOF unit: its commands run as they did, with nothing journaled again and no replies.</summary>
    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case AofChunk chunk:
                Replay(chunk);
                break;
            case AofBatch batch:
                // The shared journal gives back the events as they were persisted, one per message the shard ran.
                Replay(new AofChunk(batch.Resp, batch.Units, batch.FirstDb));
                break;
            case SnapshotOffer { Snapshot: AofBatch snapshot } offer:
                Replay(snapshot.AsChunk());
                _snapshotCommands = _replayedCommands;
                _lastSnapshotBytes = snapshot.Resp.Length;
                Console.WriteLine($"Shard {_store.Index}: snapshot at sequence number {offer.Metadata.SequenceNr} loaded");
                break;
            case RecoveryCompleted:
                _context.Replaying = false;
                _context.Journal = _journal;
                if (_journal != null)
                    Console.WriteLine($"Shard {_store.Index}: {_store.KeyCount} keys loaded from " +
                                      (JournalPluginId == SharedJournalPlugin
                                          ? $"{_snapshotCommands} snapshot commands and {_replayedCommands - _snapshotCommands} commands in the shared journal"
                                          : $"{_replayedCommands} AOF commands"));
                break;
        }
    }

    /// <summary>Replays a piece of the AOF: its commands run as they did, with nothing journaled again and no replies.</summary>
    private void Replay(AofChunk chunk)
    {
        _context.Replaying = true;
        _context.Journal = null;
        _replayedCommands += EffectReplay.Run(_context, _store, chunk, _replayReplies, _server.Clock.NowMs,
            (e, spec) => _log.Error(e, "Replaying {0} failed", spec.Name));
    }

    /// <summary>A shard that cannot replay its data must not serve an empty keyspace: stop, as Redis stops when loading fails.</summary>
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        Console.Error.WriteLine($"*** FATAL: shard {_store.Index} could not replay the AOF: {reason.Message}");
        Environment.Exit(1);
    }

    /// <summary><see cref="Commit(Action?)"/> with a reply to tell: without a closure when nothing waits for the journal (every read).</summary>
    private void Commit(IActorRef replyTo, object reply)
    {
        if (NothingNewToJournal && _servedReplies.Count == 0 && _pendingDeliveries.Count == 0) replyTo.Tell(reply);
        else Commit(() => replyTo.Tell(reply));
    }

    /// <summary>The replies of what just ran, once its effects are in the journal (at once when nothing changed).</summary>
    private void Commit(Action? reply)
    {
        var served = _servedReplies.Count > 0 || _pendingDeliveries.Count > 0 ? TakeServed() : null;
        if (NothingNewToJournal)
        {
            reply?.Invoke();
            served?.Invoke();
            return;
        }
        _unwritten++;
        _claimedJournalBytes = _journal!.Length;
        _awaitingJournal.Add(reply);
        if (served != null) _awaitingJournal.Add(served);
        _awaitingCommits++;
        if (!_persisting) PersistOrGather();
    }

    /// <summary>
    /// Group commit in the shard: while one event is on its way to the journal, what later messages change stays in
    /// <see cref="_journal"/> and their replies here, and all of it goes as the next event once the first is written.
    /// Akka's journal batches events too, but answers and hands back each one (a Persistent, a WriteMessageSuccess, a
    /// handler call): with one event per client request that cost 3 µs of CPU per request at SET -P 1 with the AOF
    /// (measured). Replies wait no longer than before: Akka sends the next batch only after the previous one is written.
    /// </summary>
    private readonly List<Action?> _awaitingJournal = [];
    private int _awaitingCommits;
    private bool _persisting;

    /// <summary>How much of <see cref="_journal"/> belongs to commits already awaiting the journal.</summary>
    private int _claimedJournalBytes;

    /// <summary>
    /// The message just run changed nothing: what the journal holds (if anything) is earlier commits', so a read that
    /// follows a write still answers at once.
    /// </summary>
    private bool NothingNewToJournal => _journal == null || _journal.IsEmpty || _journal.Length == _claimedJournalBytes;

    private void PersistAwaiting()
    {
        _gatherTimerArmed = false;
        var replies = _awaitingJournal.ToArray();
        int commits = _awaitingCommits;
        _awaitingJournal.Clear();
        _awaitingCommits = 0;
        var batch = _journal!.Take();
        _claimedJournalBytes = 0;
        _journaledSinceSnapshot += batch.Resp.Length;
        _persisting = true;
        PersistAsync(batch, _ =>
        {
            foreach (var reply in replies) reply?.Invoke();
            _persisting = false;
            // The clients just answered are expected back, beside those that came meanwhile.
            _gatherTarget = commits + _awaitingCommits;
            if (_awaitingCommits > 0) PersistOrGather();
            Written(commits);
        });
    }

    /// <summary>
    /// Under appendfsync always every event written costs an fsync, whose time hardly depends on its size, so the
    /// shard gathers: once a write is on disk, the next one waits until as many commits are awaiting as the clients
    /// just answered plus those that came meanwhile (at most <see cref="ServerConfig.AofGatherWaitMs"/>, for clients that do
    /// not come back). Without it the clients settle in two groups, one fsyncing while the other comes back, and each fsync
    /// serves half of them (measured: 50 clients at -P 1 answered about 25 per fsync, against redis-server's 50, whose
    /// event loop fsyncs once per round with every client in it).
    /// </summary>
    private void PersistOrGather()
    {
        // A held command or a hand-off waits for every write to be journaled: nothing is gathered for them.
        if (_awaitingCommits >= _gatherTarget || !GathersForFsync || _waitingHold != null || _stopping)
        {
            PersistAwaiting();
            return;
        }
        if (_gatherTimer == null)
        {
            var self = Self;
            _gatherTimer = new Timer(_ => self.Tell(GatherDue.Instance), null, Timeout.Infinite, Timeout.Infinite);
        }
        if (!_gatherTimerArmed) _gatherTimer.Change(_server.Config.AofGatherWaitMs, Timeout.Infinite);
        _gatherTimerArmed = true;
    }

    /// <summary>Writes what was gathered at once: something waits for every earlier write to be journaled.</summary>
    private void FlushGathered()
    {
        if (!_persisting && _awaitingCommits > 0) PersistAwaiting();
    }

    private bool GathersForFsync => JournalPluginId == JournalPlugin && _server.Config.AppendFsync == "always";

    /// <summary>Commits to gather before the next write under always (see <see cref="PersistOrGather"/>).</summary>
    private int _gatherTarget = 1;
    private Timer? _gatherTimer;
    private bool _gatherTimerArmed;

    /// <summary>Cluster mode: commands in the snapshot recovery started from, and the bytes journaled since a snapshot.</summary>
    private long _snapshotCommands, _journaledSinceSnapshot, _lastSnapshotBytes;
    private bool _snapshotting;

    /// <summary>
    /// Cluster mode's compaction (what BGREWRITEAOF's automatic rewrite is to the local AOF): once the journal grew by
    /// auto-aof-rewrite-percentage of the last snapshot and at least auto-aof-rewrite-min-size, the shard's keys are saved
    /// as a snapshot (the commands of an AOF rewrite) and the journal before it is deleted. Only with every write
    /// journaled, so the snapshot holds exactly what the journal acknowledged.
    /// </summary>
    private void MaybeSnapshot()
    {
        // Not while held or lent: a hold's runner may be using this shard's tables from another actor.
        if (SnapshotPluginId != SharedSnapshots || _snapshotting || _unwritten > 0 || Suspended) return;
        var config = _server.Config;
        int percentage = config.AutoAofRewritePercentage;
        if (percentage <= 0 || _journaledSinceSnapshot < config.AutoAofRewriteMinSize ||
            _journaledSinceSnapshot * 100 < _lastSnapshotBytes * percentage) return;
        var log = new EffectLog();
        KeyState.Snapshot(_store, _server.Clock.NowMs, _context.LoadedLibraries, log);
        var snapshot = log.IsEmpty ? new AofBatch([], 0, 0, 0) : log.Take();
        _snapshotting = true;
        _lastSnapshotBytes = snapshot.Resp.Length;
        _journaledSinceSnapshot = 0;
        SaveSnapshot(snapshot);
    }

    private void SnapshotSaved(SaveSnapshotSuccess saved)
    {
        _snapshotting = false;
        long sequenceNr = saved.Metadata.SequenceNr;
        DeleteMessages(sequenceNr);
        DeleteSnapshots(new SnapshotSelectionCriteria(sequenceNr - 1));
    }

    /// <summary>The replies to blocked clients and the deliveries this message produced, to send when it commits.</summary>
    private Action TakeServed()
    {
        var replies = _servedReplies.ToArray();
        var deliveries = _pendingDeliveries.ToArray();
        _servedReplies.Clear();
        _pendingDeliveries.Clear();
        return () =>
        {
            foreach (var (to, r) in replies) to.Tell(r);
            foreach (var (shard, delivery) in deliveries) _peers[shard].Tell(delivery);
        };
    }

    private void Written(int commits = 1)
    {
        _unwritten -= commits;
        if (_unwritten == 0 && _stopping)
        {
            Context.Stop(Self);
            return;
        }
        MaybeSnapshot();
        if (_unwritten > 0 || _waitingHold is not { } held) return;
        _waitingHold = null;
        Hold(held);
        RunWaiting();
    }

    /// <summary>
    /// Messages that arrived while this shard was held or draining, in arrival order. They wait in a queue of our own
    /// rather than in Akka's stash: unstashing everything after each hold, only to stash it again at the next hold
    /// in the queue, cost O(n) per hold and dominated scripts under load (measured).
    /// </summary>
    private readonly Queue<(object Message, IActorRef Sender)> _waiting = new();

    private bool Suspended => _heldBy != 0 || _lender != null || _waitingHold != null || _stopping || _leavingSocketThread;

    /// <summary>
    /// A script reached this shard while it ran on a socket thread (<see cref="SocketThreadRun"/>): it and everything
    /// after it wait in <see cref="_waiting"/> until the shard runs on a pool thread.
    /// </summary>
    private bool _leavingSocketThread;

    /// <summary>A hand-off (<see cref="ShardStop"/>) was received: nothing more runs here.</summary>
    private bool _stopping;

    protected override void OnCommand(object message)
    {
        if (_journal != null) SyncJournaling();
        try
        {
            OnShardMessage(message);
        }
        finally
        {
            // CLIENT TRACKING: what the message's commands modified is invalidated once their replies have gone.
            _context.SendInvalidations();
        }
    }

    /// <summary>
    /// CONFIG SET appendonly: off stops journaling at once (writes already on their way to the journal still go); on
    /// again waits for the rewrite that sets <see cref="ShardStore.Journaling"/>, whose snapshot holds every write before.
    /// </summary>
    private void SyncJournaling()
    {
        if (!_server.Config.AppendOnly) _store.Journaling = false;
        var wanted = _store.Journaling ? _journal : null;
        if (!ReferenceEquals(_context.Journal, wanted) && !_context.Replaying) _context.Journal = wanted;
    }

    private void OnShardMessage(object message)
    {
        if (message is ResumeOffSocketThread)
        {
            ResumeOffSocketThreadNow();
            return;
        }
        if (message is GatherDue)
        {
            _gatherTimerArmed = false;
            FlushGathered();
            return;
        }
        if (_lender != null)
        {
            // Lent to a command running on another node (or for another node's client): only its runner is served.
            switch (message)
            {
                case ApplyLent apply when apply.Runner.Equals(_lender) && !_lentApplied:
                    ApplyLentEffects(apply);
                    break;
                case LendKeys lend when lend.Runner.Equals(_lender):
                    if (!_lentApplied) Lend(lend); // sent again: the same keys, still held, lent again
                    break;
                case ReleaseLent release when release.Runner.Equals(_lender):
                    EndLending();
                    break;
                case Terminated dead when dead.ActorRef.Equals(_lender):
                    // The runner's node died (or it gave up): nothing more will come from it.
                    EndLending();
                    break;
                case HoldPartWritten written:
                    PartWritten(written.Id);
                    break;
                case ShardProbe probe when probe.ReplyTo.Equals(_lender):
                    AnswerProbe(probe);
                    break;
                case ExpireTick:
                    ScheduleExpiry();
                    break;
                default:
                    _waiting.Enqueue((message, Sender));
                    break;
            }
            return;
        }
        if (_heldBy != 0)
        {
            // Held: only the matching Release is served; everything else waits.
            if (message is Release release && release.Id == _heldBy)
            {
                _heldBy = 0;
                RunWaiting();
            }
            else if (message is PersistForHold part && part.Id == _heldBy) PersistPart(part);
            else if (message is HoldPartWritten written) PartWritten(written.Id);
            else if (message is ExpireTick) ScheduleExpiry(); // the cycle resumes after the hold
            else _waiting.Enqueue((message, Sender));
            return;
        }
        // A script on a socket thread waits too: RunWaiting moves it to the pool.
        if (Suspended || _waiting.Count > 0 || SocketThreadRun.MustLeave(message))
        {
            _waiting.Enqueue((message, Sender));
            RunWaiting();
            return;
        }
        Handle(message, Sender);
    }

    /// <summary>Runs waiting messages in order until none is left or one of them suspends the shard again.</summary>
    private void RunWaiting()
    {
        while (!Suspended && _waiting.TryPeek(out var waiting))
        {
            if (SocketThreadRun.MustLeave(waiting.Message))
            {
                LeaveSocketThread();
                return;
            }
            _waiting.Dequeue();
            Handle(waiting.Message, waiting.Sender);
        }
    }

    /// <summary>Asks to be run again from a pool thread: a message sent from there queues this actor on the pool.</summary>
    private void LeaveSocketThread()
    {
        _leavingSocketThread = true;
        ThreadPool.UnsafeQueueUserWorkItem(static self => self.Tell(ResumeOffSocketThread.Instance), Self, preferLocal: false);
    }

    private void ResumeOffSocketThreadNow()
    {
        if (!_leavingSocketThread) return;
        if (SocketThreadRun.Active)
        {
            // Run on a socket thread again (the shard was busy there when the message came): ask once more.
            LeaveSocketThread();
            return;
        }
        _leavingSocketThread = false;
        RunWaiting();
    }

    private void Handle(object message, IActorRef sender)
    {
        switch (message)
        {
            case ShardBatch batch:
                RunBatch(batch);
                break;
            case HeldCommand held:
                Hold(held);
                break;
            case ExpireTick:
                // DEBUG PAUSE-CRON: the timer keeps ticking, its work waits.
                if (!_server.Config.CronPaused)
                {
                    ActiveExpireCycle();
                    EvictInCron();
                    Commit(null);
                }
                ScheduleExpiry();
                break;
            case ForgetWaiter forget:
                foreach (var (shard, db, key) in forget.Client.Keys)
                    if (shard == _store.Index) _store.RemoveWaiter(db, key, forget.Client);
                break;
            case DeliverElement delivery:
                Deliver(delivery);
                break;
            case AwaitReady:
                sender.Tell(new ShardReady(_store.Index, _store.KeyCount));
                break;
            case HoldPartWritten written:
                PartWritten(written.Id);
                break;
            case SaveSnapshotSuccess saved:
                SnapshotSaved(saved);
                break;
            case SaveSnapshotFailure failed:
                _snapshotting = false;
                _log.Warning("Shard {0}: saving a snapshot failed ({1}); the journal is kept whole", _store.Index, failed.Cause.Message);
                break;
            case DeleteMessagesSuccess or DeleteSnapshotsSuccess:
                break;
            case DeleteMessagesFailure or DeleteSnapshotsFailure:
                _log.Warning("Shard {0}: deleting journal entries before a snapshot failed: {1}", _store.Index, message);
                break;
            case LendKeys lend:
                Lend(lend);
                break;
            case BlockFor block:
                BlockForRelay(block);
                break;
            case BlockCancel cancel:
                CancelRelayBlock(cancel);
                break;
            case WakeWhenReady wake:
                RegisterWaker(wake);
                break;
            case StopWaking stop:
                if (_wakers.Remove(stop.Waker, out var stopped)) ForgetWaker(stop.Waker, stopped.Client);
                break;
            case Terminated dead when _wakers.Remove(dead.ActorRef, out var waker):
                ForgetWaker(dead.ActorRef, waker.Client);
                break;
            case Terminated dead when _relayBlocks.Remove(dead.ActorRef, out var relayed):
                // The relay stopped: its client left, or its node died. An element must not be popped for no one.
                if (relayed.Client.TryCancel()) ForgetRelayed(relayed.Client);
                break;
            case Terminated dead when _standInWatches.Remove(dead.ActorRef, out var standIn):
                RemoveWatch(standIn.Watch);
                break;
            case Terminated or ReleaseLent or ApplyLent:
                break; // from a lending hold that already ended here
            case ShardProbe probe:
                AnswerProbe(probe);
                break;
            case ShardStop:
                // Cluster hand-off: everything that arrived before has run; stop once its writes are journaled.
                _stopping = true;
                FlushGathered();
                if (_unwritten == 0) Context.Stop(Self);
                break;
            case Unwatch unwatch:
                RemoveWatch(unwatch.Watch);
                break;
            case ForgetWatch forget:
                EndStandIn(forget.Ticket);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void RunBatch(ShardBatch batch)
    {
        _writer.Clear();
        var seqs = new long[batch.Count];
        var ends = new int[batch.Count];
        int answered = 0;
        var clock = BatchClock.Read(_server.Clock);
        if (batch.Count > 1) TouchKeys(batch);
        for (int i = 0; i < batch.Count; i++)
        {
            ref readonly var command = ref batch.Commands[i];
            // A command that blocked has no reply in this batch: whoever finishes it answers later.
            if (Execute(command, batch.ReplyTo, ref clock, mayShareTiming: true)) continue;
            seqs[answered] = command.Seq;
            ends[answered++] = _writer.Length;
        }
        TimeSharedRun(ref clock);
        if (answered == 0)
        {
            Commit(null);
            return;
        }
        Commit(batch.ReplyTo, new ShardReplies(_writer.ToArray(), seqs, ends, answered));
    }

    /// <summary>
    /// Fetches into the CPU's cache what the batch's commands will read of their first keys, before any command runs. In
    /// a keyspace larger than the CPU's caches a lookup is a chain of cache misses (table, entry, key, value), and run
    /// one command at a time those chains follow each other; here each step of the chain is started for every key before
    /// the next step (<see cref="Database.Prefetch"/>), so the misses of the batch overlap. Nothing is read or changed.
    /// </summary>
    private void TouchKeys(ShardBatch batch)
    {
        var databases = _store.Databases;
        var owners = _context.Keyspace.SlotOwner;
        if (_touchHashes.Length < batch.Count) _touchHashes = new int[batch.Commands.Length];
        var hashes = _touchHashes;
        for (int i = 0; i < batch.Count; i++)
        {
            ref readonly var command = ref batch.Commands[i];
            int slot = command.FirstKeySlot;
            // 0 marks a command without a key to fetch (a key whose hash is 0 is merely not fetched).
            hashes[i] = 0;
            if (slot < 0 || owners[slot] != _store.Index || command.Spec.Facts.FirstKey != 1 || command.Args.Length < 2) continue;
            var database = databases[command.Db];
            if (database.Count < TouchKeysFrom) continue;
            hashes[i] = database.Prefetch(slot, command.Args[1]);
        }
        for (int i = 0; i < batch.Count; i++)
            if (hashes[i] != 0) databases[batch.Commands[i].Db].PrefetchEntry(batch.Commands[i].FirstKeySlot, hashes[i]);
        for (int i = 0; i < batch.Count; i++)
            if (hashes[i] != 0) databases[batch.Commands[i].Db].PrefetchKeyAndValue(batch.Commands[i].FirstKeySlot, hashes[i]);
    }

    /// <summary>Below this many keys a database sits in cache and the prefetches only cost.</summary>
    private const int TouchKeysFrom = 1024;

    /// <summary>The first keys' hashes while <see cref="TouchKeys"/> runs.</summary>
    private int[] _touchHashes = [];

    private void Hold(HeldCommand held)
    {
        if (_unwritten > 0)
        {
            // Earlier writes must reach the journal first; everything else waits until then.
            _waitingHold = held;
            FlushGathered();
            return;
        }
        if (held.Hop < held.Route.Length - 1)
        {
            _heldBy = held.Id;
            held.Route[held.Hop + 1].Tell(held with { Hop = held.Hop + 1 });
            return;
        }
        _writer.Clear();
        _context.HeldShards = held.ShardIndexes;
        bool blocked = Execute(held.Command, held.Command.Payload is Transaction transaction ? transaction.Client : held.ReplyTo);
        _context.HeldShards = null;
        var replies = blocked ? null : ShardReplies.One(_writer.ToArray(), held.Command.Seq);
        void Finish()
        {
            for (int i = 0; i < held.Route.Length - 1; i++) held.Route[i].Tell(new Release(held.Id));
            if (replies != null) held.ReplyTo.Tell(replies);
        }
        if (JournalPluginId == SharedJournalPlugin && held.Route.Length > 1 && _journal is { IsEmpty: false } journal)
        {
            CommitSplit(held, journal, Finish);
            return;
        }
        Commit(Finish);
    }

    /// <summary>Held commands of this shard waiting for the held shards to journal their parts: parts still to come, and what then.</summary>
    private readonly Dictionary<long, (int Pending, Action Finish)> _holdWrites = [];
    private KeyRouter? _router;

    /// <summary>
    /// Cluster mode: the shared journal is read back per shard, so each held shard persists the effects on its own keys
    /// (a command for every shard, FLUSHALL, goes to each). The client is answered and the shards released once every
    /// part is in the journal, keeping the promise that an acknowledged write is durable.
    /// </summary>
    private void CommitSplit(HeldCommand held, EffectLog journal, Action finish)
    {
        var served = _servedReplies.Count > 0 || _pendingDeliveries.Count > 0 ? TakeServed() : null;
        _router ??= new KeyRouter(_server.Commands, _context.Keyspace.SlotOwner, _context.Keyspace.Shards.Length);
        // A command for every shard (FLUSHALL) concerns only the held ones: in a cluster, this node's.
        var parts = AofPartition.Split(journal.Take(), _router).Where(p => Array.IndexOf(held.ShardIndexes, p.Key) >= 0).ToList();
        Action done = () =>
        {
            finish();
            served?.Invoke();
        };
        if (parts.Count == 0)
        {
            done();
            return;
        }
        _holdWrites[held.Id] = (parts.Count, done);
        foreach (var (shard, part) in parts)
        {
            if (shard == _store.Index)
            {
                _unwritten++;
                PersistAsync(part, _ =>
                {
                    PartWritten(held.Id);
                    Written();
                });
            }
            else held.Route[Array.IndexOf(held.ShardIndexes, shard)].Tell(new PersistForHold(held.Id, part, Self));
        }
    }

    private void PersistPart(PersistForHold part)
    {
        _unwritten++;
        PersistAsync(part.Batch, _ =>
        {
            part.Runner.Tell(new HoldPartWritten(part.Id));
            Written();
        });
    }

    private void PartWritten(long id)
    {
        var (pending, finish) = _holdWrites[id];
        if (pending > 1)
        {
            _holdWrites[id] = (pending - 1, finish);
            return;
        }
        _holdWrites.Remove(id);
        finish();
    }

    /// <summary>
    /// Blocking commands relayed from connections (cluster mode), by relay: kept after they are served, until the relay
    /// stops, so a <see cref="BlockFor"/> sent again by the relay is recognised rather than blocking a second time.
    /// </summary>
    private readonly Dictionary<IActorRef, (BlockedClient Client, ShardCommand Command)> _relayBlocks = [];

    private void BlockForRelay(BlockFor block)
    {
        if (_relayBlocks.TryGetValue(block.Relay, out var known))
        {
            if (known.Client.IsWaiting) block.Relay.Tell(new BlockRegistered(_store.Index));
            return;
        }
        var client = new BlockedClient(block.Command.Seq, block.Relay);
        _relayBlocks[block.Relay] = (client, block.Command);
        Context.Watch(block.Relay);
        _writer.Clear();
        if (Execute(block.Command with { Payload = client }, block.Relay))
        {
            block.Relay.Tell(new BlockRegistered(_store.Index));
            Commit(null);
            return;
        }
        Commit(block.Relay, ShardReplies.One(_writer.ToArray(), block.Command.Seq));
    }

    private void CancelRelayBlock(BlockCancel cancel)
    {
        if (_relayBlocks.TryGetValue(cancel.Relay, out var relayed) && relayed.Client.TryCancel())
        {
            ForgetRelayed(relayed.Client);
            cancel.Relay.Tell(ShardReplies.One(cancel.Reply, relayed.Client.Seq));
        }
        else cancel.Relay.Tell(new NotBlocked(_store.Index));
    }

    /// <summary>
    /// Blocking pops over shards of several nodes, by waker (see <see cref="WakeWhenReady"/>): a waiter on this shard's
    /// source keys that pops nothing, but tells its waker when a key can serve it.
    /// </summary>
    private readonly Dictionary<IActorRef, (BlockedClient Client, WakeWhenReady Registration)> _wakers = [];

    private void RegisterWaker(WakeWhenReady wake)
    {
        var waker = wake.Waker;
        if (!_wakers.TryGetValue(waker, out var known)) Context.Watch(waker);
        else if (!known.Client.IsWaiting) ForgetRelayed(known.Client);
        (int Position, byte[] Id)[] resolved = [];
        if (known.Client is not { IsWaiting: true })
        {
            var command = wake.Command;
            int shard = _store.Index;
            if (command.Spec.Name == "xread")
            {
                long now = _server.Clock.NowMs;
                // A peek: an expired stream counts as none, and is left for its own expiry to delete.
                resolved = Streams.ResolveLastIds(command.Args, key => _context.Keyspace.ShardOf(key) == shard, key =>
                {
                    int slot = HashSlot.Of(key);
                    var entry = _context.DatabaseOf(slot, command.Db).FindRaw(slot, key);
                    return entry == null || entry.ExpiredAt(now) ? null : entry.Value;
                }).ToArray();
                if (resolved.Length > 0)
                {
                    // This shard waits for entries after the last ones now, as the waker will read after them.
                    var args = (byte[][])command.Args.Clone();
                    foreach (var (position, id) in resolved) args[position] = id;
                    command = command with { Args = args };
                }
            }
            var (sources, isReady) = BlockingCommands.WaitsOn(command.Spec, command.Args);
            var client = new BlockedClient(command.Seq, waker)
            {
                Db = command.Db,
                IsReady = isReady,
                Serve = (_, _) =>
                {
                    waker.Tell(new KeyReady(shard));
                    return false; // no reply: the waker pops through a lending hold
                },
            };
            client.WaitOn(_context.Keyspace, sources.Where(key => _context.Keyspace.ShardOf(key) == shard));
            _wakers[waker] = (client, wake);
        }
        waker.Tell(new WakeRegistered(_store.Index, wake.Round, resolved));
    }

    private void ForgetWaker(IActorRef waker, BlockedClient client)
    {
        Context.Unwatch(waker);
        if (client.TryCancel()) ForgetRelayed(client);
    }

    private void ForgetRelayed(BlockedClient client)
    {
        foreach (var (shard, db, key) in client.Keys)
            if (shard == _store.Index) _store.RemoveWaiter(db, key, client);
    }

    /// <summary>Answers after the replies of every write still on its way to the journal (their handlers run first).</summary>
    private void AnswerProbe(ShardProbe probe) => DeferAsync(probe, p => p.ReplyTo.Tell(new ProbeReply(_store.Index, p.Token)));

    /// <summary>The runner of the lending hold this shard is lent to (see <see cref="LendingHold"/>); null when not lent.</summary>
    private IActorRef? _lender;
    private bool _lentApplied;

    private void RemoveWatch(WatchState watch)
    {
        foreach (var watched in watch.Keys)
            if (watched.Shard == _store.Index) _store.RemoveWatcher(watched.Db, watched.Key, watch);
    }

    /// <summary>
    /// Stand-ins for the watches of connections on other nodes (<see cref="WatchTicket"/>), by the connection's actor: one
    /// each, a newer generation replacing the older. A shard that moves loses them, and EXEC then fails, as it must
    /// when it cannot tell whether a watched key changed.
    /// </summary>
    private readonly Dictionary<IActorRef, (long Generation, WatchState Watch)> _standInWatches = [];

    private WatchState StandInFor(WatchTicket ticket)
    {
        if (_standInWatches.TryGetValue(ticket.Watcher, out var known))
        {
            if (known.Generation == ticket.Generation) return known.Watch;
            RemoveWatch(known.Watch);
        }
        var watch = new WatchState();
        _standInWatches[ticket.Watcher] = (ticket.Generation, watch);
        // A connection that goes away without ForgetWatch (its node died) must not leave its watch here for good.
        Context.Watch(ticket.Watcher);
        return watch;
    }

    /// <summary>EXEC's check of a stand-in watch, which it also ends: failed when a key changed or expired, or when it is unknown here.</summary>
    private bool StandInFailed(WatchTicket ticket) =>
        EndStandIn(ticket) is not { } watch || Transactions.WatchFailed(watch, _context.Keyspace, _server.Clock.NowMs);

    /// <summary>Forgets the stand-in for <paramref name="ticket"/> and returns it; null when this shard has none for it.</summary>
    private WatchState? EndStandIn(WatchTicket ticket)
    {
        if (!_standInWatches.TryGetValue(ticket.Watcher, out var known) || known.Generation != ticket.Generation) return null;
        _standInWatches.Remove(ticket.Watcher);
        Context.Unwatch(ticket.Watcher);
        RemoveWatch(known.Watch);
        return known.Watch;
    }

    /// <summary>Lends the keys' state, in every database, to a lending hold, and serves no one else until it releases.</summary>
    private void Lend(LendKeys lend)
    {
        var state = new EffectLog();
        long now = _server.Clock.NowMs;
        foreach (var key in lend.Keys)
        {
            int slot = HashSlot.Of(key);
            for (int db = 0; db < _store.Databases.Length; db++)
            {
                var entry = _store.Databases[db].FindRaw(slot, key);
                if (entry == null || entry.ExpiredAt(now)) continue;
                KeyState.Write(state, db, key, entry, replace: false);
            }
        }
        bool watchFailed = lend.Watch != null && StandInFailed(lend.Watch);
        _lender = lend.Runner;
        Context.Watch(_lender);
        _lender.Tell(new KeysLent(_store.Index, state.Take(), watchFailed));
    }

    /// <summary>
    /// Runs this shard's part of a lending hold's effects as commands (so they journal, mark watchers and wake blocked
    /// clients as any write does), and tells the runner once they are in the journal.
    /// </summary>
    private void ApplyLentEffects(ApplyLent apply)
    {
        _lentApplied = true;
        if (apply.Effects is { } effects)
            EffectReplay.Run(_context, _store, effects.AsChunk(), _replayReplies, _server.Clock.NowMs,
                (e, spec) => _log.Error(e, "Applying {0} of a lending hold failed", spec.Name));
        if (_context.ReadyKeys.Count > 0) ServeBlockedClients();
        var runner = apply.Runner;
        int shard = _store.Index;
        Commit(() => runner.Tell(new LentApplied(shard)));
    }

    private void EndLending()
    {
        Context.Unwatch(_lender!);
        _lender = null;
        _lentApplied = false;
        RunWaiting();
    }

    /// <summary>Runs one command into the batch writer; true when it blocked (no reply written).</summary>
    /// <param name="client">Who the command came from (its connection's actor or session), for SLOWLOG.</param>
    private bool Execute(in ShardCommand command, object? client)
    {
        var clock = BatchClock.Read(_server.Clock);
        return Execute(command, client, ref clock);
    }

    /// <summary>
    /// Commands flagged fast (O(1) or O(log N)) that ran back to back in a batch, not yet timed: the clock is read once
    /// at the end of the run and each gets an equal share (INFO commandstats, SLOWLOG, LATENCY), instead of a clock
    /// read per command, which took 1.6% of the CPU at GET -P 16. Any other command is timed alone.
    /// </summary>
    private readonly List<(CommandSpec Spec, byte[][] Args, object? Client)> _sharedRun = [];

    /// <summary>At most this many commands share a clock reading, so command time (expiry) never lags far behind.</summary>
    private const int MaxSharedRun = 32;

    private void TimeSharedRun(ref BatchClock clock)
    {
        if (_sharedRun.Count == 0) return;
        long share = clock.Advance(_server.Clock) / _sharedRun.Count;
        bool tracking = _server.Config.LatencyTracking;
        foreach (var (spec, args, client) in _sharedRun)
        {
            _store.ElapsedTicks[spec.Id] += share;
            if (tracking) RecordLatency(spec, share);
            _server.CommandRan(spec, args, share * 1_000_000 / Stopwatch.Frequency, client);
        }
        _sharedRun.Clear();
    }

    private void RecordLatency(CommandSpec spec, long ticks) =>
        (_store.Latency[spec.Id] ??= new LatencyHistogram()).Record(ticks * 1_000_000_000 / Stopwatch.Frequency);

    /// <param name="clock">The time the command starts at; on return, the time it ended.</param>
    /// <param name="mayShareTiming">A fast command may be timed with the fast ones around it (see <see cref="_sharedRun"/>).</param>
    private bool Execute(in ShardCommand command, object? client, ref BatchClock clock, bool mayShareTiming = false)
    {
        int start = _writer.Length;
        _writer.Resp3 = command.Resp3;
        var spec = command.Spec;
        bool sharesTiming = mayShareTiming && spec.IsFast && !spec.IsBlocking;
        if (!sharesTiming) TimeSharedRun(ref clock);
        var payload = command.Payload is WatchTicket ticket ? StandInFor(ticket) : command.Payload;
        _context.Begin(spec, command.Args, command.Db, _writer, _store, clock.NowMs, payload, command.FirstKeySlot);
        _context.ClientObject = client;
        // A script that declares its flags is judged by them (getCommandFlags), not by EVAL's or FCALL's own.
        bool isWrite = spec.IsWrite, denyOom = spec.DenyOom;
        if (spec.RunsUserCode && DeclaredFlags.Of(spec, command.Args, _server) is { Declared: true } declared)
            (isWrite, denyOom) = (declared.MayWrite, declared.DenyOom);
        // processCommand's refusals before a command runs, in its order and each a rejected call: over maxmemory with
        // nothing left to evict, a command that may add data; while the AOF cannot be written (or replicas are asked
        // for), writes. Reads go on.
        _context.OutOfMemory = (_server.Config.MaxMemory > 0 || _store.Accounting) && !Eviction.MakeRoom(_context, _store);
        var refusal = _context.OutOfMemory && denyOom ? Eviction.OutOfMemory : isWrite ? _server.WriteRefusal() : null;
        if (refusal != null)
        {
            _writer.WriteError(refusal);
            Interlocked.Increment(ref _server.Rejected[spec.Id]);
            _server.Errors.Count(_writer.Buffer.AsSpan(start, _writer.Length - start));
            if (!sharesTiming) clock.Advance(_server.Clock);
            return false;
        }
        try
        {
            spec.Handler!(_context);
        }
        catch (Exception e)
        {
            // A handler bug must never take the shard (and its data) down: answer an error and carry on.
            _log.Error(e, "Command {0} failed", spec.Name);
            _writer.Truncate(start);
            _writer.WriteError("ERR " + e.Message);
            _context.Blocked = false;
        }
        _context.RecordEffects();
        if (_store.Accounting) _store.PublishUsedBytes();
        bool blocked = _context.Blocked;
        // CLIENT TRACKING: a script's declared keys count as read when it ran a read-only command (Redis tracks the caller's).
        if (command.Payload is TrackedRead && !blocked && (!spec.RunsUserCode || _context.ScriptRanReadonly)) _context.TrackKeys(spec, command.Args);
        _store.Calls[spec.Id]++;
        _store.CommandsProcessed++;
        _server.CountIfFailed(_store, spec, _writer, start, _context.ErrorCounted);
        if (sharesTiming)
        {
            _sharedRun.Add((spec, command.Args, client));
            // Serving blocked clients is not the command's time, so its run is timed first.
            if (_sharedRun.Count >= MaxSharedRun || _context.ReadyKeys.Count > 0) TimeSharedRun(ref clock);
        }
        else
        {
            long elapsed = clock.Advance(_server.Clock);
            _store.ElapsedTicks[spec.Id] += elapsed;
            if (_server.Config.LatencyTracking) RecordLatency(spec, elapsed);
            if (!blocked) _server.CommandRan(spec, command.Args, elapsed * 1_000_000 / Stopwatch.Frequency, client);
        }
        if (_context.ReadyKeys.Count > 0)
        {
            ServeBlockedClients();
            clock.Advance(_server.Clock); // serving them is not the next command's time
        }
        return blocked;
    }

    /// <summary>
    /// After a command pushed to lists (or added to sorted sets) that clients wait on, serve those clients in the order they blocked
    /// (blocked.c handleClientsBlockedOnKeys). A client is popped for only after winning its claim.
    /// </summary>
    private void ServeBlockedClients()
    {
        var ready = _context.ReadyKeys;
        var keyspace = _context.Keyspace;
        for (int i = 0; i < ready.Count; i++)
        {
            var (db, key) = ready[i];
            var owner = keyspace.Shards[keyspace.SlotOwner[HashSlot.Of(key)]];
            while (true)
            {
                // A deleted key can still answer: an XREADGROUP blocked on it is told the stream is gone.
                var value = _context.Lookup(key, db)?.Value;
                var client = owner.FirstWaiter(db, key, value);
                if (client == null) break;
                owner.RemoveWaiter(db, key, client);
                if (!client.TryClaim()) continue;
                foreach (var (shard, _, _) in client.Keys.Where(k => k.Shard != owner.Index).DistinctBy(k => k.Shard))
                    _peers[shard].Tell(new ForgetWaiter(client));
                foreach (var (shard, waitDb, waitKey) in client.Keys)
                    if (shard == owner.Index) owner.RemoveWaiter(waitDb, waitKey, client);
                var writer = new RespWriter(64) { Resp3 = client.Resp3 };
                long began = Stopwatch.GetTimestamp();
                _context.Begin(_pushSpec, [], client.Db, writer, _store, _server.Clock.NowMs, null);
                bool answered = client.Serve!(_context, key);
                // updateStatsOnUnblock: the served command goes to SLOWLOG as the client sent it (not as it is journaled).
                if (client.Spec != null && client.Args != null)
                    _server.CommandRan(client.Spec, client.Args, (long)Stopwatch.GetElapsedTime(began).TotalMicroseconds, client.ReplyTo);
                _context.RecordEffects();
                foreach (var (shard, delivery) in _context.Deliveries) _pendingDeliveries.Add((shard, delivery with { Client = client }));
                _context.Deliveries.Clear();
                if (client.Spec != null) _server.CountIfFailed(owner, client.Spec, writer, 0);
                if (answered) _servedReplies.Add((client.ReplyTo, ShardReplies.One(writer.ToArray(), client.Seq)));
            }
        }
        ready.Clear();
    }

    /// <summary>The far half of a woken BLMOVE: push the element here and answer the client (or give it back on WRONGTYPE).</summary>
    private void Deliver(DeliverElement delivery)
    {
        var writer = new RespWriter(64) { Resp3 = delivery.Client?.Resp3 ?? false };
        _context.Begin(_pushSpec, [], delivery.Db, writer, _store, _server.Clock.NowMs, null);
        var entry = _context.Write(delivery.Key);
        if (entry != null && entry.Value is not RedisList)
        {
            writer.WriteError(RespErrors.WrongType);
            _pendingDeliveries.Add((_context.Keyspace.SlotOwner[HashSlot.Of(delivery.SourceKey)],
                new DeliverElement(delivery.Db, delivery.SourceKey, delivery.Element, delivery.SourceLeft, null, delivery.SourceKey, delivery.SourceLeft)));
        }
        else
        {
            var list = entry?.Value as RedisList ?? new RedisList();
            if (delivery.ToLeft) list.PushFront(delivery.Element);
            else list.PushBack(delivery.Element);
            _context.Store(delivery.Key, entry, list, list.Count);
            _context.Notify(KeyspaceEvent.List, delivery.ToLeft ? "lpush" : "rpush", delivery.Key);
            _context.Propagate(delivery.ToLeft ? Cmd.LPush : Cmd.RPush, delivery.Key, delivery.Element);
            writer.WriteBulk(delivery.Element);
        }
        _context.RecordEffects();
        if (delivery.Client != null) _servedReplies.Add((delivery.Client.ReplyTo, ShardReplies.One(writer.ToArray(), delivery.Client.Seq)));
        if (_context.ReadyKeys.Count > 0) ServeBlockedClients();
        Commit(null);
    }

    /// <summary>
    /// Redis's activeExpireCycle, simplified: per database, sample up to 20 keys that have an expiry and
    /// delete the expired ones; repeat while more than a tenth of a sample was expired, within a time budget
    /// of a quarter of the tick.
    /// </summary>
    /// <summary>
    /// Over maxmemory, every shard evicts on its timer too, not only before its commands: a shard with nothing left to
    /// evict refuses writes, and the others, which may still hold keys the policy allows, make the room.
    /// </summary>
    private void EvictInCron()
    {
        if (_server.Config.MaxMemory <= 0 && !_store.Accounting) return;
        _context.Client = null;
        _context.Now = _server.Clock.NowMs;
        Eviction.MakeRoom(_context, _store);
    }

    private void ActiveExpireCycle()
    {
        _context.Client = null;
        // As Redis's serverCron: a lowered tracking-table-max-keys applies without waiting for the next read.
        if (_store.TrackingKeys > 0) _context.EnforceTrackingLimit(_store);
        if (!_server.Config.ActiveExpire) return;
        const int sampleSize = 20;
        long now = _server.Clock.NowMs;
        // activeExpireCycle does nothing while clients are paused: the dataset stays as it was when writes stopped.
        if (_server.Pause.Active(now)) return;
        var budget = Stopwatch.StartNew();
        long budgetMs = Math.Max(1, 250 / _server.Config.Hz);
        for (int db = 0; db < _store.Databases.Length; db++)
        {
            var database = _store.Databases[db];
            while (database.VolatileCount > 0)
            {
                int expired = 0;
                int samples = Math.Min(sampleSize, database.VolatileCount);
                for (int i = 0; i < samples; i++)
                {
                    var entry = database.RandomVolatile(_context.Random);
                    if (entry == null || entry.ExpireAt > now) continue;
                    database.Remove(HashSlot.Of(entry.Key), entry);
                    _store.ExpiredKeys++;
                    _context.SignalModified(db, entry.Key, expiredDeletion: true);
                    _context.Journal?.Add(db, [Cmd.Del, entry.Key]);
                    KeyspaceEvents.Notify(_server, KeyspaceEvent.Expired, "expired", entry.Key, db);
                    expired++;
                }
                if (expired * 10 <= samples || budget.ElapsedMilliseconds >= budgetMs) break;
            }
        }
        // activeExpireCycle's latency sample: the cycle's time, when past latency-monitor-threshold.
        long elapsed = budget.ElapsedMilliseconds;
        if (LatencyMonitor.Exceeds(_server.Config, elapsed)) _server.Latency.Add("expire-cycle", elapsed, now / 1000);
    }
}
