namespace AkkaRedis.Keyspace.Data;

/// <summary>
/// A list, stored as Redis's quicklist is: a deque of nodes, each packing up to <see cref="NodeBytes"/> of elements
/// into one byte array. An entry is its length, its bytes and its length again written backwards
/// (<see cref="PackedLength"/>), so a node reads from either end, as a listpack does with its backlen.
///
/// Why packed: with an array per element, a long list was millions of small objects that every garbage collection
/// had to trace and copy as they aged (LPUSH -P 16 onto one list spent a quarter of the server's CPU in the GC); as
/// nodes they are a few hundred arrays, and a short element takes its length plus two bytes instead of about forty.
/// Pushes and pops at both ends stay O(1); reaching an index walks nodes and then entries from the nearer end, as
/// quicklist does. Elements are read as spans into the nodes: valid until the list next changes.
/// </summary>
public sealed class RedisList
{
    /// <summary>Bytes a node packs before a push starts a new one: Redis's default list-max-listpack-size (-2, 8 KB).</summary>
    public const int NodeBytes = 8192;

    /// <summary>The smallest node buffer: a short list's one node starts this small and doubles as it fills.</summary>
    private const int SmallestNode = 16;

    private static long _packedThreshold = DefaultPackedThreshold;
    public const long DefaultPackedThreshold = 1L << 30;

    /// <summary>
    /// An element this long or longer is a node of its own, as Redis's quicklist keeps such elements in "plain" nodes
    /// (DEBUG QUICKLIST-PACKED-THRESHOLD sets it for the whole server, as Redis's; 1 GB by default).
    /// </summary>
    public static long PackedThreshold
    {
        get => Volatile.Read(ref _packedThreshold);
        set => Volatile.Write(ref _packedThreshold, value);
    }

    private sealed class Node(byte[] data, int start)
    {
        public byte[] Data = data;
        public int Start = start, End = start, Count;
        /// <summary>A node of one element at or past <see cref="PackedThreshold"/>: nothing else joins it.</summary>
        public bool Plain;
        public int Used => End - Start;
    }

    private static Node PlainNode(ReadOnlySpan<byte> value)
    {
        var node = new Node(new byte[EntrySize(value.Length)], 0) { Count = 1, Plain = true };
        node.End = WriteEntry(node.Data, 0, value);
        return node;
    }

    private Node[] _nodes = new Node[4]; // a ring, like the elements of a deque
    private int _head, _nodeCount;

    public int Count { get; private set; }

    /// <summary>Nodes and the bytes their buffers hold (MEMORY USAGE, DEBUG OBJECT).</summary>
    public int NodeCount => _nodeCount;

    /// <summary>The bytes the nodes' entries take (DEBUG OBJECT's ql_uncompressed_size).</summary>
    public long UsedBytes
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _nodeCount; i++) total += NodeAt(i).Used;
            return total;
        }
    }
    public long BufferBytes
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _nodeCount; i++) total += NodeAt(i).Data.Length;
            return total;
        }
    }

    private Node NodeAt(int index) => _nodes[(_head + index) & (_nodes.Length - 1)];

    private static int EntrySize(int length) => 2 * PackedLength.Size(length) + length;

    private static int WriteEntry(byte[] data, int at, ReadOnlySpan<byte> value)
    {
        at = PackedLength.Write(data, at, value.Length);
        value.CopyTo(data.AsSpan(at));
        return PackedLength.WriteBackwards(data, at + value.Length, value.Length);
    }

    /// <summary>The element whose entry starts at <paramref name="at"/>; <paramref name="at"/> moves to the next entry.</summary>
    private static ReadOnlySpan<byte> ReadForwards(byte[] data, scoped ref int at)
    {
        int length = PackedLength.Read(data, ref at);
        var value = data.AsSpan(at, length);
        at += length + PackedLength.Size(length);
        return value;
    }

    /// <summary>The element whose entry ends at <paramref name="end"/>; <paramref name="end"/> moves to that entry's start.</summary>
    private static ReadOnlySpan<byte> ReadBackwards(byte[] data, scoped ref int end)
    {
        int length = PackedLength.ReadBackwards(data, ref end);
        end -= length;
        var value = data.AsSpan(end, length);
        end -= PackedLength.Size(length);
        return value;
    }

    public ReadOnlySpan<byte> First
    {
        get
        {
            var node = NodeAt(0);
            int at = node.Start;
            return ReadForwards(node.Data, ref at);
        }
    }

    public ReadOnlySpan<byte> Last
    {
        get
        {
            var node = NodeAt(_nodeCount - 1);
            int end = node.End;
            return ReadBackwards(node.Data, ref end);
        }
    }

    public void PushFront(ReadOnlySpan<byte> value)
    {
        if (value.Length >= PackedThreshold)
        {
            InsertNode(0, PlainNode(value));
            Count++;
            return;
        }
        int size = EntrySize(value.Length);
        var node = _nodeCount == 0 ? null : NodeAt(0);
        if (node == null || node.Plain || node.Used + size > NodeBytes)
        {
            int capacity = NewNodeCapacity(size);
            node = new Node(new byte[capacity], capacity);
            InsertNode(0, node);
        }
        else if (node.Start < size) MakeRoom(node, size, atFront: true);
        node.Start -= size;
        WriteEntry(node.Data, node.Start, value);
        node.Count++;
        Count++;
    }

    public void PushBack(ReadOnlySpan<byte> value)
    {
        if (value.Length >= PackedThreshold)
        {
            InsertNode(_nodeCount, PlainNode(value));
            Count++;
            return;
        }
        int size = EntrySize(value.Length);
        var node = _nodeCount == 0 ? null : NodeAt(_nodeCount - 1);
        if (node == null || node.Plain || node.Used + size > NodeBytes)
        {
            node = new Node(new byte[NewNodeCapacity(size)], 0);
            InsertNode(_nodeCount, node);
        }
        else if (node.Data.Length - node.End < size) MakeRoom(node, size, atFront: false);
        node.End = WriteEntry(node.Data, node.End, value);
        node.Count++;
        Count++;
    }

    /// <summary>A list's first node starts small (most lists are short); once a node has filled, the next is full size.</summary>
    private int NewNodeCapacity(int size) =>
        _nodeCount == 0 ? Math.Max(size, SmallestNode) : Math.Max(size, NodeBytes);

    /// <summary>Gives a node <paramref name="size"/> free bytes on one side: moves its entries, in a bigger buffer if needed.</summary>
    private static void MakeRoom(Node node, int size, bool atFront)
    {
        int used = node.Used;
        var data = node.Data;
        if (data.Length - used < size) data = new byte[Math.Max(used + size, Math.Min(NodeBytes, data.Length * 2))];
        int start = atFront ? data.Length - used : 0;
        node.Data.AsSpan(node.Start, used).CopyTo(data.AsSpan(start));
        node.Data = data;
        node.Start = start;
        node.End = start + used;
    }

    public byte[] PopFront()
    {
        var value = First.ToArray();
        RemoveFront(1);
        return value;
    }

    public byte[] PopBack()
    {
        var value = Last.ToArray();
        RemoveBack(1);
        return value;
    }

    /// <summary>Removes the first <paramref name="count"/> elements (at most <see cref="Count"/>).</summary>
    public void RemoveFront(int count)
    {
        while (count > 0)
        {
            var node = NodeAt(0);
            if (count >= node.Count)
            {
                count -= node.Count;
                Count -= node.Count;
                RemoveNode(0);
                continue;
            }
            for (int i = 0; i < count; i++) ReadForwards(node.Data, ref node.Start);
            node.Count -= count;
            Count -= count;
            return;
        }
    }

    /// <summary>Removes the last <paramref name="count"/> elements (at most <see cref="Count"/>).</summary>
    public void RemoveBack(int count)
    {
        while (count > 0)
        {
            var node = NodeAt(_nodeCount - 1);
            if (count >= node.Count)
            {
                count -= node.Count;
                Count -= node.Count;
                RemoveNode(_nodeCount - 1);
                continue;
            }
            for (int i = 0; i < count; i++) ReadBackwards(node.Data, ref node.End);
            node.Count -= count;
            Count -= count;
            return;
        }
    }

    public void Clear()
    {
        Array.Clear(_nodes);
        _head = _nodeCount = Count = 0;
    }

    /// <summary>Keeps only [start, end], both within bounds and start &lt;= end (LTRIM).</summary>
    public void Trim(int start, int end)
    {
        RemoveBack(Count - 1 - end);
        RemoveFront(start);
    }

    /// <summary>The element at <paramref name="index"/> (0 &lt;= index &lt; Count).</summary>
    public ReadOnlySpan<byte> Get(int index)
    {
        var (node, at) = Locate(index);
        return ReadForwards(NodeAt(node).Data, ref at);
    }

    /// <summary>Replaces the element at <paramref name="index"/> (LSET).</summary>
    public void Set(int index, ReadOnlySpan<byte> value)
    {
        var (node, at) = Locate(index);
        Rewrite(node, at, replace: true, value);
    }

    /// <summary>Inserts <paramref name="value"/> so that it is at <paramref name="index"/> (0 &lt;= index &lt;= Count).</summary>
    public void Insert(int index, ReadOnlySpan<byte> value)
    {
        if (index == 0) PushFront(value);
        else if (index == Count) PushBack(value);
        else
        {
            var (node, at) = Locate(index);
            Rewrite(node, at, replace: false, value);
        }
    }

    /// <summary>
    /// LREM: removes elements equal to <paramref name="value"/>: the first <paramref name="count"/> of them, the last
    /// -count when negative, all when 0. Returns how many went. One pass to count, one to rebuild: O(n) however many match.
    /// </summary>
    public int RemoveMatching(ReadOnlySpan<byte> value, long count)
    {
        long matches = 0;
        foreach (var item in this)
            if (item.SequenceEqual(value)) matches++;
        if (matches == 0) return 0;
        long limit = count == 0 ? long.MaxValue : Math.Abs(count);
        long firstRemoved = count < 0 ? Math.Max(0, matches - limit) : 0; // the ordinal of the first match to remove
        var kept = new RedisList();
        long ordinal = 0;
        int removed = 0;
        foreach (var item in this)
        {
            if (item.SequenceEqual(value) && ordinal++ >= firstRemoved && removed < limit)
            {
                removed++;
                continue;
            }
            kept.PushBack(item);
        }
        _nodes = kept._nodes;
        _head = kept._head;
        _nodeCount = kept._nodeCount;
        Count = kept.Count;
        return removed;
    }

    /// <summary>The node holding <paramref name="index"/> and where its entry starts, walking from the nearer end.</summary>
    private (int Node, int At) Locate(int index)
    {
        if (index < Count / 2)
        {
            for (int n = 0; ; n++)
            {
                var node = NodeAt(n);
                if (index >= node.Count)
                {
                    index -= node.Count;
                    continue;
                }
                return (n, EntryStart(node, index));
            }
        }
        int fromEnd = Count - 1 - index;
        for (int n = _nodeCount - 1; ; n--)
        {
            var node = NodeAt(n);
            if (fromEnd >= node.Count)
            {
                fromEnd -= node.Count;
                continue;
            }
            return (n, EntryStart(node, node.Count - 1 - fromEnd));
        }
    }

    private static int EntryStart(Node node, int index)
    {
        if (index < node.Count / 2)
        {
            int at = node.Start;
            for (int i = 0; i < index; i++) ReadForwards(node.Data, ref at);
            return at;
        }
        int end = node.End;
        for (int i = node.Count - 1; i >= index; i--) ReadBackwards(node.Data, ref end);
        return end;
    }

    /// <summary>
    /// Rebuilds one node with <paramref name="value"/> written where the entry at <paramref name="at"/> starts, in its
    /// place (<paramref name="replace"/>: LSET) or before it (LINSERT), then cuts the node around a value past
    /// <see cref="PackedThreshold"/> or splits it in two if it grew past <see cref="NodeBytes"/>.
    /// </summary>
    private void Rewrite(int nodeIndex, int at, bool replace, ReadOnlySpan<byte> value)
    {
        var node = NodeAt(nodeIndex);
        int next = at;
        if (replace) ReadForwards(node.Data, ref next);
        int used = node.Used - (next - at) + EntrySize(value.Length);
        var data = new byte[Math.Max(used, SmallestNode)];
        node.Data.AsSpan(node.Start, at - node.Start).CopyTo(data);
        int end = WriteEntry(data, at - node.Start, value);
        node.Data.AsSpan(next, node.End - next).CopyTo(data.AsSpan(end));
        node.Data = data;
        node.Start = 0;
        node.End = used;
        node.Plain = false;
        if (!replace)
        {
            node.Count++;
            Count++;
        }
        if (value.Length >= PackedThreshold) SeparatePlain(nodeIndex);
        else if (used > NodeBytes && node.Count > 1) Split(nodeIndex);
    }

    /// <summary>
    /// A node that now holds an element past <see cref="PackedThreshold"/> (LSET, LINSERT) is cut around it: the
    /// elements before it, it alone as a plain node, the elements after it.
    /// </summary>
    private void SeparatePlain(int nodeIndex)
    {
        var node = NodeAt(nodeIndex);
        var pieces = new List<Node>();
        Node? run = null;
        for (int at = node.Start; at < node.End;)
        {
            int start = at;
            var value = ReadForwards(node.Data, ref at);
            if (value.Length >= PackedThreshold)
            {
                if (run != null) pieces.Add(run);
                run = null;
                pieces.Add(PlainNode(value));
                continue;
            }
            run ??= new Node(new byte[node.Used], 0);
            node.Data.AsSpan(start, at - start).CopyTo(run.Data.AsSpan(run.End));
            run.End += at - start;
            run.Count++;
        }
        if (run != null) pieces.Add(run);
        RemoveNode(nodeIndex);
        for (int i = 0; i < pieces.Count; i++) InsertNode(nodeIndex + i, pieces[i]);
    }

    /// <summary>Moves the second half of a node's entries (by bytes) into a new node after it.</summary>
    private void Split(int nodeIndex)
    {
        var node = NodeAt(nodeIndex);
        int at = node.Start, kept = 0;
        while (kept < node.Count - 1 && at - node.Start < node.Used / 2)
        {
            ReadForwards(node.Data, ref at);
            kept++;
        }
        if (kept == 0)
        {
            ReadForwards(node.Data, ref at);
            kept = 1;
        }
        var second = new Node(node.Data.AsSpan(at, node.End - at).ToArray(), 0) { Count = node.Count - kept };
        second.End = second.Data.Length;
        node.Data = node.Data.AsSpan(node.Start, at - node.Start).ToArray();
        node.Start = 0;
        node.End = node.Data.Length;
        node.Count = kept;
        InsertNode(nodeIndex + 1, second);
    }

    private void InsertNode(int index, Node node)
    {
        if (_nodeCount == _nodes.Length)
        {
            var bigger = new Node[_nodes.Length * 2];
            for (int i = 0; i < _nodeCount; i++) bigger[i] = NodeAt(i);
            _nodes = bigger;
            _head = 0;
        }
        int mask = _nodes.Length - 1;
        if (index == 0)
        {
            _head = (_head - 1) & mask;
            _nodes[_head] = node;
        }
        else
        {
            for (int i = _nodeCount; i > index; i--) _nodes[(_head + i) & mask] = _nodes[(_head + i - 1) & mask];
            _nodes[(_head + index) & mask] = node;
        }
        _nodeCount++;
    }

    private void RemoveNode(int index)
    {
        int mask = _nodes.Length - 1;
        if (index == 0)
        {
            _nodes[_head] = null!;
            _head = (_head + 1) & mask;
        }
        else
        {
            for (int i = index; i < _nodeCount - 1; i++) _nodes[(_head + i) & mask] = _nodes[(_head + i + 1) & mask];
            _nodes[(_head + _nodeCount - 1) & mask] = null!;
        }
        _nodeCount--;
    }

    /// <summary>Every element, first to last.</summary>
    public Enumerator GetEnumerator() => new(this, 0, Count, backwards: false);

    /// <summary><paramref name="count"/> elements from <paramref name="start"/> onwards.</summary>
    public Enumerator Range(int start, int count) => new(this, start, count, backwards: false);

    /// <summary><paramref name="count"/> elements from <paramref name="last"/> back towards the first.</summary>
    public Enumerator Backwards(int last, int count) => new(this, last, count, backwards: true);

    /// <summary>Walks entries as spans into the nodes; the list must not change meanwhile.</summary>
    public ref struct Enumerator
    {
        private readonly RedisList _list;
        private readonly bool _backwards;
        private int _node, _at, _remaining;

        internal Enumerator(RedisList list, int first, int count, bool backwards)
        {
            _list = list;
            _backwards = backwards;
            _remaining = count;
            if (count == 0) return;
            (_node, _at) = list.Locate(first);
            // Backwards, _at is where the next entry to read ends.
            if (backwards) ReadForwards(list.NodeAt(_node).Data, ref _at);
        }

        public ReadOnlySpan<byte> Current { get; private set; }

        public Enumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_remaining == 0) return false;
            _remaining--;
            var node = _list.NodeAt(_node);
            if (!_backwards)
            {
                if (_at == node.End)
                {
                    node = _list.NodeAt(++_node);
                    _at = node.Start;
                }
                Current = ReadForwards(node.Data, ref _at);
                return true;
            }
            if (_at == node.Start)
            {
                node = _list.NodeAt(--_node);
                _at = node.End;
            }
            Current = ReadBackwards(node.Data, ref _at);
            return true;
        }
    }

    /// <summary>Every element as an array of its own (snapshots, rewrites, digests: not the request path).</summary>
    public IEnumerable<byte[]> Items
    {
        get
        {
            for (int n = 0; n < _nodeCount; n++)
            {
                var node = NodeAt(n);
                for (int at = node.Start; at < node.End;) yield return ReadForwards(node.Data, ref at).ToArray();
            }
        }
    }

    public RedisList Clone()
    {
        var copy = new RedisList { _nodes = new Node[_nodes.Length], _nodeCount = _nodeCount, Count = Count };
        for (int n = 0; n < _nodeCount; n++)
        {
            var node = NodeAt(n);
            copy._nodes[n] = new Node(node.Data.AsSpan(node.Start, node.Used).ToArray(), 0) { End = node.Used, Count = node.Count, Plain = node.Plain };
        }
        return copy;
    }
}
