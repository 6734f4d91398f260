using Akka.Actor;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>
/// A client blocked on list or sorted-set keys (BLPOP, BZPOPMIN and friends), possibly on several shards at once. Exactly one party
/// gets to finish it: the first shard that can serve it, its timeout, its disconnect, or CLIENT UNBLOCK. Each
/// tries one atomic compare-and-swap on <see cref="TryClaim"/>; the loser leaves it alone, so a pushed element
/// is popped only by a shard that has already won the claim, and is never delivered twice or lost.
/// This flag is the only state shared between actors here, and it is the whole protocol.
/// </summary>
public sealed class BlockedClient(long seq, IActorRef replyTo)
{
    // Pending: sent, not yet run. Executing: its shard is running the command. Waiting: registered on its keys.
    // Finished: answered by exactly one party. Only the shard moves it out of Executing.
    private const int Pending = 0, Executing = 1, Waiting = 2, Finished = 3;
    private int _state;

    public long Seq { get; } = seq;
    public IActorRef ReplyTo { get; } = replyTo;

    /// <summary>Set by the command when it blocks: how to serve it from a non-empty list, and where it waits.</summary>
    public Func<CommandContext, byte[], bool>? Serve { get; set; }
    /// <summary>Whether a key's value can serve it: a non-empty list, or (BZPOPMIN and friends) a non-empty sorted set.</summary>
    public Func<byte[], object?, bool> IsReady { get; set; } = BlockingCommands.IsNonEmptyList;
    public int Db { get; set; }
    /// <summary>The command that blocked, whose failed calls and errors count when a shard answers it with an error.</summary>
    public CommandSpec? Spec { get; set; }

    /// <summary>The command as the client sent it, for SLOWLOG when it is served (null for a cluster's stand-ins).</summary>
    public byte[][]? Args { get; set; }
    public bool Resp3 { get; set; }
    /// <summary>Where it waits; published whole once registered, so any shard may read it to forget the client.</summary>
    public volatile (int Shard, int Db, byte[] Key)[] Keys = [];

    public bool IsWaiting => Volatile.Read(ref _state) == Waiting;

    /// <summary>The shard starts running the command; false when the client was already finished (timed out, gone).</summary>
    public bool TryStart() => Interlocked.CompareExchange(ref _state, Executing, Pending) == Pending;

    /// <summary>The command answered at once (or with an error).</summary>
    public void Finish() => Volatile.Write(ref _state, Finished);

    /// <summary>The command is registered on its keys and may now be claimed.</summary>
    public void StartWaiting() => Volatile.Write(ref _state, Waiting);

    /// <summary>Registers it on each distinct key, at the shard owning the key, and starts it waiting (<see cref="Db"/> is the keys' database).</summary>
    public void WaitOn(Data.Keyspace keyspace, IEnumerable<byte[]> keys)
    {
        var registered = new List<(int Shard, int Db, byte[] Key)>();
        foreach (var key in keys.Distinct(Data.ByteArrayComparer.Instance))
        {
            int shard = keyspace.ShardOf(key);
            keyspace.Shards[shard].AddWaiter(Db, key, this);
            registered.Add((shard, Db, key));
        }
        Keys = registered.ToArray();
        StartWaiting();
    }

    /// <summary>A shard that can serve it: true for the one that may pop for it.</summary>
    public bool TryClaim() => Interlocked.CompareExchange(ref _state, Finished, Waiting) == Waiting;

    /// <summary>
    /// The connection's side (timeout, CLIENT UNBLOCK, disconnect): true when it finished the client. While the
    /// shard is running the command (a few microseconds) it waits, so the outcome is never in doubt.
    /// </summary>
    public bool TryCancel()
    {
        var spin = new SpinWait();
        while (true)
        {
            if (Interlocked.CompareExchange(ref _state, Finished, Pending) == Pending) return true;
            if (Interlocked.CompareExchange(ref _state, Finished, Waiting) == Waiting) return true;
            if (Volatile.Read(ref _state) == Finished) return false;
            spin.SpinOnce();
        }
    }

    /// <summary>The reply a timeout gives: the null array for every blocking list command.</summary>
    public static byte[] TimeoutReply(bool resp3)
    {
        var writer = new RespWriter(8) { Resp3 = resp3 };
        writer.WriteNullArray();
        return writer.ToArray();
    }
}
