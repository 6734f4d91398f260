using Akka.Actor;
using AkkaRedis.Keyspace.Shards;

namespace AkkaRedis.Server.Cluster;

/// <summary>
/// Cluster mode: a WATCH whose keys live on several shards, not all on this node. Each shard gets a WATCH of its own keys
/// with the connection's ticket (see <see cref="WatchTicket"/>) and keeps a stand-in for it; the client gets one reply
/// once every shard has answered. A shard that has not answered after a second is asked again (a ticket's WATCH may
/// repeat: the stand-in is the same), so a message lost in a hand-off only delays the reply.
/// </summary>
public sealed class WatchFanOut : UntypedActor, IWithTimers
{
    private const string Resend = "resend", GiveUp = "give-up";
    private static readonly TimeSpan ResendAfter = TimeSpan.FromSeconds(1), Deadline = TimeSpan.FromSeconds(20);

    private readonly IActorRef[] _shards;
    private readonly Dictionary<int, ShardCommand> _waiting;
    private readonly IActorRef _connection;
    private readonly long _seq;
    private byte[]? _error;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="parts">Per shard, its WATCH; each part's Seq is its shard's index, to tell the answers apart.</param>
    public WatchFanOut(IActorRef[] shards, Dictionary<int, ShardCommand> parts, IActorRef connection, long seq)
    {
        _shards = shards;
        _waiting = parts;
        _connection = connection;
        _seq = seq;
    }

    public static Props Props(IActorRef[] shards, Dictionary<int, ShardCommand> parts, IActorRef connection, long seq) =>
        Akka.Actor.Props.Create(() => new WatchFanOut(shards, parts, connection, seq));

    protected override void PreStart()
    {
        SendWaiting();
        Timers.StartPeriodicTimer(Resend, Resend, ResendAfter);
        Timers.StartSingleTimer(GiveUp, GiveUp, Deadline);
    }

    private void SendWaiting()
    {
        foreach (var (shard, part) in _waiting) _shards[shard].Tell(new ShardBatch([part], 1, Self));
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ShardReplies replies:
                for (int i = 0; i < replies.Count; i++)
                {
                    if (!_waiting.Remove((int)replies.Seqs[i])) continue;
                    int start = i == 0 ? 0 : replies.Ends[i - 1];
                    if (replies.Buffer[start] == (byte)'-') _error ??= replies.Buffer[start..replies.Ends[i]];
                }
                if (_waiting.Count == 0) Answer(_error ?? "+OK\r\n"u8.ToArray());
                break;
            case Resend:
                SendWaiting();
                break;
            case GiveUp:
                Answer(Protocol.RespWriter.ErrorReply(LendingHold.ShardLost));
                break;
        }
    }

    private void Answer(byte[] reply)
    {
        _connection.Tell(ShardReplies.One(reply, _seq));
        Context.Stop(Self);
    }
}
