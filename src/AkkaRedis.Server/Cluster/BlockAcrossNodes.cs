using Akka.Actor;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Shards;
using AkkaRedis.Protocol;

namespace AkkaRedis.Server.Cluster;

/// <summary>
/// Cluster mode: a connection's stand-in for a blocking pop whose keys live on several shards that are not all on this
/// node (BLPOP a b with a and b on different nodes, BLMOVE to a destination elsewhere, ...). No shared claim can span
/// nodes, so nothing is popped while it waits; it pops only through a lending hold, which is atomic over its shards:
///   1. each shard of its source keys is asked to wake it when one of them can serve it (<see cref="WakeWhenReady"/>);
///   2. once every one has registered, the command runs as a lending hold in its non-blocking form: an element, an error,
///      or nothing (then it waits: a push after the hold lent its shard wakes it, one before was seen by the hold);
///   3. a wake-up registers again and goes back to 2. Registrations are renewed every few seconds, which also finds a
///      shard that moved to another node or lost a message in the hand-off.
/// The timeout and CLIENT UNBLOCK answer at once unless a hold is running; then its element, if it got one, is the reply.
/// The element goes to exactly one client and is never lost, but clients blocked on the shard's own node come first:
/// they are served in place when the push lands, while this one is woken in its turn and pops after them.
/// Like <see cref="BlockRelay"/>, a client that leaves while its hold runs loses that element.
/// </summary>
public sealed class BlockAcrossNodes : UntypedActor, IWithTimers
{
    private const string Timeout = "timeout", Renew = "renew";
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(5);

    private readonly ServerServices _services;
    private ShardCommand _command;
    private readonly IActorRef _connection;
    private readonly long _timeoutMs;
    private readonly int[] _shards;
    private readonly int[] _sourceShards;

    private long _round;
    private readonly HashSet<int> _registered = [];
    private bool _popping;
    private bool _popAgain;
    private byte[]? _ending;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="shards">Every shard of the command's keys, ascending: the lending hold's.</param>
    public BlockAcrossNodes(ServerServices services, ShardCommand command, int[] shards, IActorRef connection, long timeoutMs)
    {
        _services = services;
        _command = command with { Payload = null };
        _shards = shards;
        _connection = connection;
        _timeoutMs = timeoutMs;
        _sourceShards = BlockingCommands.WaitsOn(command.Spec, command.Args).Sources
            .Select(key => services.Keyspace.ShardOf(key)).Distinct().ToArray();
    }

    public static Props Props(ServerServices services, ShardCommand command, int[] shards, IActorRef connection, long timeoutMs) =>
        Akka.Actor.Props.Create(() => new BlockAcrossNodes(services, command, shards, connection, timeoutMs));

    protected override void PreStart()
    {
        Register();
        Timers.StartPeriodicTimer(Renew, Renew, RenewEvery);
        if (_timeoutMs > 0) Timers.StartSingleTimer(Timeout, Timeout, TimeSpan.FromMilliseconds(_timeoutMs));
    }

    protected override void PostStop()
    {
        foreach (int shard in _sourceShards) _services.Shards[shard].Tell(new StopWaking(Self));
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case WakeRegistered registered when registered.Round == _round:
                Resolve(registered.Resolved);
                if (_registered.Add(registered.Shard) && _registered.Count == _sourceShards.Length) Pop();
                break;
            case WakeRegistered:
                break; // of an earlier round
            case KeyReady or Renew:
                Register();
                break;
            case ShardReplies replies:
                Popped(replies.Buffer.AsSpan(0, replies.Ends[0]).ToArray());
                break;
            case Timeout:
                End(BlockedClient.TimeoutReply(_command.Resp3));
                break;
            case BlockRelay.Unblock unblock:
                End(unblock.Reply(_command.Resp3));
                break;
        }
    }

    /// <summary>
    /// A blocking XREAD's "$" as the shards resolved it when the wait began: the command reads after those IDs from now
    /// on, as "$" again would mean the entry that woke it.
    /// </summary>
    private void Resolve((int Position, byte[] Id)[] resolved)
    {
        if (resolved.Length == 0) return;
        var args = (byte[][])_command.Args.Clone();
        foreach (var (position, id) in resolved)
            if (args[position] is [(byte)'$']) args[position] = id;
        _command = _command with { Args = args };
    }

    /// <summary>A new round of registrations; the pop follows once every source shard has answered it.</summary>
    private void Register()
    {
        _round++;
        _registered.Clear();
        foreach (int shard in _sourceShards) _services.Shards[shard].Tell(new WakeWhenReady(_command, _round, Self));
    }

    private void Pop()
    {
        if (_ending != null) return;
        if (_popping)
        {
            _popAgain = true;
            return;
        }
        _popping = true;
        _services.StartLending(_shards, _command, Self);
    }

    private void Popped(byte[] reply)
    {
        _popping = false;
        if (!IsNothing(reply)) Finish(reply);
        else if (_ending != null) Finish(_ending);
        else if (_popAgain)
        {
            _popAgain = false;
            Pop();
        }
    }

    /// <summary>The non-blocking form found nothing to pop: the null array (BLPOP, BZPOPMIN, ...) or null bulk (BLMOVE).</summary>
    private static bool IsNothing(byte[] reply) => reply is [(byte)'*', (byte)'-', (byte)'1', ..] or [(byte)'$', (byte)'-', (byte)'1', ..] or [(byte)'_', ..];

    private void End(byte[] reply)
    {
        if (_ending != null) return;
        _ending = reply;
        if (!_popping) Finish(reply);
    }

    private void Finish(byte[] reply)
    {
        _connection.Tell(ShardReplies.One(reply, _command.Seq));
        Context.Stop(Self);
    }
}
