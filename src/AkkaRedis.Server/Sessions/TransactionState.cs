using Akka.Actor;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Shards;

namespace AkkaRedis.Server.Sessions;

/// <summary>A connection's MULTI queue and WATCH list (multi.c's client fields).</summary>
public sealed class TransactionState
{
    public bool InMulti;

    /// <summary>A command was rejected while queuing: EXEC answers EXECABORT.</summary>
    public bool Aborted;

    public List<QueuedCommand> Queue { get; } = [];
    public WatchState? Watch;

    /// <summary>Commands that run at once even inside MULTI (processCommand's exception list).</summary>
    public static bool RunsImmediately(string name) => name is "exec" or "discard" or "multi" or "watch" or "quit" or "reset";

    public void Discard()
    {
        InMulti = false;
        Aborted = false;
        Queue.Clear();
    }

    /// <summary>Forgets the watched keys on every shard that has them, here or (cluster mode) on other nodes.</summary>
    public void Unwatch(IActorRef[] shards)
    {
        if (Watch == null) return;
        foreach (int shard in Watch.Shards) shards[shard].Tell(new Unwatch(Watch));
        if (Watch.Ticket is { } ticket)
            foreach (int shard in Watch.StandInShards) shards[shard].Tell(new ForgetWatch(ticket));
        Watch = null;
    }
}
