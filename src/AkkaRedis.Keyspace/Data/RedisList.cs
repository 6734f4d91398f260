namespace AkkaRedis.Keyspace.Data;

/// <summary>A list: a growable ring of elements, so pushes and pops at both ends are O(1) and LINDEX/LSET/LRANGE index directly.</summary>
public sealed class RedisList
{
    private byte[][] _items = new byte[4][];
    private int _head;

    public int Count { get; private set; }

    public byte[] this[int index]
    {
        get => _items[(_head + index) & (_items.Length - 1)];
        set => _items[(_head + index) & (_items.Length - 1)] = value;
    }

    private void Grow()
    {
        var bigger = new byte[_items.Length * 2][];
        for (int i = 0; i < Count; i++) bigger[i] = this[i];
        _items = bigger;
        _head = 0;
    }

    public void PushFront(byte[] value)
    {
        if (Count == _items.Length) Grow();
        _head = (_head - 1) & (_items.Length - 1);
        _items[_head] = value;
        Count++;
    }

    public void PushBack(byte[] value)
    {
        if (Count == _items.Length) Grow();
        _items[(_head + Count) & (_items.Length - 1)] = value;
        Count++;
    }

    public byte[] PopFront()
    {
        var value = _items[_head];
        _items[_head] = null!;
        _head = (_head + 1) & (_items.Length - 1);
        Count--;
        return value;
    }

    public byte[] PopBack()
    {
        int at = (_head + Count - 1) & (_items.Length - 1);
        var value = _items[at];
        _items[at] = null!;
        Count--;
        return value;
    }

    public void Insert(int index, byte[] value)
    {
        PushBack(value);
        for (int i = Count - 1; i > index; i--) this[i] = this[i - 1];
        this[index] = value;
    }

    public void RemoveAt(int index)
    {
        for (int i = index; i < Count - 1; i++) this[i] = this[i + 1];
        PopBack();
    }

    /// <summary>Keeps only [start, end] (both within bounds, start &lt;= end), as LTRIM.</summary>
    public void Trim(int start, int end)
    {
        int keep = end - start + 1;
        var kept = new byte[Math.Max(4, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)keep))][];
        for (int i = 0; i < keep; i++) kept[i] = this[start + i];
        _items = kept;
        _head = 0;
        Count = keep;
    }

    public IEnumerable<byte[]> Items
    {
        get
        {
            for (int i = 0; i < Count; i++) yield return this[i];
        }
    }

    public RedisList Clone()
    {
        var copy = new RedisList();
        foreach (var item in Items) copy.PushBack(item);
        return copy;
    }
}
