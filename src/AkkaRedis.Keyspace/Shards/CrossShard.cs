using Akka.Actor;

namespace AkkaRedis.Keyspace.Shards;

/// <summary>
/// The coordination protocol for commands that touch several shards (MSET over keys of different shards,
/// RENAME across shards, FLUSHALL, SCAN, ...). Redis runs one command at a time; this gives the same
/// atomicity without locks:
///
/// 1. The session sends a <see cref="HeldCommand"/> to the lowest-numbered shard involved, listing every
///    involved shard in ascending order.
/// 2. Each shard but the last, on receiving it, stops serving: it forwards the command to the next shard
///    and stashes every other message until the matching <see cref="Release"/>. Its data is now held.
/// 3. The last shard runs the command. Every involved shard is held, so the handler may read and write
///    their tables: the shards that hand over have stopped touching them, and message passing orders
///    their last writes before the runner's reads (and the runner's writes before their next reads).
/// 4. The last shard sends <see cref="Release"/> to the others and the reply to the session.
///
/// Why it cannot deadlock: every command takes its shards in the same (ascending) order, so no two
/// commands can each hold a shard the other waits for. A shard that is held stashes further hold
/// requests; they proceed when it is released.
///
/// Ordering for one connection: the session sends nothing after a held command until its reply arrives
/// (a barrier), so later commands of the same client can never overtake it on another shard; earlier
/// commands were enqueued before the hold was, and local mailboxes are FIFO.
///
/// Single-shard commands take no part in this: they go straight to their shard in a batch.
/// </summary>
public static class CrossShard
{
    private static long _nextId;

    public static long NextId() => Interlocked.Increment(ref _nextId);

    public const string ShardMoved = "TRYAGAIN A shard this command needs moved to another node while the command waited for it";

    /// <summary>
    /// Cluster mode: a held command that can no longer reach its next shard (that shard stopped to move to another
    /// node) is answered TRYAGAIN, and the shards it already holds are released. Nothing ran: only the last shard runs it.
    /// </summary>
    public static void Abort(HeldCommand held, string error)
    {
        for (int i = 0; i < held.Hop; i++) held.Route[i].Tell(new Release(held.Id));
        held.ReplyTo.Tell(ShardReplies.One(Protocol.RespWriter.ErrorReply(error), held.Command.Seq));
    }

    /// <summary>Starts a held command over <paramref name="shardIndexes"/> (sorted ascending, distinct).</summary>
    public static void Start(IActorRef[] shards, int[] shardIndexes, ShardCommand command, IActorRef replyTo)
    {
        var route = new IActorRef[shardIndexes.Length];
        for (int i = 0; i < route.Length; i++) route[i] = shards[shardIndexes[i]];
        route[0].Tell(new HeldCommand(NextId(), route, shardIndexes, 0, command, replyTo), replyTo);
    }
}
