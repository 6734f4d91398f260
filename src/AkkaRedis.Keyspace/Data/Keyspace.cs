namespace AkkaRedis.Keyspace.Data;

/// <summary>
/// Every shard's data, and which shard owns each hash slot. The array is fixed at start-up; each
/// <see cref="ShardStore"/> is touched only by its shard actor, or by a command that holds that shard
/// (see CrossShard.cs for the hand-over protocol).
/// </summary>
public sealed class Keyspace
{
    public Keyspace(int shardCount, int databases)
    {
        Shards = new ShardStore[shardCount];
        for (int i = 0; i < shardCount; i++) Shards[i] = new ShardStore(i, databases, this);
        SlotOwner = SlotOwners(shardCount);
        DatabaseCount = databases;
    }

    /// <summary>The owning shard of every hash slot (see <see cref="OwnerOf"/>).</summary>
    public static int[] SlotOwners(int shardCount)
    {
        var owners = new int[HashSlot.Count];
        for (int slot = 0; slot < HashSlot.Count; slot++) owners[slot] = OwnerOf(slot, shardCount);
        return owners;
    }

    public ShardStore[] Shards { get; }
    public int[] SlotOwner { get; }
    public int DatabaseCount { get; }

    /// <summary>Contiguous slot ranges, as Redis Cluster assigns them to masters.</summary>
    public static int OwnerOf(int slot, int shardCount) => (int)((long)slot * shardCount / HashSlot.Count);

    public int ShardOf(ReadOnlySpan<byte> key) => SlotOwner[HashSlot.Of(key)];

    /// <summary>Keys in every shard and database (read while the shards are held, or as an estimate).</summary>
    public long KeyCount => Shards.Sum(shard => shard.KeyCount);

    /// <summary>Keys CLIENT TRACKING remembers in every shard (the other shards' counts may be a moment old).</summary>
    public long TrackingKeys
    {
        get
        {
            long total = 0;
            foreach (var shard in Shards) total += shard.TrackingKeys; // no LINQ: read per key a shard forgets
            return total;
        }
    }

    /// <summary>How many clients wait on list keys anywhere: writes look for waiters only when this is not zero.</summary>
    public int BlockedWaiters;

    /// <summary>How many keys are watched anywhere: writes look for watchers only when this is not zero.</summary>
    public int WatchedKeys;

    /// <summary>Marks the watchers of a key dirty (signalModifiedKey → touchWatchedKey).</summary>
    public void TouchWatched(int db, byte[] key, bool expiredDeletion = false)
    {
        if (Volatile.Read(ref WatchedKeys) == 0) return;
        Shards[SlotOwner[HashSlot.Of(key)]].TouchWatched(db, key, expiredDeletion);
    }

    /// <summary>How many keys are in the shards' tracking tables: writes look there only when this is not zero.</summary>
    public int TrackedKeys;
}

/// <summary>One shard's databases and counters.</summary>
public sealed class ShardStore(int index, int databases, Keyspace? owner = null)
{
    private readonly Dictionary<byte[], List<Commands.WatchState>>?[] _watchers = new Dictionary<byte[], List<Commands.WatchState>>?[databases];

    public int Index { get; } = index;
    public Database[] Databases { get; } = Enumerable.Range(0, databases).Select(_ => new Database()).ToArray();

    /// <summary>Keys in every database of this shard.</summary>
    public long KeyCount => Databases.Sum(db => (long)db.Count);

    public long KeyspaceHits;
    public long KeyspaceMisses;
    public long ExpiredKeys;
    public long EvictedKeys;
    public long CommandsProcessed;

    /// <summary>Writes since the journal was last rewritten (Redis's "dirty").</summary>
    public long Dirty;

    /// <summary>
    /// The accounted size of this shard's keys, for maxmemory: written only by the shard, read by the others (each
    /// judges the whole dataset against the limit). Kept only while a limit is set; <see cref="Accounting"/> says so.
    /// </summary>
    public long UsedBytes => Volatile.Read(ref _usedBytes);
    private long _usedBytes;

    /// <summary>Sizes are being kept: every key has been measured since the limit was set.</summary>
    public bool Accounting;

    /// <summary>Publishes the sum of the databases' accounted sizes for the other shards to read.</summary>
    public void PublishUsedBytes()
    {
        long total = 0;
        foreach (var database in Databases) total += database.UsedBytes;
        Volatile.Write(ref _usedBytes, total);
    }

    /// <summary>Measures every key (a limit was just set): from now on each change keeps its key's size.</summary>
    public void StartAccounting(long samples)
    {
        foreach (var database in Databases)
        {
            long total = 0;
            foreach (var (_, entry) in database.All())
            {
                entry.Bytes = MemoryEstimate.Of(entry, samples);
                total += entry.Bytes;
            }
            database.UsedBytes = total;
        }
        Accounting = true;
        PublishUsedBytes();
    }

    /// <summary>
    /// Whether the shard journals its writes (with an AOF): cleared by the shard when CONFIG SET turns appendonly off,
    /// set again only by a rewrite, which snapshots the data with every shard held (CONFIG SET appendonly yes).
    /// </summary>
    public bool Journaling = true;

    /// <summary>Per command id: calls, microseconds, failed calls (INFO commandstats).</summary>
    public long[] Calls = [];
    /// <summary>Stopwatch ticks, summed per command and turned into microseconds only by INFO, so sub-microsecond commands still count.</summary>
    public long[] ElapsedTicks = [];
    /// <summary>Each command's latencies here (latency-tracking), made at its first call.</summary>
    public Server.LatencyHistogram?[] Latency = [];
    public long[] FailedCalls = [];
    public long[] RejectedCalls = [];

    private readonly Dictionary<byte[], LinkedList<Commands.BlockedClient>>?[] _waiters = new Dictionary<byte[], LinkedList<Commands.BlockedClient>>?[databases];

    public void AddWaiter(int db, byte[] key, Commands.BlockedClient client)
    {
        var table = _waiters[db] ??= new Dictionary<byte[], LinkedList<Commands.BlockedClient>>(ByteArrayComparer.Instance);
        if (!table.TryGetValue(key, out var queue)) table[key] = queue = new LinkedList<Commands.BlockedClient>();
        queue.AddLast(client);
        if (owner != null) Interlocked.Increment(ref owner.BlockedWaiters);
    }

    public bool HasWaiters(int db, byte[] key) => _waiters[db]?.ContainsKey(key) == true;

    /// <summary>The keys of database <paramref name="db"/> that blocked clients wait on here.</summary>
    public IEnumerable<byte[]> KeysWaitedOn(int db) => _waiters[db]?.Keys ?? Enumerable.Empty<byte[]>();

    /// <summary>
    /// The first client still waiting on a key that <paramref name="value"/> can serve (a list's waiters for a list, a
    /// sorted set's for a sorted set, as Redis serves each type's waiters), dropping those already finished elsewhere.
    /// </summary>
    public Commands.BlockedClient? FirstWaiter(int db, byte[] key, object? value)
    {
        var table = _waiters[db];
        if (table == null || !table.TryGetValue(key, out var queue)) return null;
        while (queue.First != null && !queue.First.Value.IsWaiting) RemoveFirst(table, key, queue);
        foreach (var client in queue)
            if (client.IsWaiting && client.IsReady(key, value)) return client;
        return null;
    }

    private void RemoveFirst(Dictionary<byte[], LinkedList<Commands.BlockedClient>> table, byte[] key, LinkedList<Commands.BlockedClient> queue)
    {
        queue.RemoveFirst();
        if (owner != null) Interlocked.Decrement(ref owner.BlockedWaiters);
        if (queue.Count == 0) table.Remove(key);
    }

    public void RemoveWaiter(int db, byte[] key, Commands.BlockedClient client)
    {
        var table = _waiters[db];
        if (table == null || !table.TryGetValue(key, out var queue) || !queue.Remove(client)) return;
        if (owner != null) Interlocked.Decrement(ref owner.BlockedWaiters);
        if (queue.Count == 0) table.Remove(key);
    }

    /// <summary>
    /// Forgets everything this node holds of the shard (it moved to another node): data, blocked clients (they are
    /// finished as watchers' keys are touched, so no client waits on a shard that is gone) and watchers.
    /// </summary>
    public void Reset()
    {
        foreach (var database in Databases) database.Clear();
        for (int db = 0; db < _waiters.Length; db++)
        {
            if (_waiters[db] is not { } waiting) continue;
            foreach (var queue in waiting.Values)
                if (owner != null) Interlocked.Add(ref owner.BlockedWaiters, -queue.Count);
            _waiters[db] = null;
        }
        for (int db = 0; db < _watchers.Length; db++)
        {
            if (_watchers[db] is not { } watched) continue;
            foreach (var list in watched.Values)
            {
                foreach (var watch in list) watch.Touch();
                if (owner != null) Interlocked.Add(ref owner.WatchedKeys, -list.Count);
            }
            _watchers[db] = null;
        }
    }

    /// <summary>Registers a watcher for a key of this shard; false when it already watches it.</summary>
    public bool AddWatcher(int db, byte[] key, Commands.WatchState watch)
    {
        var table = _watchers[db] ??= new Dictionary<byte[], List<Commands.WatchState>>(ByteArrayComparer.Instance);
        if (!table.TryGetValue(key, out var list)) table[key] = list = [];
        if (list.Contains(watch)) return false;
        list.Add(watch);
        if (owner != null) Interlocked.Increment(ref owner.WatchedKeys);
        return true;
    }

    public void RemoveWatcher(int db, byte[] key, Commands.WatchState watch)
    {
        var table = _watchers[db];
        if (table == null || !table.TryGetValue(key, out var list) || !list.Remove(watch)) return;
        if (list.Count == 0) table.Remove(key);
        if (owner != null) Interlocked.Decrement(ref owner.WatchedKeys);
    }

    // ------------------------------------------------------------------------------- CLIENT TRACKING
    // Redis's tracking table: key name (in any database, as Redis's) to the connections that read it. A key's shard
    // keeps its entries, which leave when the key is modified (and invalidated) or the keyspace is flushed.

    private Dictionary<byte[], HashSet<Akka.Actor.IActorRef>>? _tracking;
    private long _trackingItems;

    public int TrackingKeys => _tracking?.Count ?? 0;
    public long TrackingItems => Interlocked.Read(ref _trackingItems);

    /// <summary>Remembers that <paramref name="client"/> read <paramref name="key"/>; true when the key is new to the table.</summary>
    public bool Track(byte[] key, Akka.Actor.IActorRef client)
    {
        _tracking ??= new Dictionary<byte[], HashSet<Akka.Actor.IActorRef>>(ByteArrayComparer.Instance);
        bool added = false;
        if (!_tracking.TryGetValue(key, out var clients))
        {
            _tracking[key] = clients = [];
            if (owner != null) Interlocked.Increment(ref owner.TrackedKeys);
            added = true;
        }
        if (clients.Add(client)) Interlocked.Increment(ref _trackingItems);
        return added;
    }

    /// <summary>Removes a key from the table and returns who had read it (null: nobody).</summary>
    public HashSet<Akka.Actor.IActorRef>? Untrack(byte[] key)
    {
        if (_tracking == null || !_tracking.Remove(key, out var clients)) return null;
        if (owner != null) Interlocked.Decrement(ref owner.TrackedKeys);
        Interlocked.Add(ref _trackingItems, -clients.Count);
        return clients;
    }

    /// <summary>Some key of the table (tracking-table-max-keys evicts from here), or null when it is empty.</summary>
    public byte[]? AnyTrackedKey()
    {
        if (_tracking == null) return null;
        foreach (var key in _tracking.Keys) return key;
        return null;
    }

    /// <summary>FLUSHDB / FLUSHALL empty the table (connections are told everything is invalid).</summary>
    public void ClearTracking()
    {
        if (_tracking == null) return;
        if (owner != null) Interlocked.Add(ref owner.TrackedKeys, -_tracking.Count);
        Interlocked.Exchange(ref _trackingItems, 0);
        _tracking = null;
    }

    /// <summary>The key's watchers are touched; <paramref name="expiredDeletion"/>: expiry deletes it (see <see cref="Commands.WatchState.ExpiredKeyDeleted"/>).</summary>
    public void TouchWatched(int db, byte[] key, bool expiredDeletion = false)
    {
        var table = _watchers[db];
        if (table == null || !table.TryGetValue(key, out var list)) return;
        foreach (var watch in list)
        {
            if (expiredDeletion) watch.ExpiredKeyDeleted(db, key);
            else watch.Touch();
        }
    }

    /// <summary>
    /// FLUSHDB / FLUSHALL / SWAPDB: the watchers of keys in <paramref name="db"/>, which is emptied or replaced by
    /// <paramref name="other"/>, as Redis's touchAllWatchedKeysInDb (see <see cref="Commands.WatchState.KeyReplaced"/>).
    /// </summary>
    public void TouchWatchedExisting(int db, long nowMs, Database? other = null)
    {
        var table = _watchers[db];
        if (table == null) return;
        foreach (var (key, list) in table)
        {
            int slot = HashSlot.Of(key);
            bool existed = Databases[db].FindRaw(slot, key) != null;
            var replacement = other?.FindRaw(slot, key);
            if (!existed && replacement == null) continue;
            foreach (var watch in list) watch.KeyReplaced(db, key, existed, replacement, nowMs);
        }
    }

    public void EnsureStats(int commands)
    {
        if (Calls.Length >= commands) return;
        Array.Resize(ref Calls, commands);
        Array.Resize(ref ElapsedTicks, commands);
        Array.Resize(ref Latency, commands);
        Array.Resize(ref FailedCalls, commands);
        Array.Resize(ref RejectedCalls, commands);
    }

    public void ResetStats()
    {
        KeyspaceHits = KeyspaceMisses = ExpiredKeys = CommandsProcessed = 0;
        Array.Clear(Calls);
        Array.Clear(ElapsedTicks);
        foreach (var histogram in Latency) histogram?.Clear();
        Array.Clear(FailedCalls);
        Array.Clear(RejectedCalls);
    }
}
