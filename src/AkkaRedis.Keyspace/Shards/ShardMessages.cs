using Akka.Actor;
using AkkaRedis.Keyspace.Commands;

namespace AkkaRedis.Keyspace.Shards;

/// <summary>
/// One command for a shard: what to run, in which database, for which protocol, and its place in the connection's order.
/// <paramref name="Payload"/> carries connection state a few commands need (EXEC's transaction, WATCH's watch list).
/// <paramref name="FirstKeySlot"/> is the hash slot of the first key when routing computed it (else -1), so the shard
/// does not hash the key again.
/// </summary>
public readonly record struct ShardCommand(CommandSpec Spec, byte[][] Args, int Db, bool Resp3, long Seq, object? Payload = null, int FirstKeySlot = -1);

/// <summary>The commands of one socket read that belong to one shard, sent as one message (the hot path's batching).</summary>
public sealed record ShardBatch(ShardCommand[] Commands, int Count, IActorRef ReplyTo);

/// <summary>
/// A shard's answer to a batch (or to one held command): all replies in one buffer; reply i is
/// Buffer[Ends[i-1]..Ends[i]] and answers the command with sequence number Seqs[i].
/// </summary>
public sealed record ShardReplies(byte[] Buffer, long[] Seqs, int[] Ends, int Count)
{
    /// <summary>The answer to one command: <paramref name="reply"/> whole.</summary>
    public static ShardReplies One(byte[] reply, long seq) => new(reply, [seq], [reply.Length], 1);
}

/// <summary>
/// A command that needs several shards held at once (see <see cref="CrossShard"/>). It travels from shard to
/// shard in ascending order; <paramref name="Hop"/> is the index, in <paramref name="Route"/>, of the shard it is at.
/// </summary>
public sealed record HeldCommand(long Id, IActorRef[] Route, int[] ShardIndexes, int Hop, ShardCommand Command, IActorRef ReplyTo);

/// <summary>Ends a hold: the shard takes its data back and carries on with what it stashed.</summary>
public sealed record Release(long Id);

/// <summary>
/// Cluster mode with the shared journal: the part of a held command's effects that belongs to a held shard, for that
/// shard to persist under its own persistence id (each shard recovers only its own journal, wherever it moves).
/// </summary>
public sealed record PersistForHold(long Id, Persistence.AofBatch Batch, IActorRef Runner);

/// <summary>A held shard has its part of a held command's effects in the journal.</summary>
public sealed record HoldPartWritten(long Id);

/// <summary>Forgets a connection's watched keys on this shard (UNWATCH, DISCARD, RESET, disconnect).</summary>
public sealed record Unwatch(Commands.WatchState Watch);

/// <summary>
/// Cluster mode: WATCH's payload for a shard on another node, where the connection's <see cref="Commands.WatchState"/>
/// cannot go. The shard keeps a stand-in watch for it, one per connection (<paramref name="Watcher"/>, the connection's
/// actor), and says at EXEC, through <see cref="LendKeys.Watch"/>, whether that watch failed.
/// </summary>
public sealed record WatchTicket(IActorRef Watcher, long Generation);

/// <summary>Forgets the stand-in watch of <see cref="WatchTicket"/> on this shard (UNWATCH, DISCARD, RESET, disconnect).</summary>
public sealed record ForgetWatch(WatchTicket Ticket);

/// <summary>Forgets a blocked client on this shard (it timed out, disconnected, was unblocked or served elsewhere).</summary>
public sealed record ForgetWaiter(Commands.BlockedClient Client);

/// <summary>
/// BLMOVE / BRPOPLPUSH served on the source's shard: the popped element travels to the destination's shard,
/// which pushes it and answers the client; if the destination holds another type, the element goes back.
/// </summary>
public sealed record DeliverElement(int Db, byte[] Key, byte[] Element, bool ToLeft, Commands.BlockedClient? Client, byte[] SourceKey, bool SourceLeft);

/// <summary>Answered with <see cref="ShardReady"/> once the shard has recovered (messages wait until then).</summary>
public sealed class AwaitReady
{
    public static readonly AwaitReady Instance = new();
    private AwaitReady() { }
}

/// <summary>The shard has replayed its part of the AOF and serves commands.</summary>
public sealed record ShardReady(int Shard, long Keys);

/// <summary>
/// Cluster hand-off: the shard is moving to another node. It runs what arrived before, waits for its writes to
/// reach the journal, then stops (the default PoisonPill would drop the replies of writes in flight).
/// </summary>
public sealed class ShardStop
{
    public static readonly ShardStop Instance = new();
    private ShardStop() { }
}

/// <summary>
/// Cluster mode: asks a shard to answer <see cref="ProbeReply"/> once the replies to everything it received before
/// from the same sender have gone out, so a connection can tell a batch that was lost from one still running.
/// </summary>
public sealed record ShardProbe(long Token, IActorRef ReplyTo);

/// <summary>The answer to a <see cref="ShardProbe"/>.</summary>
public sealed record ProbeReply(int Shard, long Token);

/// <summary>Timer tick for the active expiry cycle.</summary>
public sealed class ExpireTick
{
    public static readonly ExpireTick Instance = new();
    private ExpireTick() { }
}

/// <summary>
/// Cluster mode, a command whose shards span nodes (see <see cref="LendingHold"/>): the shard stops serving others until
/// <paramref name="Runner"/> releases it, and lends it the state of <paramref name="Keys"/> in every database. For an
/// EXEC whose connection watched keys of this shard from another node, <paramref name="Watch"/> names that watch.
/// </summary>
public sealed record LendKeys(byte[][] Keys, IActorRef Runner, WatchTicket? Watch = null);

/// <summary>
/// A shard's answer to <see cref="LendKeys"/>: the keys' state as AOF commands (their rewrite form), and whether the
/// watch it was asked about failed (a watched key was written or expired, or the watch was lost with a move).
/// </summary>
public sealed record KeysLent(int Shard, Persistence.AofBatch State, bool WatchFailed = false);

/// <summary>
/// The part of a lending hold's effects that belongs to the shard (null: none): applied and journaled, then answered
/// with <see cref="LentApplied"/>. The shard stays held until <see cref="ReleaseLent"/>, so no one sees half of it.
/// </summary>
public sealed record ApplyLent(Persistence.AofBatch? Effects, IActorRef Runner);

/// <summary>The shard has applied its part of a lending hold's effects, and journaled it.</summary>
public sealed record LentApplied(int Shard);

/// <summary>Ends a lending hold: the shard serves again (also when its runner dies, seen by DeathWatch).</summary>
public sealed record ReleaseLent(IActorRef Runner);

/// <summary>
/// Cluster mode: a blocking command whose keys all live on this shard, for a client connected to any node. The shard
/// blocks it as its own, answers <paramref name="Relay"/> (the client's stand-in on its node) and watches it: when the
/// relay stops (its client left, or its node died) the block is dropped. A second one from the same relay is ignored.
/// </summary>
public sealed record BlockFor(ShardCommand Command, IActorRef Relay);

/// <summary>The blocking command of <see cref="BlockFor"/> waits on its keys here.</summary>
public sealed record BlockRegistered(int Shard);

/// <summary>
/// Ends a <see cref="BlockFor"/> that still waits (timeout, CLIENT UNBLOCK), answering <paramref name="Reply"/>; when it
/// no longer waits here the shard answers <see cref="NotBlocked"/> (its reply is on its way, or it never arrived).
/// </summary>
public sealed record BlockCancel(IActorRef Relay, byte[] Reply);

/// <summary>The answer to a <see cref="BlockCancel"/> for a command that does not wait on this shard.</summary>
public sealed record NotBlocked(int Shard);

/// <summary>
/// Cluster mode: a blocking pop whose keys live on shards of several nodes (see the server's BlockAcrossNodes). It does
/// not wait here: the shard wakes <paramref name="Waker"/> (<see cref="KeyReady"/>) when one of the command's source keys
/// on this shard can serve it, in the blocked clients' order, and the waker then pops through a lending hold. One
/// registration per waker: a second one is answered without registering again while the first still waits. Answered
/// with <see cref="WakeRegistered"/>.
/// </summary>
public sealed record WakeWhenReady(ShardCommand Command, long Round, IActorRef Waker);

/// <summary>The shard wakes the waker of <see cref="WakeWhenReady"/> of round <paramref name="Round"/> from now on.</summary>
/// <paramref name="Resolved"/>: a blocking XREAD's "$" IDs of this shard's streams, by argument position, as the wait began.
public sealed record WakeRegistered(int Shard, long Round, (int Position, byte[] Id)[] Resolved);

/// <summary>A source key of the waker's command on <paramref name="Shard"/> can serve it now; the registration there is used up.</summary>
public sealed record KeyReady(int Shard);

/// <summary>The waker is done (served, timed out, gone): the shard forgets its registration.</summary>
public sealed record StopWaking(IActorRef Waker);

/// <summary>A shard's note to itself, sent from a pool thread: run what waited for leaving the socket thread.</summary>
public sealed class ResumeOffSocketThread
{
    public static readonly ResumeOffSocketThread Instance = new();
    private ResumeOffSocketThread() { }
}

/// <summary>A shard's note to itself from its gather timer: write what it gathered for the next fsync now.</summary>
public sealed class GatherDue
{
    public static readonly GatherDue Instance = new();
    private GatherDue() { }
}
