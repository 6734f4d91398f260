using Akka.Actor;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Persistence;
using AkkaRedis.Keyspace.Journal;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>
/// What a command handler sees: its arguments, the selected database, the reply writer, the time, and
/// key access that finds the owning shard's table for each key. One instance per shard, reused for
/// every command that shard runs (no allocation per command).
/// </summary>
public sealed class CommandContext(Data.Keyspace keyspace, ServerState server)
{
    public Data.Keyspace Keyspace { get; } = keyspace;
    public ServerState Server { get; } = server;
    public ServerConfig Config => Server.Config;

    public byte[][] Args = [];
    public int Db;
    public RespWriter Reply = new();
    public CommandSpec Spec = null!;

    /// <summary>Command time, fixed for the whole command as Redis fixes it (so one command sees one clock).</summary>
    public long Now;

    /// <summary>The shard running the command; counters go here.</summary>
    public ShardStore Shard = null!;

    /// <summary>Effects to journal, in Redis's propagated form; null means "the command as sent" when it changed data.</summary>
    public List<byte[][]>? Effects;

    /// <summary>Keys this command changed (for WATCH and the journal).</summary>
    public int Changes;

    public Random Random { get; } = new();

    private Scripting.ScriptEngine? _scripts;

    /// <summary>This shard's Lua state and script cache, made on first use (scripts run on the last shard).</summary>
    public Scripting.ScriptEngine Scripts => _scripts ??= new Scripting.ScriptEngine(Keyspace, Server);

    /// <summary>Closes the Lua state, if one was made: for a context that lives as long as one command (a lending hold).</summary>
    public void DisposeScripts() => _scripts?.Dispose();

    /// <summary>The function libraries loaded here, without starting Lua when there are none.</summary>
    public IEnumerable<Scripting.FunctionLibrary> LoadedLibraries => _scripts?.Libraries ?? [];

    /// <summary>True while the journal is being replayed: no clock-dependent shortcuts (Redis's server.loading).</summary>
    public bool Replaying;

    /// <summary>The command runs inside a script (redis.call): SORT then sorts a set even when told not to.</summary>
    public bool InScript;

    /// <summary>Set while EXEC runs its queued commands (server.in_exec).</summary>
    public bool InExec;

    /// <summary>Where effects are journaled; null when appendonly is off and while replaying.</summary>
    public EffectLog? Journal;

    /// <summary>Keys changed by the current command, kept only while journaling (for cross-slot effects).</summary>
    private readonly List<(int Db, byte[] Key)> _changedKeys = [];

    /// <summary>The database of the lookup in progress, for the DEL an expiry journals.</summary>
    private int _lookupDb;

    /// <summary>The shards a held command holds (ascending); null outside a hold.</summary>
    public int[]? HeldShards;

    /// <summary>
    /// The shards a whole-database command (FLUSHALL, SWAPDB) acts on: the held ones (all of them on a single node; in a
    /// cluster, those on this node), or while replaying only this one (each shard replays its own part).
    /// </summary>
    public IEnumerable<ShardStore> ShardsInScope =>
        Replaying ? [Shard] : HeldShards is { } held ? held.Select(i => Keyspace.Shards[i]) : Keyspace.Shards;

    /// <summary>A lending hold's keys (see <see cref="Shards.LendingHold"/>): the only ones its scratch keyspace has.</summary>
    public HashSet<byte[]>? LentKeys;

    /// <summary>
    /// Whether a key is there for the running command: its shard is held (always, outside a cluster, for whole-keyspace
    /// holds), or in a lending hold, it is one of the keys lent.
    /// </summary>
    public bool Holds(byte[] key)
    {
        if (LentKeys != null) return LentKeys.Contains(key);
        if (HeldShards is not { } held) return true;
        return Array.BinarySearch(held, Keyspace.SlotOwner[HashSlot.Of(key)]) >= 0;
    }

    public int Argc => Args.Length;
    public byte[] this[int index] => Args[index];
    public long NowSeconds => Now / 1000;

    /// <summary>Keys written while clients wait on them; the shard serves those clients after the command (handleClientsBlockedOnKeys).</summary>
    public List<(int Db, byte[] Key)> ReadyKeys { get; } = [];

    /// <summary>Elements a served BLMOVE sends to another shard's list, sent by the shard after the command.</summary>
    public List<(int Shard, Shards.DeliverElement Delivery)> Deliveries { get; } = [];

    /// <summary>Set by a command that blocked: it has no reply now; a shard or the connection will finish it.</summary>
    public bool Blocked;

    /// <summary>Connection state some commands need (see ShardCommand.Payload).</summary>
    public object? Payload;

    /// <summary>
    /// The command's error reply repeats an error already counted in errorstats: a script's reply that is the error of
    /// a redis.call or redis.pcall it ran (Redis flags those ERR_REPLY_FLAG_NO_STATS_UPDATE).
    /// </summary>
    public bool ErrorCounted;

    /// <param name="firstKeySlot">The hash slot of the command's first key when routing computed it, else -1.</param>
    /// <summary>
    /// Over maxmemory with nothing left to evict when the command began (Redis's pre_command_oom_state): a script then
    /// may not add data (scriptVerifyOOM). Set by the shard.
    /// </summary>
    public bool OutOfMemory;

    public void Begin(CommandSpec spec, byte[][] args, int db, RespWriter reply, ShardStore shard, long now, object? payload, int firstKeySlot = -1)
    {
        if (firstKeySlot >= 0)
        {
            _slotKey = args[spec.Facts.FirstKey];
            _slot = firstKeySlot;
        }
        Payload = payload;
        ErrorCounted = false;
        OutOfMemory = false;
        Blocked = false;
        Spec = spec;
        Args = args;
        Db = db;
        Reply = reply;
        Shard = shard;
        Now = now;
        Effects = null;
        Changes = 0;
        ScriptRanReadonly = false;
        _changedKeys.Clear();
        _dirtyKey = null;
        _dirtyCounted = 0;
    }

    /// <summary>What this command has added to the dirty counter so far.</summary>
    private long _dirtyCounted;

    /// <summary>
    /// The command changed <paramref name="changes"/> things as Redis counts them (server.dirty += added in SADD, the
    /// fields HSET set, the elements a pop took, the keys FLUSHDB removed...), in place of the one per key its changes
    /// counted so far. The automatic saves (save 60 10000) and rdb_changes_since_last_save follow this count.
    /// </summary>
    public void CountChanges(long changes)
    {
        Shard.Dirty += changes - _dirtyCounted;
        _dirtyCounted = changes;
    }

    /// <summary>
    /// The key this command last counted in the shard's dirty counter: a command that creates a key and then changes
    /// it (SETBIT, BITFIELD, INCR on a new key: dbAdd, then the change) counts one change, as in Redis, where dbAdd
    /// counts nothing and the command counts its change.
    /// </summary>
    private byte[]? _dirtyKey;
    private int _dirtyDb;

    /// <summary>
    /// Journals what the command just run changed, in the form Redis propagates: the effects it gave with
    /// <see cref="Propagate"/>, else the command as sent when it changed data. A command whose keys are in
    /// different slots is journaled as the new state of each key it changed, so every shard can replay its part
    /// whatever the shard count at the next start.
    /// </summary>
    public void RecordEffects()
    {
        var log = Journal;
        if (log == null) return;
        if (Effects != null)
        {
            if (Effects.Count > 1) log.BeginBlock();
            foreach (var effect in Effects)
                if (effect.Length > 0) log.Add(Db, effect);
            if (Effects.Count > 1) log.EndBlock();
        }
        // A blocked client served after another command's write has no command as sent (its context has no arguments):
        // only what its serving propagated is journaled, never an empty command (which no AOF reader could load).
        else if (Changes > 0 && Args.Length > 0)
        {
            if (Spec.Route == CommandRoute.AllShards || KeysShareSlot()) log.Add(Db, Args);
            else
            {
                log.BeginBlock();
                var seen = new HashSet<(int, byte[])>(new ChangedKeyComparer());
                foreach (var (db, key) in _changedKeys)
                {
                    if (!seen.Add((db, key))) continue;
                    int slot = SlotOf(key);
                    var entry = DatabaseOf(slot, db).FindRaw(slot, key);
                    if (entry != null && entry.ExpiredAt(Now)) entry = null;
                    KeyState.Write(log, db, key, entry, replace: true);
                }
                log.EndBlock();
            }
        }
        // ScriptRanReadonly is left for the shard to read after this (CLIENT TRACKING of a script's keys); Begin clears it.
        Effects = null;
        Changes = 0;
        _changedKeys.Clear();
        _dirtyKey = null;
    }

    private bool KeysShareSlot()
    {
        var facts = Spec.Facts;
        if (Spec.SimpleKeys && facts.FirstKey == facts.LastKey) return true;
        int first = -1;
        foreach (int position in Spec.KeyPositions(Args))
        {
            int slot = HashSlot.Of(Args[position]);
            if (first < 0) first = slot;
            else if (slot != first) return false;
        }
        return true;
    }

    private sealed class ChangedKeyComparer : IEqualityComparer<(int Db, byte[] Key)>
    {
        public bool Equals((int Db, byte[] Key) x, (int Db, byte[] Key) y) => x.Db == y.Db && x.Key.AsSpan().SequenceEqual(y.Key);
        public int GetHashCode((int Db, byte[] Key) obj) => HashCode.Combine(obj.Db, ByteArrayComparer.Instance.GetHashCode(obj.Key));
    }

    /// <summary>The key whose hash slot <see cref="SlotOf"/> computed last, and that slot.</summary>
    private byte[]? _slotKey;
    private int _slot;

    /// <summary>
    /// <see cref="HashSlot.Of"/>, remembered for the last key asked about: a command looks its key up, then stores it,
    /// and routing already hashed it (CRC16 twice per GET showed as 3% of the CPU at -P 16). Keys are never changed in
    /// place, so the same array has the same slot.
    /// </summary>
    public int SlotOf(byte[] key)
    {
        if (ReferenceEquals(key, _slotKey)) return _slot;
        _slot = HashSlot.Of(key);
        _slotKey = key;
        return _slot;
    }

    public Database DatabaseOf(int slot, int db) => Keyspace.Shards[Keyspace.SlotOwner[slot]].Databases[db];

    /// <summary>Looks a key up for reading: lazy expiry, hit/miss counters, access time (lookupKeyRead).</summary>
    public Entry? Read(byte[] key) => Read(key, Db);

    /// <summary>As <see cref="Read(byte[])"/>; <paramref name="touch"/> false keeps the access time (LOOKUP_NOTOUCH).</summary>
    public Entry? Read(byte[] key, int db, bool touch = true)
    {
        var entry = Lookup(key, db);
        if (entry == null)
        {
            Shard.KeyspaceMisses++;
            Notify(KeyspaceEvent.KeyMiss, "keymiss", key, db);
        }
        else
        {
            Shard.KeyspaceHits++;
            if (touch) Touch(entry);
        }
        return entry;
    }

    // ------------------------------------------------------------------------------- CLIENT TRACKING

    /// <summary>The connection whose command runs (its actor), or null (expiry cycle, replay): a key it modifies is
    /// invalidated for it as modified by itself, which NOLOOP leaves out.</summary>
    public IActorRef? Client
    {
        get => ClientObject as IActorRef ?? (ClientObject as IClientState)?.Actor;
        set => ClientObject = value;
    }

    /// <summary>What the shard knows the command came from (the connection's actor, or its state for EXEC), turned
    /// into <see cref="Client"/> only when tracking needs it: the hot path stores it without casting.</summary>
    public object? ClientObject { get; set; }

    /// <summary>Invalidations owed after the message being handled, in order: to whom, which key, and for which prefix (BCAST) or none.</summary>
    private readonly List<(IActorRef Target, byte[] Key, bool BySelf, BroadcastPrefix? Prefix)> _invalidations = [];

    /// <summary>
    /// Redis's signalModifiedKey: the key's watchers are touched, its readers (CLIENT TRACKING) and the BCAST
    /// connections of prefixes it falls under are owed an invalidation.
    /// </summary>
    public void SignalModified(int db, byte[] key, bool expiredDeletion = false)
    {
        Keyspace.TouchWatched(db, key, expiredDeletion);
        var readers = Volatile.Read(ref Keyspace.TrackedKeys) > 0 ? Keyspace.Shards[Keyspace.SlotOwner[SlotOf(key)]].Untrack(key) : null;
        var prefixes = Server.TrackingPrefixes;
        if (readers == null && prefixes.Length == 0) return;
        var self = Client;
        if (readers != null)
            foreach (var reader in readers) _invalidations.Add((reader, key, reader.Equals(self), null));
        foreach (var prefix in prefixes)
        {
            if (!prefix.Covers(key)) continue;
            foreach (var client in prefix.Clients) _invalidations.Add((client, key, client.Equals(self), prefix));
        }
    }

    /// <summary>
    /// trackingRememberKeys: the keys of a read-only command <see cref="Client"/> ran are remembered for it, in their
    /// shards' tables; past tracking-table-max-keys (each shard its share) other keys are forgotten, their readers
    /// invalidated.
    /// </summary>
    public void TrackKeys(CommandSpec spec, byte[][] args)
    {
        if (Client == null) return;
        foreach (int position in spec.KeyPositions(args))
        {
            var key = args[position];
            var store = Keyspace.Shards[Keyspace.SlotOwner[SlotOf(key)]];
            if (store.Track(key, Client)) EnforceTrackingLimit(store);
        }
    }

    /// <summary>
    /// trackingLimitUsedSlots: while the whole table is past tracking-table-max-keys, a shard past its share of the limit
    /// forgets keys of its own, their readers invalidated.
    /// </summary>
    public void EnforceTrackingLimit(ShardStore store)
    {
        int limit = Config.TrackingTableMaxKeys;
        if (limit <= 0) return;
        // The limit split so the shares add up to it (Redis's test limits it to 1 and counts the invalidations): the
        // first limit % n shards take one more, and a shard whose share is 0 keeps none. While the whole is past the
        // limit some shard is past its share and forgets keys; while it is not, none does, so keys that all hash to one
        // shard ({tag}) keep the whole limit, as Redis's one table does. The other shards' counts may be a moment old.
        int shards = Keyspace.Shards.Length;
        int share = limit / shards + (store.Index < limit % shards ? 1 : 0);
        while (store.TrackingKeys > share && Keyspace.TrackingKeys > limit && store.AnyTrackedKey() is { } evicted)
            foreach (var reader in store.Untrack(evicted)!) _invalidations.Add((reader, evicted, false, null));
    }

    /// <summary>A script run by this command called a read-only command (its declared keys are then tracked, as Redis's are).</summary>
    public bool ScriptRanReadonly { get; set; }

    /// <summary>A script's inner context hands what its command invalidated to the context of the command that runs the script.</summary>
    public void TakeInvalidationsFrom(CommandContext inner)
    {
        _invalidations.AddRange(inner._invalidations);
        inner._invalidations.Clear();
        if (inner._flushedFor != null) _flushedFor = inner._flushedFor;
        inner._flushedFor = null;
    }

    /// <summary>A context that ran on a copy of the data (a cluster lending hold) drops what it would have invalidated: the real shards invalidate as they apply the effects.</summary>
    public void DiscardInvalidations()
    {
        _invalidations.Clear();
        _flushedFor = null;
    }

    /// <summary>A flush was owed to every tracking connection (null: none).</summary>
    private IActorRef[]? _flushedFor;

    /// <summary>
    /// trackingInvalidateKeysOnFlush: FLUSHDB and FLUSHALL (of any database) empty every shard's tracking table and
    /// tell every tracking connection that all its keys are invalid.
    /// </summary>
    public void InvalidateAllTracked()
    {
        foreach (var store in ShardsInScope) store.ClearTracking();
        var connections = Server.TrackingConnections;
        if (connections.Length > 0) _flushedFor = connections;
    }

    /// <summary>
    /// Sends the invalidations owed: to each connection one message per prefix (BCAST, keys sorted and once each, as
    /// Redis's per-prefix table gives them) and one for the keys it read, each key then its own push.
    /// </summary>
    public void SendInvalidations()
    {
        if (_flushedFor != null)
        {
            foreach (var connection in _flushedFor) connection.Tell(new TrackingInvalidation(null, null, Broadcast: false));
            _flushedFor = null;
        }
        if (_invalidations.Count == 0) return;
        // Keys read first (Redis sends those as the keys change), then each prefix's, in prefix order (its beforeSleep's).
        var groups = _invalidations.GroupBy(i => (i.Target, i.Prefix))
            .OrderBy(g => g.Key.Prefix == null ? 0 : 1)
            .ThenBy(g => g.Key.Prefix?.Prefix ?? [], ByteArrayComparer.Instance);
        foreach (var group in groups)
        {
            if (group.Key.Prefix == null)
            {
                group.Key.Target.Tell(new TrackingInvalidation([.. group.Select(i => i.Key)], [.. group.Select(i => i.BySelf)], Broadcast: false));
                continue;
            }
            // Once per key, marked as the last modification left it.
            var keys = new SortedDictionary<byte[], bool>(ByteArrayComparer.Instance);
            foreach (var item in group) keys[item.Key] = item.BySelf;
            group.Key.Target.Tell(new TrackingInvalidation([.. keys.Keys], [.. keys.Values], Broadcast: true));
        }
        _invalidations.Clear();
    }

    /// <summary>Looks a key up for writing: lazy expiry only (lookupKeyWrite).</summary>
    public Entry? Write(byte[] key) => Write(key, Db);

    public Entry? Write(byte[] key, int db)
    {
        var entry = Lookup(key, db);
        if (entry != null) Touch(entry);
        return entry;
    }

    /// <summary>Looks a key up without touching counters or access time (TYPE, OBJECT, EXISTS-like peeks).</summary>
    public Entry? Lookup(byte[] key, int db)
    {
        int slot = SlotOf(key);
        _lookupDb = db;
        return DatabaseOf(slot, db).Find(slot, key, Now, _onExpired ??= OnExpired);
    }

    /// <summary><see cref="OnExpired"/> made a delegate once: a method group passed as an argument is a new delegate each time.</summary>
    private Func<Entry, bool>? _onExpired;

    /// <summary>
    /// A key found expired is deleted, counted, journaled and notified; not while clients are paused, when a read sees it
    /// gone and it stays until the pause ends (expireIfNeeded, which keeps the dataset still while writes are paused).
    /// A write deletes it all the same: one sent before the pause may reach the shard during it.
    /// </summary>
    private bool OnExpired(Entry entry)
    {
        if (!Spec.IsWrite && Server.Pause.Active(Now)) return false;
        Keyspace.Shards[Keyspace.SlotOwner[SlotOf(entry.Key)]].ExpiredKeys++;
        SignalModified(_lookupDb, entry.Key, expiredDeletion: true);
        // Redis propagates a DEL for every key it expires, so the journal never depends on the clock at replay.
        Journal?.Add(_lookupDb, [Cmd.Del, entry.Key]);
        Notify(KeyspaceEvent.Expired, "expired", entry.Key, _lookupDb);
        return true;
    }

    private void Touch(Entry entry)
    {
        if (Config.UsesLfu) Lfu.Increment(entry, Now, Config.LfuLogFactor, Config.LfuDecayTime, Random);
        else entry.LastAccessSeconds = NowSeconds;
    }

    /// <summary>Creates a key; the caller has checked it does not exist.</summary>
    public Entry Add(byte[] key, object value, long expireAt = -1) => Add(key, value, expireAt, Db);

    public Entry Add(byte[] key, object value, long expireAt, int db)
    {
        var entry = new Entry(key, value) { ExpireAt = expireAt, LastAccessSeconds = NowSeconds };
        int slot = SlotOf(key);
        DatabaseOf(slot, db).Add(slot, entry);
        KeyChanged(key, db);
        Notify(KeyspaceEvent.New, "new", key, db); // dbAdd's
        return entry;
    }

    /// <summary>Redis's setKey: creates or replaces the value; the expiry is cleared unless <paramref name="keepTtl"/>.</summary>
    public Entry SetValue(byte[] key, object value, bool keepTtl = false, int? db = null)
    {
        int target = db ?? Db;
        return SetValue(key, Lookup(key, target), value, keepTtl, target);
    }

    /// <summary>
    /// <see cref="SetValue(byte[], object, bool, int?)"/> for a caller that has just looked the key up in this command:
    /// <paramref name="entry"/> is what it found (null: no such key), so the key is not looked up twice.
    /// </summary>
    public Entry SetValue(byte[] key, Entry? entry, object value, bool keepTtl, int target)
    {
        if (entry == null) return Add(key, value, -1, target);
        entry.Value = value;
        entry.Form = StringForm.Encoded;
        if (!keepTtl && entry.ExpireAt >= 0) DatabaseOf(SlotOf(key), target).SetExpiry(entry, -1);
        KeyChanged(key, target);
        return entry;
    }

    /// <summary>Deletes a key if it exists (and is not expired); true when it did.</summary>
    public bool Delete(byte[] key) => Delete(key, Db);

    public bool Delete(byte[] key, int db)
    {
        int slot = SlotOf(key);
        var database = DatabaseOf(slot, db);
        _lookupDb = db;
        var entry = database.Find(slot, key, Now, _onExpired ??= OnExpired);
        if (entry == null) return false;
        database.Remove(slot, entry);
        KeyChanged(key, db);
        return true;
    }

    /// <summary>
    /// Deletes a key and sends its del event, as a command that removes a key does (Redis's dbDelete followed by
    /// notifyKeyspaceEvent "del"); RENAME and MOVE send their own events, and a key replaced by COPY or RESTORE none.
    /// </summary>
    public bool DeleteAndNotify(byte[] key)
    {
        if (!Delete(key)) return false;
        Notify(KeyspaceEvent.Generic, "del", key);
        return true;
    }

    public void SetExpiry(Entry entry, long expireAt, int? db = null)
    {
        DatabaseOf(SlotOf(entry.Key), db ?? Db).SetExpiry(entry, expireAt);
        KeyChanged(entry.Key, db ?? Db);
    }

    /// <summary>Records that a key's value changed in place (the handler mutated entry.Value).</summary>
    public void KeyChanged(byte[] key) => KeyChanged(key, Db);

    public void KeyChanged(byte[] key, int db)
    {
        Changes++;
        if (Journal != null) _changedKeys.Add((db, key));
        if (!ReferenceEquals(key, _dirtyKey) || db != _dirtyDb)
        {
            Shard.Dirty++;
            _dirtyCounted++;
            _dirtyKey = key;
            _dirtyDb = db;
        }
        SignalModified(db, key);
        if (Config.MaxMemory > 0) Account(key, db);
        if (Volatile.Read(ref Keyspace.BlockedWaiters) > 0 && Keyspace.Shards[Keyspace.SlotOwner[SlotOf(key)]].HasWaiters(db, key))
            ReadyKeys.Add((db, key));
    }

    /// <summary>While a maxmemory limit is set: the changed key's size is measured again and its database's total follows.</summary>
    private void Account(byte[] key, int db)
    {
        int slot = SlotOf(key);
        if (!Keyspace.Shards[Keyspace.SlotOwner[slot]].Accounting) return; // it measures every key when it starts
        var database = DatabaseOf(slot, db);
        var entry = database.FindRaw(slot, key);
        if (entry == null) return;
        long size = MemoryEstimate.Of(entry, MemoryEstimate.AccountingSamples);
        database.UsedBytes += size - entry.Bytes;
        entry.Bytes = size;
    }

    /// <summary>notifyKeyspaceEvent, for a key of the command's database unless <paramref name="db"/> says otherwise; nothing during a replay.</summary>
    public void Notify(KeyspaceEvent type, string name, byte[] key, int? db = null)
    {
        if (!Replaying) KeyspaceEvents.Notify(Server, type, name, key, db ?? Db);
    }

    /// <summary>Journals <paramref name="args"/> instead of the command as sent (Redis's alsoPropagate + preventCommandPropagation).</summary>
    public void Propagate(params byte[][] args) => (Effects ??= []).Add(args);

    // Typed access with the WRONGTYPE rule.

    /// <summary>The value as <typeparamref name="T"/>; writes WRONGTYPE and returns false when the key holds another type.</summary>
    public bool TryGet<T>(Entry? entry, out T? value) where T : class
    {
        value = null;
        if (entry == null) return true;
        if (entry.Value is T typed)
        {
            value = typed;
            return true;
        }
        Reply.WriteError(RespErrors.WrongType);
        return false;
    }

    /// <summary>
    /// The collection at <paramref name="key"/> for writing, created (not yet stored) when missing; false with
    /// WRONGTYPE written when the key holds another type. Call <see cref="Store"/> after adding to a new one.
    /// </summary>
    public bool TryGetForWrite<T>(byte[] key, Func<T> create, out T value, out Entry? entry) where T : class
    {
        entry = Write(key);
        if (entry == null)
        {
            value = create();
            return true;
        }
        if (entry.Value is T typed)
        {
            value = typed;
            return true;
        }
        value = null!;
        Reply.WriteError(RespErrors.WrongType);
        return false;
    }

    /// <summary>After a write: stores a new collection, deletes an emptied one (Redis never keeps empty collections), or records the change.</summary>
    public void Store(byte[] key, Entry? entry, object value, int count)
    {
        if (count == 0)
        {
            if (entry != null) DeleteAndNotify(key);
        }
        else if (entry == null) Add(key, value);
        else KeyChanged(key);
    }

    /// <summary>HDEL / SREM / ZREM: removes the members named from argument 2 on and answers how many there were.</summary>
    public void RemoveMembers<T>(Func<T, byte[], bool> remove, Func<T, int> count, KeyspaceEvent type, string eventName) where T : class
    {
        var entry = Write(Args[1]);
        if (!TryGet<T>(entry, out var collection)) return;
        long removed = 0;
        if (collection != null)
        {
            for (int i = 2; i < Argc; i++)
                if (remove(collection, Args[i])) removed++;
            if (removed > 0)
            {
                Notify(type, eventName, Args[1]);
                Store(Args[1], entry, collection, count(collection));
                CountChanges(removed);
            }
        }
        Reply.WriteInteger(removed);
    }

    public void Error(string message) => Reply.WriteError(message);
}
