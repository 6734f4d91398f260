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

    public KeyspaceShard(Data.Keyspace keyspace, int index, ServerState server)
    {
        _store = keyspace.Shards[index];
        _server = server;
        _context = new CommandContext(keyspace, server);
        _store.EnsureStats(server.Commands.AllSpecs.Count);
    }

    public static Props Props(Data.Keyspace keyspace, int index, ServerState server) =>
        Akka.Actor.Props.Create(() => new KeyspaceShard(keyspace, index, server));

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
        for (int i = 0; i < batch.Count; i++)
        {
            ref readonly var command = ref batch.Commands[i];
            Execute(command);
            seqs[i] = command.Seq;
            ends[i] = _writer.Length;
        }
        batch.ReplyTo.Tell(new ShardReplies(_writer.ToArray(), seqs, ends, batch.Count));
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
        Execute(held.Command);
        for (int i = 0; i < held.Route.Length - 1; i++) held.Route[i].Tell(new Release(held.Id));
        held.ReplyTo.Tell(new ShardReplies(_writer.ToArray(), [held.Command.Seq], [_writer.Length], 1));
    }

    private void Execute(in ShardCommand command)
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
        }
        long elapsed = Stopwatch.GetElapsedTime(began).Ticks / 10;
        _store.Calls[spec.Id]++;
        _store.Microseconds[spec.Id] += elapsed;
        _store.CommandsProcessed++;
        if (_writer.Length > start && _writer.Buffer[start] == (byte)'-') _store.FailedCalls[spec.Id]++;
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
