using Akka.Actor;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Journal;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Persistence;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Shards;

/// <summary>
/// Cluster mode: runs a multi-key command or a transaction whose shards live on different nodes. The hold protocol of
/// <see cref="CrossShard"/> hands a shard's tables to the runner in memory, which cannot cross nodes; here the shards
/// lend copies of the keys instead, and take the effects back:
///
/// 1. Each involved shard, in ascending order, gets <see cref="LendKeys"/>: it stops serving anyone else (as a held
///    shard does) and answers with the state of those keys as AOF commands (<see cref="KeysLent"/>).
/// 2. With every shard lent, the command runs here, on a scratch keyspace loaded with those keys. Its effects, in the
///    form the AOF journals them, are split by owning shard.
/// 3. Each shard gets its part (<see cref="ApplyLent"/>), runs it as writes (journaled, watchers marked, blocked
///    clients served) and confirms once it is in the journal (<see cref="LentApplied"/>).
/// 4. With every part applied, the client gets the reply and the shards are released (<see cref="ReleaseLent"/>):
///    no other client saw a shard with half of the command applied.
///
/// It cannot deadlock with other holds: both protocols take shards in ascending order, one at a time. A shard watches
/// its runner and releases itself when the runner's node dies. A message Cluster Sharding loses in a hand-off is found
/// by a probe after a second and sent again (a shard lends once per hold, however often it is asked); what follows the
/// loan goes straight to the lender's actor, because a region holds back messages for a shard it hands off, and a lent
/// shard hands off only once released. What this cannot give: when a node dies between
/// steps 3 and 4, the shards that applied their part keep it (there is no coordinator log to roll it back); the client
/// gets an error in that case, never OK.
///
/// Only commands whose keys are all named by their key positions come here; whole-keyspace commands need their shards
/// on the client's node (see the server's ClusterGate), and a blocking pop comes in its non-blocking form, from the
/// stand-in that waits for it (the server's BlockAcrossNodes). A script (EVAL and friends) comes
/// here when the keys it declares are not all on this node; it sees only those keys, and touching another one is the
/// error Redis Cluster gives a script for a key its node does not serve. An EXEC after WATCH comes here when a watched
/// shard was on another node: that shard says, as it lends, whether the watch failed.
/// </summary>
public sealed class LendingHold : UntypedActor, IWithTimers
{
    public const string ShardLost = "TRYAGAIN A shard this command needs did not answer in time (it is moving between nodes, or its node was lost)";
    public const string ApplyLost = "ERR A shard did not confirm its part of this command in time: it may be applied on some of its shards only";

    /// <summary>Longer than a hand-off and than failure detection plus split-brain resolution (hocon/cluster.conf).</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly IActorRef[] _shards;
    private readonly int[] _shardIndexes;
    private readonly ShardCommand _command;
    private readonly IActorRef _replyTo;
    private readonly ServerState _server;
    private readonly Data.Keyspace _scratch;
    private readonly CommandContext _context;
    private readonly Dictionary<int, byte[][]> _keysByShard;
    private readonly RespWriter _loadReplies = new(64);

    /// <summary>Position in <see cref="_shardIndexes"/> of the shard asked to lend; past the end once the command ran.</summary>
    private int _asked;
    private readonly HashSet<int> _applied = [];

    /// <summary>
    /// The actors of the shards that lent, by shard. What follows the loan goes straight to them, not through the
    /// sharding region: a region buffers messages for a shard it is handing off, and the hand-off waits for the shard to
    /// stop, which a lent shard does only once released, so a region-routed release could wait for itself.
    /// </summary>
    private readonly Dictionary<int, IActorRef> _lenders = [];

    private IActorRef Route(int shard) => _lenders.TryGetValue(shard, out var lender) ? lender : _shards[shard];

    /// <summary>How long an answer may take before the shard is probed for a lost message.</summary>
    private static readonly TimeSpan ProbeAfter = TimeSpan.FromSeconds(1);
    private const string ProbeTimer = "probe";

    /// <summary>Only the latest probe counts: it went after every message sent again, so its answer proves a loss.</summary>
    private long _probeRound;
    private byte[]? _reply;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="shards">Every shard by index, wherever it lives (the sharding region).</param>
    /// <param name="shardIndexes">The shards the command's keys live on, ascending and distinct.</param>
    public LendingHold(IActorRef[] shards, int[] shardIndexes, ShardCommand command, IActorRef replyTo, ServerState server, int shardCount, int databases)
    {
        _shards = shards;
        _shardIndexes = shardIndexes;
        _command = command;
        _replyTo = replyTo;
        _server = server;
        _scratch = new Data.Keyspace(shardCount, databases);
        _context = new CommandContext(_scratch, server) { HeldShards = shardIndexes };
        _watch = (command.Payload as Transaction)?.Watch;
        // Keys watched in process are lent too, so that EXEC sees whether they expired since WATCH.
        var watchedHere = _watch?.Keys.Select(k => k.Key) ?? [];
        _keysByShard = KeysOf(command).Concat(watchedHere)
            .GroupBy(key => _scratch.ShardOf(key))
            .ToDictionary(g => g.Key, g => g.Distinct(ByteArrayComparer.Instance).ToArray());
        _context.LentKeys = new HashSet<byte[]>(_keysByShard.Values.SelectMany(keys => keys), ByteArrayComparer.Instance);
    }

    /// <summary>EXEC's watch: shards that keep a stand-in for it say at lending whether it failed (see <see cref="WatchTicket"/>).</summary>
    private readonly WatchState? _watch;

    public static Props Props(IActorRef[] shards, int[] shardIndexes, ShardCommand command, IActorRef replyTo, ServerState server, int shardCount, int databases) =>
        Akka.Actor.Props.Create(() => new LendingHold(shards, shardIndexes, command, replyTo, server, shardCount, databases));

    /// <summary>The keys a command names: its own, or for EXEC those of every queued command.</summary>
    public static IEnumerable<byte[]> KeysOf(ShardCommand command)
    {
        if (command.Payload is Transaction transaction)
        {
            foreach (var queued in transaction.Commands)
                if (queued.RunInSession == null)
                    foreach (int position in queued.Spec.KeyPositions(queued.Args))
                        yield return queued.Args[position];
            yield break;
        }
        foreach (int position in command.Spec.KeyPositions(command.Args)) yield return command.Args[position];
    }

    protected override void PostStop() => _context.DisposeScripts();

    protected override void PreStart()
    {
        Timers.StartSingleTimer(Deadline, Deadline, Deadline);
        AskNext();
    }

    private void AskNext()
    {
        int shard = _shardIndexes[_asked];
        var ticket = _watch != null && _watch.StandInShards.Contains(shard) ? _watch.Ticket : null;
        _shards[shard].Tell(new LendKeys(_keysByShard.GetValueOrDefault(shard) ?? [], Self, ticket));
        Timers.StartSingleTimer(ProbeTimer, ProbeTimer, ProbeAfter);
    }

    /// <summary>
    /// Cluster Sharding delivers at most once (a hand-off drops what the old owner buffered), and LendKeys goes through
    /// the region. A shard answers a probe only after the answers to what it received before from us, so a probe
    /// answered while KeysLent is missing means the LendKeys was lost, and it is sent again. (What follows the loan goes
    /// straight to the lender's actor, see <see cref="_lenders"/>.)
    /// </summary>
    private void Probe()
    {
        if (_reply != null) return;
        _probeRound++;
        _shards[_shardIndexes[_asked]].Tell(new ShardProbe(_probeRound, Self));
        Timers.StartSingleTimer(ProbeTimer, ProbeTimer, ProbeAfter);
    }

    private void Probed(ProbeReply probed)
    {
        if (probed.Token == _probeRound && _reply == null && probed.Shard == _shardIndexes[_asked]) AskNext();
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case KeysLent lent when _asked < _shardIndexes.Length && lent.Shard == _shardIndexes[_asked]:
                _lenders[lent.Shard] = Sender;
                if (lent.WatchFailed) _watch!.Touch();
                EffectReplay.Run(_context, _scratch.Shards[lent.Shard], lent.State.AsChunk(), _loadReplies, _server.Clock.NowMs, (_, _) => { });
                if (++_asked < _shardIndexes.Length) AskNext();
                else Run();
                break;
            case LentApplied applied when _reply != null:
                if (_applied.Add(applied.Shard) && _applied.Count == _shardIndexes.Length) Finish(_reply);
                break;
            case ProbeTimer:
                Probe();
                break;
            case ProbeReply probed:
                Probed(probed);
                break;
            case TimeSpan:
                Finish(RespWriter.ErrorReply(_reply == null ? ShardLost : ApplyLost));
                break;
        }
    }

    /// <summary>Runs the command on the lent keys and sends each shard its part of the effects.</summary>
    private void Run()
    {
        var running = _scratch.Shards[_shardIndexes[^1]];
        running.EnsureStats(_server.Commands.AllSpecs.Count);
        var writer = new RespWriter(256) { Resp3 = _command.Resp3 };
        var effects = new EffectLog();
        _context.Journal = effects;
        _context.Begin(_command.Spec, _command.Args, _command.Db, writer, running, _server.Clock.NowMs, _command.Payload);
        try
        {
            _command.Spec.Handler!(_context);
        }
        catch (Exception e)
        {
            writer.Clear();
            writer.WriteError("ERR " + e.Message);
        }
        _context.RecordEffects();
        _context.DiscardInvalidations();
        _reply = writer.ToArray();
        var parts = effects.IsEmpty
            ? []
            : AofPartition.Split(effects.Take(), new KeyRouter(_server.Commands, _scratch.SlotOwner, _scratch.Shards.Length));
        foreach (int shard in _shardIndexes) Route(shard).Tell(new ApplyLent(parts.GetValueOrDefault(shard), Self));
    }

    /// <summary>Answers the client and releases every shard asked (one that lends after this is released by its DeathWatch).</summary>
    private void Finish(byte[] reply)
    {
        _replyTo.Tell(ShardReplies.One(reply, _command.Seq));
        // EXEC forgets the watch; a shard that keeps it in process is on this node, unless it moved (which forgot it).
        if (_watch != null)
            foreach (int shard in _watch.Shards)
                if (_lenders.TryGetValue(shard, out var lender) && lender.Path.Address.HasLocalScope) lender.Tell(new Unwatch(_watch));
        int asked = Math.Min(_asked, _shardIndexes.Length - 1);
        for (int i = 0; i <= asked; i++) Route(_shardIndexes[i]).Tell(new ReleaseLent(Self));
        Context.Stop(Self);
    }
}
