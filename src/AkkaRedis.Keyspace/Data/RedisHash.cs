namespace AkkaRedis.Keyspace.Data;

/// <summary>
/// A hash. Small ones are kept as an ordered list of pairs, as Redis's listpack: fields stay in insertion order
/// (HGETALL answers in that order) and memory is two references per field. Past hash-max-listpack-entries fields,
/// or a field or value longer than hash-max-listpack-value, it becomes a hash table for good, as in Redis.
/// </summary>
public sealed class RedisHash
{
    private List<KeyValuePair<byte[], byte[]>>? _small = [];
    private Dictionary<byte[], byte[]>? _table;

    public int Count => _small?.Count ?? _table!.Count;
    public bool IsListpack => _small != null;

    public byte[]? Get(byte[] field)
    {
        if (_table != null) return _table.GetValueOrDefault(field);
        int i = IndexOf(field);
        return i < 0 ? null : _small![i].Value;
    }

    private int IndexOf(byte[] field)
    {
        var small = _small!;
        for (int i = 0; i < small.Count; i++)
            if (small[i].Key.AsSpan().SequenceEqual(field)) return i;
        return -1;
    }

    /// <summary>Sets a field; true when the field is new.</summary>
    public bool Set(byte[] field, byte[] value, int maxEntries, int maxValue)
    {
        if (_small != null && (field.Length > maxValue || value.Length > maxValue)) ConvertToTable();
        if (_table != null)
        {
            bool added = !_table.ContainsKey(field);
            _table[field] = value;
            return added;
        }
        int i = IndexOf(field);
        if (i >= 0)
        {
            _small![i] = new(_small[i].Key, value);
            return false;
        }
        _small!.Add(new(field, value));
        if (_small.Count > maxEntries) ConvertToTable();
        return true;
    }

    public bool Remove(byte[] field)
    {
        if (_table != null) return _table.Remove(field);
        int i = IndexOf(field);
        if (i < 0) return false;
        _small!.RemoveAt(i);
        return true;
    }

    private void ConvertToTable()
    {
        _table = new Dictionary<byte[], byte[]>(_small!.Count, ByteArrayComparer.Instance);
        foreach (var pair in _small) _table[pair.Key] = pair.Value;
        _small = null;
    }

    public IEnumerable<KeyValuePair<byte[], byte[]>> Entries => (IEnumerable<KeyValuePair<byte[], byte[]>>?)_small ?? _table!;

    public RedisHash Clone()
    {
        var copy = new RedisHash();
        if (_table != null)
        {
            copy._small = null;
            copy._table = new Dictionary<byte[], byte[]>(_table, ByteArrayComparer.Instance);
        }
        else copy._small!.AddRange(_small!);
        return copy;
    }
}
