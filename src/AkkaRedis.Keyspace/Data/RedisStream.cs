namespace AkkaRedis.Keyspace.Data;

/// <summary>One stream entry: its ID and its field-value pairs, flat (field, value, field, value...).</summary>
public sealed class StreamEntry(StreamId id, byte[][] fields)
{
    public readonly StreamId Id = id;
    public readonly byte[][] Fields = fields;
    /// <summary>XDEL or trimming inside a node marks an entry deleted; it goes when its whole node does (as in a listpack).</summary>
    public bool Deleted;
}

/// <summary>
/// A run of entries as Redis keeps them in one listpack of the stream's radix tree: appended to until
/// stream-node-max-entries or stream-node-max-bytes, and freed whole only when all its entries are deleted. Approximate
/// trimming (MAXLEN ~) removes whole nodes only, so node boundaries decide what it leaves, as in Redis.
/// </summary>
public sealed class StreamNode
{
    public readonly List<StreamEntry> Entries = [];
    public int Live;
    /// <summary>Roughly the listpack's size: what stream-node-max-bytes is checked against.</summary>
    public long Bytes;

    public StreamId FirstId => Entries[0].Id;
    public StreamId LastId => Entries[^1].Id;
}

/// <summary>A consumer group (streamCG): its last delivered ID, how many entries it has read, its pending entries and consumers.</summary>
public sealed class StreamGroup(StreamId lastId, long entriesRead)
{
    /// <summary>SCG_INVALID_ENTRIES_READ: the count is not known.</summary>
    public const long InvalidEntriesRead = -1;

    public StreamId LastId = lastId;
    public long EntriesRead = entriesRead;
    public readonly SortedDictionary<StreamId, PendingEntry> Pending = [];
    public readonly SortedDictionary<byte[], StreamConsumer> Consumers = new(ByteArrayComparer.Instance);

    /// <summary>A deep copy: its own consumers, and pending entries that point at them.</summary>
    public StreamGroup Clone()
    {
        var copy = new StreamGroup(LastId, EntriesRead);
        var consumers = new Dictionary<StreamConsumer, StreamConsumer>();
        foreach (var (name, consumer) in Consumers)
        {
            var c = new StreamConsumer(consumer.Name, consumer.SeenTime);
            consumers[consumer] = c;
            copy.Consumers[name] = c;
        }
        foreach (var (id, pending) in Pending)
        {
            var owner = consumers[pending.Owner];
            var p = new PendingEntry(id, owner, pending.DeliveryTime, pending.DeliveryCount);
            copy.Pending[id] = p;
            owner.Pending[id] = p;
        }
        return copy;
    }
}

/// <summary>A consumer (streamConsumer): its name, when it was last seen, and the entries delivered to it and not acknowledged.</summary>
public sealed class StreamConsumer(byte[] name, long seenTime)
{
    public readonly byte[] Name = name;
    public long SeenTime = seenTime;
    public readonly SortedDictionary<StreamId, PendingEntry> Pending = [];
}

/// <summary>An entry delivered and not yet acknowledged (streamNACK).</summary>
public sealed class PendingEntry(StreamId id, StreamConsumer owner, long deliveryTime, long deliveryCount)
{
    public readonly StreamId Id = id;
    public StreamConsumer Owner = owner;
    public long DeliveryTime = deliveryTime;
    public long DeliveryCount = deliveryCount;
}

/// <summary>
/// The stream type (t_stream.c): entries ordered by ID in nodes, the last ID ever given, the entries ever added, the
/// largest ID deleted, and the consumer groups.
/// </summary>
public sealed class RedisStream
{
    public readonly List<StreamNode> Nodes = [];
    public long Length;
    public StreamId LastId;
    public StreamId FirstId;
    public StreamId MaxDeletedId;
    public long EntriesAdded;
    public readonly SortedDictionary<byte[], StreamGroup> Groups = new(ByteArrayComparer.Instance);

    /// <summary>Bytes an entry adds to a listpack, roughly: each element's length and a few bytes of header each.</summary>
    private static long EntryBytes(byte[][] fields)
    {
        long bytes = 8;
        foreach (var item in fields) bytes += item.Length + 2;
        return bytes;
    }

    /// <summary>streamAppendItem once the ID is decided: into the last node, or a new one when it is full.</summary>
    public void Append(StreamId id, byte[][] fields, int nodeMaxEntries, long nodeMaxBytes)
    {
        long bytes = EntryBytes(fields);
        var last = Nodes.Count > 0 ? Nodes[^1] : null;
        if (last == null || nodeMaxBytes > 0 && last.Bytes + bytes > nodeMaxBytes || nodeMaxEntries > 0 && last.Entries.Count >= nodeMaxEntries)
        {
            last = new StreamNode();
            Nodes.Add(last);
        }
        last.Entries.Add(new StreamEntry(id, fields));
        last.Live++;
        last.Bytes += bytes;
        Length++;
        EntriesAdded++;
        LastId = id;
        if (Length == 1) FirstId = id;
    }

    /// <summary>The first entry whose ID is at least <paramref name="id"/>: its node and its index there (past the end: Nodes.Count).</summary>
    private (int Node, int Index) Seek(StreamId id)
    {
        int node = FirstAtOrPast(Nodes, id, static n => n.LastId);
        return node == Nodes.Count ? (node, 0) : (node, FirstAtOrPast(Nodes[node].Entries, id, static e => e.Id));
    }

    /// <summary>Binary search: the index of the first item whose ID is at least <paramref name="id"/> (items.Count when none is).</summary>
    private static int FirstAtOrPast<T>(List<T> items, StreamId id, Func<T, StreamId> idOf)
    {
        int lo = 0, hi = items.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (idOf(items[mid]) >= id) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    /// <summary>The live entries from <paramref name="start"/> to <paramref name="end"/> (both included), in ID order or reversed.</summary>
    public IEnumerable<StreamEntry> Range(StreamId start, StreamId end, bool reverse = false)
    {
        if (start > end) yield break;
        if (!reverse)
        {
            var (node, index) = Seek(start);
            for (; node < Nodes.Count; node++, index = 0)
            {
                var entries = Nodes[node].Entries;
                for (; index < entries.Count; index++)
                {
                    var entry = entries[index];
                    if (entry.Id > end) yield break;
                    if (!entry.Deleted) yield return entry;
                }
            }
        }
        else
        {
            // From the last entry not past the end, backwards.
            var (node, index) = Seek(end);
            if (node == Nodes.Count)
            {
                node--;
                index = int.MaxValue;
            }
            else if (Nodes[node].Entries[index].Id != end) index--;
            for (; node >= 0; node--)
            {
                var entries = Nodes[node].Entries;
                if (index >= entries.Count) index = entries.Count - 1;
                for (; index >= 0; index--)
                {
                    var entry = entries[index];
                    if (entry.Id < start) yield break;
                    if (!entry.Deleted) yield return entry;
                }
                index = int.MaxValue;
            }
        }
    }

    /// <summary>The live entry with this ID, or null.</summary>
    public StreamEntry? Find(StreamId id)
    {
        var (node, index) = Seek(id);
        if (node == Nodes.Count) return null;
        var entry = Nodes[node].Entries[index];
        return entry.Id == id && !entry.Deleted ? entry : null;
    }

    /// <summary>streamDeleteItem: marks the entry deleted (its node goes when it has no live entry left); false when absent.</summary>
    public bool Delete(StreamId id)
    {
        var (node, index) = Seek(id);
        if (node == Nodes.Count) return false;
        var entry = Nodes[node].Entries[index];
        if (entry.Id != id || entry.Deleted) return false;
        MarkDeleted(node, entry);
        if (Length == 0) FirstId = StreamId.Zero;
        else if (id == FirstId) FirstId = FirstLiveId();
        return true;
    }

    private void MarkDeleted(int node, StreamEntry entry)
    {
        entry.Deleted = true;
        Length--;
        if (--Nodes[node].Live == 0) Nodes.RemoveAt(node);
    }

    private StreamId FirstLiveId()
    {
        foreach (var entry in Range(StreamId.Zero, StreamId.Max)) return entry.Id;
        return StreamId.Zero;
    }

    /// <summary>streamLastValidID: the ID of the last live entry (0-0 when empty).</summary>
    public StreamId LastLiveId()
    {
        foreach (var entry in Range(StreamId.Zero, StreamId.Max, reverse: true)) return entry.Id;
        return StreamId.Zero;
    }

    /// <summary>
    /// streamTrim: whole nodes from the head while the stream stays long enough (MAXLEN) or the node is all below the
    /// minimum ID (MINID); then, unless approximate, entries one by one inside the next node. <paramref name="limit"/>
    /// (0: none) caps the entries removed, counted per whole node as Redis counts them. Returns how many went.
    /// </summary>
    public long Trim(long? maxLength, StreamId? minId, bool approximate, long limit)
    {
        long deleted = 0;
        while (Nodes.Count > 0)
        {
            if (maxLength is { } max && Length <= max) break;
            var node = Nodes[0];
            // Redis counts a node's entries as the live ones: marked-deleted entries are not in its count.
            long entries = node.Live;
            if (limit > 0 && deleted + entries > limit) break;
            bool removeNode = maxLength is { } m ? Length - entries >= m : node.LastId < minId!.Value;
            if (removeNode)
            {
                Nodes.RemoveAt(0);
                Length -= entries;
                deleted += entries;
                continue;
            }
            if (approximate) break;
            foreach (var entry in node.Entries)
            {
                bool stop = maxLength is { } mx ? Length <= mx : entry.Id >= minId!.Value;
                if (stop) break;
                if (entry.Deleted) continue;
                entry.Deleted = true;
                node.Live--;
                Length--;
                deleted++;
            }
            if (node.Live == 0) Nodes.RemoveAt(0);
            break;
        }
        if (Length == 0) FirstId = StreamId.Zero;
        else if (deleted > 0) FirstId = FirstLiveId();
        return deleted;
    }

    /// <summary>streamRangeHasTombstones: a deleted entry may lie between <paramref name="start"/> and the end.</summary>
    public bool RangeHasTombstones(StreamId start)
    {
        if (Length == 0 || MaxDeletedId.IsZero) return false;
        if (FirstId > MaxDeletedId) return false;
        return start <= MaxDeletedId;
    }

    /// <summary>streamEstimateDistanceFromFirstEverEntry: how many entries come up to <paramref name="id"/>, or <see cref="StreamGroup.InvalidEntriesRead"/>.</summary>
    public long EstimateDistanceFromFirstEverEntry(StreamId id)
    {
        if (EntriesAdded == 0) return 0;
        if (Length == 0 && id <= LastId) return EntriesAdded;
        int toLast = id.CompareTo(LastId);
        if (toLast == 0) return EntriesAdded;
        if (toLast > 0) return StreamGroup.InvalidEntriesRead;
        int toFirst = id.CompareTo(FirstId);
        if (MaxDeletedId.IsZero || MaxDeletedId < FirstId)
        {
            if (toFirst < 0) return EntriesAdded - Length;
            if (toFirst == 0) return EntriesAdded - Length + 1;
        }
        return StreamGroup.InvalidEntriesRead;
    }

    /// <summary>streamReplyWithCGLag: the entries the group has still to read, or null when that cannot be known.</summary>
    public long? Lag(StreamGroup group)
    {
        if (EntriesAdded == 0) return 0;
        if (group.EntriesRead != StreamGroup.InvalidEntriesRead && !RangeHasTombstones(group.LastId))
            return EntriesAdded - group.EntriesRead;
        long read = EstimateDistanceFromFirstEverEntry(group.LastId);
        return read == StreamGroup.InvalidEntriesRead ? null : EntriesAdded - read;
    }

    /// <summary>A group's entries-read after it is handed entry <paramref name="id"/> (streamReplyWithRange).</summary>
    public void Delivered(StreamGroup group, StreamId id)
    {
        if (id <= group.LastId) return;
        if (group.EntriesRead != StreamGroup.InvalidEntriesRead && !RangeHasTombstones(id)) group.EntriesRead++;
        else if (EntriesAdded > 0) group.EntriesRead = EstimateDistanceFromFirstEverEntry(id);
        group.LastId = id;
    }

    public RedisStream Clone()
    {
        var copy = new RedisStream
        {
            Length = Length, LastId = LastId, FirstId = FirstId, MaxDeletedId = MaxDeletedId, EntriesAdded = EntriesAdded,
        };
        foreach (var node in Nodes)
        {
            var n = new StreamNode { Live = node.Live, Bytes = node.Bytes };
            foreach (var entry in node.Entries) n.Entries.Add(new StreamEntry(entry.Id, entry.Fields) { Deleted = entry.Deleted });
            copy.Nodes.Add(n);
        }
        foreach (var (name, group) in Groups)
            copy.Groups[name] = group.Clone();
        return copy;
    }
}
