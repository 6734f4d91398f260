namespace AkkaRedis.Keyspace.Data;

/// <summary>
/// A hash. Small ones are packed like Redis's listpack: one byte array of (length, field, length, value) entries in
/// insertion order, scanned linearly, so a 10-field hash is one allocation instead of twenty, and HGETALL answers in
/// insertion order. Past hash-max-listpack-entries fields, or a field or value longer than hash-max-listpack-value,
/// it becomes a hash table for good, as in Redis.
/// </summary>
public sealed class RedisHash
{
    private byte[]? _packed = [];
    private int _used;
    private int _count;
    private Dictionary<byte[], byte[]>? _table;

    public int Count => _table?.Count ?? _count;
    public bool IsListpack => _table == null;

    /// <summary>The packed form's buffer length (MEMORY USAGE).</summary>
    public int PackedCapacity => _packed?.Length ?? 0;

    // Packed entry layout: varint field length, field bytes, varint value length, value bytes.

    /// <summary>Where a field's entry starts and ends, and where its value is; false when absent.</summary>
    private bool TryFind(ReadOnlySpan<byte> field, out int entryStart, out int valueStart, out int valueLength, out int entryEnd)
    {
        var data = _packed!;
        int at = 0;
        while (at < _used)
        {
            entryStart = at;
            int fieldLength = PackedLength.Read(data, ref at);
            bool match = data.AsSpan(at, fieldLength).SequenceEqual(field);
            at += fieldLength;
            valueLength = PackedLength.Read(data, ref at);
            valueStart = at;
            at += valueLength;
            entryEnd = at;
            if (match) return true;
        }
        entryStart = valueStart = valueLength = entryEnd = 0;
        return false;
    }

    public byte[]? Get(byte[] field)
    {
        if (_table != null) return _table.GetValueOrDefault(field);
        return TryFind(field, out _, out int valueStart, out int valueLength, out _) ? _packed.AsSpan(valueStart, valueLength).ToArray() : null;
    }

    /// <summary>Sets a field; true when the field is new.</summary>
    public bool Set(byte[] field, byte[] value, int maxEntries, int maxValue)
    {
        if (_table == null && (field.Length > maxValue || value.Length > maxValue)) ConvertToTable();
        if (_table != null)
        {
            bool added = !_table.ContainsKey(field);
            _table[field] = value;
            return added;
        }
        if (TryFind(field, out int entryStart, out _, out _, out int entryEnd))
        {
            // Replaced in place, so the field keeps its position (as a listpack does).
            Splice(entryStart, entryEnd, field, value);
            return false;
        }
        Splice(_used, _used, field, value);
        _count++;
        if (_count > maxEntries) ConvertToTable();
        return true;
    }

    /// <summary>Replaces bytes [start, end) with the entry (field, value), or removes them when field is null.</summary>
    private void Splice(int start, int end, byte[]? field, byte[]? value)
    {
        int size = field == null ? 0 : PackedLength.Size(field.Length) + field.Length + PackedLength.Size(value!.Length) + value.Length;
        int newUsed = _used - (end - start) + size;
        var data = _packed!;
        if (newUsed > data.Length)
        {
            // A quarter more than needed: small hashes grow a field at a time, and slack is memory.
            var bigger = new byte[newUsed + Math.Min(newUsed / 4 + 8, 256)];
            Buffer.BlockCopy(data, 0, bigger, 0, _used);
            data = _packed = bigger;
        }
        Buffer.BlockCopy(data, end, data, start + size, _used - end);
        if (field != null)
        {
            int at = PackedLength.Write(data, start, field.Length);
            field.CopyTo(data, at);
            at = PackedLength.Write(data, at + field.Length, value!.Length);
            value.CopyTo(data, at);
        }
        _used = newUsed;
    }

    public bool Remove(byte[] field)
    {
        if (_table != null) return _table.Remove(field);
        if (!TryFind(field, out int entryStart, out _, out _, out int entryEnd)) return false;
        Splice(entryStart, entryEnd, null, null);
        _count--;
        return true;
    }

    private IEnumerable<KeyValuePair<byte[], byte[]>> Unpacked()
    {
        var data = _packed!;
        int at = 0;
        while (at < _used)
        {
            int fieldLength = PackedLength.Read(data, ref at);
            var field = data.AsSpan(at, fieldLength).ToArray();
            at += fieldLength;
            int valueLength = PackedLength.Read(data, ref at);
            var value = data.AsSpan(at, valueLength).ToArray();
            at += valueLength;
            yield return new(field, value);
        }
    }

    private void ConvertToTable()
    {
        var table = new Dictionary<byte[], byte[]>(_count, ByteArrayComparer.Instance);
        foreach (var pair in Unpacked()) table[pair.Key] = pair.Value;
        _table = table;
        _packed = null;
        _used = _count = 0;
    }

    /// <summary>Field/value pairs in order (copies for the packed form).</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Entries => _table ?? Unpacked();

    public RedisHash Clone()
    {
        var copy = new RedisHash();
        if (_table != null)
        {
            copy._packed = null;
            copy._table = new Dictionary<byte[], byte[]>(_table, ByteArrayComparer.Instance);
        }
        else
        {
            copy._packed = _packed!.AsSpan(0, _used).ToArray();
            copy._used = _used;
            copy._count = _count;
        }
        return copy;
    }
}
