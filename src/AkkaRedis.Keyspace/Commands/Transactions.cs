using AkkaRedis.Keyspace.Data;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>What a transaction reads of its connection while it runs: SELECT and HELLO inside MULTI change them.</summary>
public interface IClientState
{
    int Db { get; }
    bool Resp3 { get; }
    /// <summary>The connection's actor (what CLIENT TRACKING's invalidations go to).</summary>
    Akka.Actor.IActorRef? Actor { get; }
}

/// <summary>A command queued after MULTI. Connection commands carry a closure that runs them and writes their reply.</summary>
public sealed record QueuedCommand(CommandSpec Spec, byte[][] Args, Action<RespWriter>? RunInSession);

/// <summary>EXEC's payload: the queued commands, the connection's watch list, and the connection itself.</summary>
public sealed record Transaction(List<QueuedCommand> Commands, WatchState? Watch, IClientState Client)
{
    /// <summary>CLIENT TRACKING: the keys of the read-only commands queued are remembered for the connection.</summary>
    public bool TrackReads { get; init; }
}

/// <summary>
/// A connection's watched keys. Shards mark it dirty when one of them is written, expires or is flushed;
/// EXEC then answers nil. Written by shard actors, read by the EXEC that holds those shards.
/// </summary>
public sealed class WatchState
{
    private static long _generations;

    private volatile bool _dirty;
    public bool Dirty => _dirty;
    public void Touch() => _dirty = true;

    /// <summary>Tells this watch from the connection's earlier ones, on shards that keep a stand-in for it.</summary>
    public long Generation { get; } = Interlocked.Increment(ref _generations);

    /// <summary>The keys watched; only added to by WATCH, which the connection waits for.</summary>
    public List<WatchedKey> Keys { get; } = [];

    private WatchedKey? Find(int db, byte[] key)
    {
        foreach (var watched in Keys)
            if (watched.Db == db && watched.Key.AsSpan().SequenceEqual(key)) return watched;
        return null;
    }

    /// <summary>
    /// touchWatchedKey for a key that expiry deletes: one that had already expired when it was watched is no logical
    /// change (it read as missing then and does now); it is watched as an ordinary missing key from then on.
    /// </summary>
    public void ExpiredKeyDeleted(int db, byte[] key)
    {
        if (Find(db, key) is { ExpiredWhenWatched: true } watched) watched.ExpiredWhenWatched = false;
        else Touch();
    }

    /// <summary>
    /// touchAllWatchedKeysInDb: FLUSHDB, FLUSHALL or SWAPDB replaces the database that held a watched key
    /// (<paramref name="existed"/>) with one where it is <paramref name="replacement"/> (null: missing). A key expired when
    /// watched that is gone, or expired still, changed nothing; a missing key replaced by an expired one counts as expired.
    /// </summary>
    public void KeyReplaced(int db, byte[] key, bool existed, Data.Entry? replacement, long now)
    {
        var watched = Find(db, key);
        if (watched is { ExpiredWhenWatched: true })
        {
            if (replacement == null)
            {
                watched.ExpiredWhenWatched = false;
                return;
            }
            if (replacement.ExpiredAt(now)) return;
        }
        else if (watched != null && !existed && replacement != null && replacement.ExpiredAt(now))
        {
            watched.ExpiredWhenWatched = true;
            return;
        }
        Touch();
    }

    /// <summary>The shards that hold this watch in process (see <see cref="Keys"/>).</summary>
    public IEnumerable<int> Shards => Keys.Select(k => k.Shard).Distinct();

    /// <summary>Cluster mode: shards watched from another node (or with others that were), each keeping a stand-in for <see cref="Ticket"/>.</summary>
    public SortedSet<int> StandInShards { get; } = [];
    public Shards.WatchTicket? Ticket { get; set; }
}

/// <summary>
/// A watched key, and whether it had expired (not yet deleted) when watched or has since been replaced by an expired
/// one: then its deletion is no change (multi.c's watchedKey.expired). Changed only by the shard that owns the key.
/// </summary>
public sealed class WatchedKey(int shard, int db, byte[] key, bool expiredWhenWatched)
{
    public int Shard { get; } = shard;
    public int Db { get; } = db;
    public byte[] Key { get; } = key;
    public bool ExpiredWhenWatched { get; set; } = expiredWhenWatched;
}

/// <summary>
/// WATCH and EXEC on the shards (multi.c). EXEC runs as one held command over every shard its queued commands
/// and watched keys live on (see CrossShard), so no other client sees a partial transaction. Errors inside EXEC
/// do not roll back, as in Redis.
/// </summary>
public static class Transactions
{
    public static void Register(CommandTable.Builder table) => table
        .Keyed("watch", Watch)
        .Keyed("exec", Exec);

    private static void Watch(CommandContext c)
    {
        var watch = (WatchState)c.Payload!;
        for (int i = 1; i < c.Argc; i++)
        {
            var key = c[i];
            int slot = HashSlot.Of(key);
            int shard = c.Keyspace.SlotOwner[slot];
            var raw = c.DatabaseOf(slot, c.Db).FindRaw(slot, key);
            bool expired = raw != null && raw.ExpiredAt(c.Now);
            if (c.Keyspace.Shards[shard].AddWatcher(c.Db, key, watch)) watch.Keys.Add(new WatchedKey(shard, c.Db, key, expired));
        }
        c.Reply.WriteOk();
    }

    /// <summary>True when a watched key was touched, or has expired since it was watched (multi.c isWatchedKeyExpired).</summary>
    public static bool WatchFailed(WatchState watch, Data.Keyspace keyspace, long now)
    {
        if (watch.Dirty) return true;
        foreach (var watched in watch.Keys)
        {
            if (watched.ExpiredWhenWatched) continue;
            int slot = HashSlot.Of(watched.Key);
            var raw = keyspace.Shards[keyspace.SlotOwner[slot]].Databases[watched.Db].FindRaw(slot, watched.Key);
            if (raw != null && raw.ExpiredAt(now)) return true;
        }
        return false;
    }

    public static void Forget(Data.Keyspace keyspace, WatchState watch)
    {
        foreach (var watched in watch.Keys) keyspace.Shards[watched.Shard].RemoveWatcher(watched.Db, watched.Key, watch);
    }

    private static void Exec(CommandContext c)
    {
        var transaction = (Transaction)c.Payload!;
        var watch = transaction.Watch;
        if (watch != null)
        {
            bool failed = WatchFailed(watch, c.Keyspace, c.Now);
            Forget(c.Keyspace, watch);
            if (failed)
            {
                c.Reply.WriteNullArray();
                return;
            }
        }
        var reply = c.Reply;
        var client = transaction.Client;
        reply.WriteArrayHeader(transaction.Commands.Count);
        int db = c.Db;
        // The transaction's effects are journaled as one MULTI/EXEC block: replayed whole or not at all.
        c.Journal?.BeginBlock();
        c.InExec = true;
        try
        {
            foreach (var queued in transaction.Commands)
            {
                if (queued.RunInSession != null)
                {
                    queued.RunInSession(reply);
                    db = client.Db;
                    reply.Resp3 = client.Resp3;
                    continue;
                }
                int start = reply.Length;
                long began = System.Diagnostics.Stopwatch.GetTimestamp();
                c.Begin(queued.Spec, queued.Args, db, reply, c.Shard, c.Now, null);
                try
                {
                    queued.Spec.Handler!(c);
                    if (transaction.TrackReads && queued.Spec.Facts.HasFlag("readonly")) c.TrackKeys(queued.Spec, queued.Args);
                }
                catch (Exception e)
                {
                    reply.Truncate(start);
                    reply.WriteError("ERR " + e.Message);
                }
                c.RecordEffects();
                c.Shard.Calls[queued.Spec.Id]++;
                // SLOWLOG has the commands of a transaction, not EXEC (flagged skip_slowlog).
                c.Server.CommandRan(queued.Spec, queued.Args, (long)System.Diagnostics.Stopwatch.GetElapsedTime(began).TotalMicroseconds, client);
                c.Server.CountIfFailed(c.Shard, queued.Spec, reply, start);
            }
        }
        finally
        {
            c.InExec = false;
        }
        c.Journal?.EndBlock();
    }
}
