using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Shards;

/// <summary>
/// Owns one share of the hash slots: the only code that touches that share's data, except while it has
/// handed it over to a held command (<see cref="CrossShard"/>). Runs batches of commands, answers each
/// batch with one message, and expires keys actively on a timer as Redis's activeExpireCycle does.
/// Hot path: an UntypedActor with a type switch, one reused writer and context, no allocation per command
/// beyond the reply arrays of a batch.
/// </summary>
public sealed class KeyspaceShard : UntypedActor, IWithUnboundedStash, IWithTimers
{
    private readonly ShardStore _store;
    private readonly ServerState _server;
    private readonly CommandContext _context;
    private readonly RespWriter _writer = new(4096);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _heldBy;

    public IStash Stash { get; set; } = null!;
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
    }

    /// <summary><paramref name="peers"/> is filled with every shard before the first command arrives (for BLMOVE deliveries).</summary>
    public static Props Props(Data.Keyspace keyspace, int index, ServerState server, IActorRef[] peers) =>
        Akka.Actor.Props.Create(() => new KeyspaceShard(keyspace, index, server, peers));

    protected override void PreStart() => ScheduleExpiry();

    private void ScheduleExpiry() =>
        Timers.StartSingleTimer(ExpireTick.Instance, ExpireTick.Instance, TimeSpan.FromMilliseconds(1000.0 / _server.Config.Hz));

    protected override void OnReceive(object message)
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
                ActiveExpireCycle();
                ScheduleExpiry();
                break;
            case ForgetWaiter forget:
                foreach (var (shard, db, key) in forget.Client.Keys)
                    if (shard == _store.Index) _store.RemoveWaiter(db, key, forget.Client);
                break;
            case DeliverElement delivery:
                Deliver(delivery);
                break;
            case Unwatch unwatch:
                foreach (var (shard, db, key, _) in unwatch.Watch.Keys)
                    if (shard == _store.Index) _store.RemoveWatcher(db, key, unwatch.Watch);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>While held: only the matching Release is served; everything else waits in the stash.</summary>
    private void Held(object message)
    {
        if (message is Release release && release.Id == _heldBy)
        {
            _heldBy = 0;
            Context.UnbecomeStacked();
            Stash.UnstashAll();
        }
        else if (message is ExpireTick) ScheduleExpiry(); // the cycle resumes after the hold
        else Stash.Stash();
    }

    private void RunBatch(ShardBatch batch)
    {
        _writer.Clear();
        var seqs = new long[batch.Count];
        var ends = new int[batch.Count];
        int answered = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            ref readonly var command = ref batch.Commands[i];
            // A command that blocked has no reply in this batch: whoever finishes it answers later.
            if (Execute(command)) continue;
            seqs[answered] = command.Seq;
            ends[answered++] = _writer.Length;
        }
        if (answered > 0) batch.ReplyTo.Tell(new ShardReplies(_writer.ToArray(), seqs, ends, answered));
    }

    private void Hold(HeldCommand held)
    {
        if (held.Hop < held.Route.Length - 1)
        {
            _heldBy = held.Id;
            Context.BecomeStacked(Held);
            held.Route[held.Hop + 1].Tell(held with { Hop = held.Hop + 1 });
            return;
        }
        _writer.Clear();
        bool blocked = Execute(held.Command);
        for (int i = 0; i < held.Route.Length - 1; i++) held.Route[i].Tell(new Release(held.Id));
        if (!blocked) held.ReplyTo.Tell(new ShardReplies(_writer.ToArray(), [held.Command.Seq], [_writer.Length], 1));
    }

    /// <summary>Runs one command into the batch writer; true when it blocked (no reply written).</summary>
    private bool Execute(in ShardCommand command)
    {
        int start = _writer.Length;
        _writer.Resp3 = command.Resp3;
        var spec = command.Spec;
        long began = Stopwatch.GetTimestamp();
        _context.Begin(spec, command.Args, command.Db, _writer, _store, _server.Clock.NowMs, command.Payload);
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
        bool blocked = _context.Blocked;
        long elapsed = Stopwatch.GetTimestamp() - began;
        _store.Calls[spec.Id]++;
        _store.ElapsedTicks[spec.Id] += elapsed;
        _store.CommandsProcessed++;
        if (_writer.Length > start && _writer.Buffer[start] == (byte)'-') _store.FailedCalls[spec.Id]++;
        if (_context.ReadyKeys.Count > 0) ServeBlockedClients();
        return blocked;
    }

    /// <summary>
    /// After a command pushed to lists that clients wait on, serve those clients in the order they blocked
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
                var client = owner.FirstWaiter(db, key);
                if (client == null) break;
                if (_context.Lookup(key, db)?.Value is not RedisList { Count: > 0 }) break;
                owner.RemoveFirstWaiter(db, key);
                if (!client.TryClaim()) continue;
                foreach (var (shard, _, _) in client.Keys.Where(k => k.Shard != owner.Index).DistinctBy(k => k.Shard))
                    _peers[shard].Tell(new ForgetWaiter(client));
                foreach (var (shard, waitDb, waitKey) in client.Keys)
                    if (shard == owner.Index) owner.RemoveWaiter(waitDb, waitKey, client);
                var writer = new RespWriter(64) { Resp3 = client.Resp3 };
                _context.Begin(_pushSpec, [], client.Db, writer, _store, _server.Clock.NowMs, null);
                bool answered = client.Serve!(_context, key);
                foreach (var (shard, delivery) in _context.Deliveries) _peers[shard].Tell(delivery with { Client = client });
                _context.Deliveries.Clear();
                if (answered) client.ReplyTo.Tell(new ShardReplies(writer.ToArray(), [client.Seq], [writer.Length], 1));
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
            _peers[_context.Keyspace.SlotOwner[HashSlot.Of(delivery.SourceKey)]]
                .Tell(new DeliverElement(delivery.Db, delivery.SourceKey, delivery.Element, delivery.SourceLeft, null, delivery.SourceKey, delivery.SourceLeft));
        }
        else
        {
            var list = entry?.Value as RedisList ?? new RedisList();
            if (delivery.ToLeft) list.PushFront(delivery.Element);
            else list.PushBack(delivery.Element);
            _context.Store(delivery.Key, entry, list, list.Count);
            writer.WriteBulk(delivery.Element);
        }
        if (delivery.Client != null) delivery.Client.ReplyTo.Tell(new ShardReplies(writer.ToArray(), [delivery.Client.Seq], [writer.Length], 1));
        if (_context.ReadyKeys.Count > 0) ServeBlockedClients();
    }

    /// <summary>
    /// Redis's activeExpireCycle, simplified: per database, sample up to 20 keys that have an expiry and
    /// delete the expired ones; repeat while more than a tenth of a sample was expired, within a time budget
    /// of a quarter of the tick.
    /// </summary>
    private void ActiveExpireCycle()
    {
        const int sampleSize = 20;
        long now = _server.Clock.NowMs;
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
                    _context.Keyspace.TouchWatched(db, entry.Key);
                    expired++;
                }
                if (expired * 10 <= samples || budget.ElapsedMilliseconds >= budgetMs) break;
            }
        }
    }
}
