namespace AkkaRedis.Keyspace.Data;

/// <summary>
/// One numbered database's keys within one shard. Keys are kept in one table per hash slot, so that
/// SCAN's cursor can be a slot number (a key that exists for the whole scan is never missed, whatever
/// the tables do meanwhile) and a slot's keys can be counted, listed or handed to another node.
/// </summary>
public sealed class Database
{
    private KeyTable[]? _slots;
    private readonly List<Entry> _volatile = [];

    public int Count { get; private set; }
    public int VolatileCount => _volatile.Count;

    /// <summary>
    /// The entry, or null; an expired entry is deleted first (lazy expiry), unless <paramref name="onExpired"/> says
    /// not now (it is told of the expiry and answers whether to delete).
    /// </summary>
    public Entry? Find(int slot, byte[] key, long nowMs, Func<Entry, bool>? onExpired = null)
    {
        var entry = _slots?[slot].Find(key);
        if (entry == null) return null;
        if (entry.ExpiredAt(nowMs))
        {
            if (onExpired == null || onExpired(entry)) Remove(slot, entry);
            return null;
        }
        return entry;
    }

    /// <summary>The entry even when expired (for the expiry cycle and for reads that must not delete).</summary>
    public Entry? FindRaw(int slot, byte[] key) => _slots?[slot].Find(key);

    /// <summary>
    /// Starts fetching into the CPU's cache what a lookup of the key will read. A batch of lookups calls this for every
    /// key, then <see cref="PrefetchEntry"/> for every key, then <see cref="PrefetchKeyAndValue"/>: each step finds in
    /// cache what the one before fetched, and the cache misses of the batch overlap instead of following each other.
    /// Returns the key's hash, which the next steps take.
    /// </summary>
    public int Prefetch(int slot, byte[] key)
    {
        int hash = KeyTable.HashOf(key);
        _slots?[slot].Prefetch(hash);
        return hash;
    }

    public void PrefetchEntry(int slot, int hash) => _slots?[slot].PrefetchEntry(hash);

    public void PrefetchKeyAndValue(int slot, int hash) => _slots?[slot].PrefetchKeyAndValue(hash);

    /// <summary>Keys stored in one hash slot (CLUSTER COUNTKEYSINSLOT counts those not yet lazily expired too).</summary>
    public int CountInSlot(int slot) => _slots?[slot].Count ?? 0;

    /// <summary>Up to <paramref name="max"/> of a slot's keys (CLUSTER GETKEYSINSLOT).</summary>
    public IEnumerable<byte[]> KeysInSlot(int slot, long max) => EntriesInSlot(slot).Select(e => e.Key).Take((int)Math.Min(max, int.MaxValue));

    /// <summary>The entries of one slot (SCAN), expired ones included.</summary>
    public IEnumerable<Entry> EntriesInSlot(int slot) => _slots?[slot].Entries() ?? [];

    /// <summary>The accounted size of this database's keys (their <see cref="Entry.Bytes"/>), for maxmemory.</summary>
    public long UsedBytes;

    public void Add(int slot, Entry entry)
    {
        _slots ??= new KeyTable[HashSlot.Count];
        _slots[slot].Add(entry);
        Count++;
        UsedBytes += entry.Bytes;
        if (entry.ExpireAt >= 0) TrackVolatile(entry);
    }

    public void Remove(int slot, Entry entry)
    {
        if (!_slots![slot].Remove(entry.Key)) return;
        Count--;
        UsedBytes -= entry.Bytes;
        UntrackVolatile(entry);
    }

    /// <summary>Sets or clears (-1) the expiry, keeping the volatile list in step.</summary>
    public void SetExpiry(Entry entry, long expireAtMs)
    {
        entry.ExpireAt = expireAtMs;
        if (expireAtMs >= 0) TrackVolatile(entry);
        else UntrackVolatile(entry);
    }

    private void TrackVolatile(Entry entry)
    {
        if (entry.VolatileIndex >= 0) return;
        entry.VolatileIndex = _volatile.Count;
        _volatile.Add(entry);
    }

    private void UntrackVolatile(Entry entry)
    {
        int index = entry.VolatileIndex;
        if (index < 0) return;
        var last = _volatile[^1];
        _volatile[index] = last;
        last.VolatileIndex = index;
        _volatile.RemoveAt(_volatile.Count - 1);
        entry.VolatileIndex = -1;
    }

    /// <summary>A random key with an expiry, for the active expiry cycle.</summary>
    public Entry? RandomVolatile(Random random) =>
        _volatile.Count == 0 ? null : _volatile[random.Next(_volatile.Count)];

    /// <summary>A uniformly chosen key: a random slot is probed a few times, then the keys are counted through.</summary>
    public Entry? RandomEntry(Random random)
    {
        if (Count == 0 || _slots == null) return null;
        for (int attempt = 0; attempt < 64; attempt++)
        {
            ref var table = ref _slots[random.Next(HashSlot.Count)];
            if (table.Count > 0) return table.EntryAt(random.Next(table.Count));
        }
        int index = random.Next(Count);
        foreach (var (_, entry) in All())
            if (index-- == 0) return entry;
        return null;
    }

    public IEnumerable<(int Slot, Entry Entry)> All()
    {
        if (_slots == null) yield break;
        for (int slot = 0; slot < _slots.Length; slot++)
        {
            foreach (var entry in _slots[slot].Entries()) yield return (slot, entry);
        }
    }

    public void Clear()
    {
        _slots = null;
        _volatile.Clear();
        Count = 0;
        UsedBytes = 0;
    }

    /// <summary>Exchanges the contents of two databases (SWAPDB).</summary>
    public void SwapWith(Database other)
    {
        (_slots, other._slots) = (other._slots, _slots);
        (Count, other.Count) = (other.Count, Count);
        (UsedBytes, other.UsedBytes) = (other.UsedBytes, UsedBytes);
        var mine = _volatile.ToList();
        _volatile.Clear();
        _volatile.AddRange(other._volatile);
        other._volatile.Clear();
        other._volatile.AddRange(mine);
    }
}
