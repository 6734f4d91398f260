using Akka.Actor;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Shards;
using AkkaRedis.Protocol;

namespace AkkaRedis.Server.Cluster;

/// <summary>
/// Cluster mode: a connection's stand-in for one blocking command (BLPOP, BLMOVE, ...) whose keys live on one shard,
/// wherever that shard is. The shard is the only party that decides whether the command is served, times out or is
/// unblocked (one claim, as on a single node), so every ending goes through it:
///   - the command goes to the shard as <see cref="BlockFor"/>; its reply comes back here and on to the connection;
///   - the timeout and CLIENT UNBLOCK ask the shard to end it (<see cref="BlockCancel"/>); a shard that no longer has
///     it waiting answers <see cref="NotBlocked"/>: its reply is on the way, or the command was lost with its node,
///     and after a grace period the relay answers the timeout's reply itself;
///   - the client leaving stops this actor: the shard watches it and drops the command;
///   - when the shard moves to another node it sends the waiting command after itself; when its node dies, the
///     command sent again every few seconds blocks on the shard's new node (the shard ignores a repeat of one it has).
/// Like a Redis client whose connection drops just after Redis served it, a client that leaves while its reply
/// crosses the network loses that element.
/// </summary>
public sealed class BlockRelay : UntypedActor, IWithTimers
{
    private const string Timeout = "timeout", Resend = "resend", GiveUp = "give-up";
    private static readonly TimeSpan ResendEvery = TimeSpan.FromSeconds(5), GracePeriod = TimeSpan.FromSeconds(2);
    public const string UnblockedError = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

    private readonly IActorRef _shard;
    private readonly ShardCommand _command;
    private readonly IActorRef _connection;
    private readonly long _timeoutMs;
    private byte[]? _ending;

    public ITimerScheduler Timers { get; set; } = null!;

    public BlockRelay(IActorRef shard, ShardCommand command, IActorRef connection, long timeoutMs)
    {
        _shard = shard;
        _command = command;
        _connection = connection;
        _timeoutMs = timeoutMs;
    }

    public static Props Props(IActorRef shard, ShardCommand command, IActorRef connection, long timeoutMs) =>
        Akka.Actor.Props.Create(() => new BlockRelay(shard, command, connection, timeoutMs));

    /// <summary>Sent by the connection for CLIENT UNBLOCK.</summary>
    public sealed record Unblock(bool WithError)
    {
        /// <summary>What the client gets: the UNBLOCKED error, or the reply a timeout gives.</summary>
        public byte[] Reply(bool resp3) => WithError ? RespWriter.ErrorReply(UnblockedError) : BlockedClient.TimeoutReply(resp3);
    }

    protected override void PreStart()
    {
        _shard.Tell(new BlockFor(_command, Self));
        Timers.StartPeriodicTimer(Resend, Resend, ResendEvery);
        if (_timeoutMs > 0) Timers.StartSingleTimer(Timeout, Timeout, TimeSpan.FromMilliseconds(_timeoutMs));
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ShardReplies replies:
                _connection.Tell(replies);
                Context.Stop(Self);
                break;
            case Resend:
                if (_ending == null) _shard.Tell(new BlockFor(_command, Self));
                else _shard.Tell(new BlockCancel(Self, _ending));
                break;
            case Timeout:
                End(BlockedClient.TimeoutReply(_command.Resp3));
                break;
            case Unblock unblock:
                End(unblock.Reply(_command.Resp3));
                break;
            case NotBlocked:
                Timers.StartSingleTimer(GiveUp, GiveUp, GracePeriod);
                break;
            case GiveUp:
                _connection.Tell(ShardReplies.One(_ending!, _command.Seq));
                Context.Stop(Self);
                break;
            case BlockRegistered:
                break;
        }
    }

    private void End(byte[] reply)
    {
        if (_ending != null) return;
        _ending = reply;
        _shard.Tell(new BlockCancel(Self, reply));
    }

}
