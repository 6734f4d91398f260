using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Data;

/// <summary>
/// A set, as Redis 7.0 keeps it: an intset (a sorted array of integers, so SMEMBERS answers in ascending order)
/// while every member is an integer and there are at most set-max-intset-entries of them, else a hash table
/// for good.
/// </summary>
public sealed class RedisSet
{
    private List<long>? _ints = [];
    private HashSet<byte[]>? _table;

    public int Count => _ints?.Count ?? _table!.Count;
    public bool IsIntset => _ints != null;

    /// <summary>A set made for these members starts as an intset only if the first one is an integer (setTypeCreate).</summary>
    public static RedisSet For(byte[] firstMember)
    {
        var set = new RedisSet();
        if (!RequestParser.TryParseInteger(firstMember, out _)) set.ConvertToTable();
        return set;
    }

    public bool Contains(byte[] member)
    {
        if (_table != null) return _table.Contains(member);
        return RequestParser.TryParseInteger(member, out long n) && _ints!.BinarySearch(n) >= 0;
    }

    public bool Add(byte[] member, int maxIntsetEntries)
    {
        if (_ints != null)
        {
            if (RequestParser.TryParseInteger(member, out long n))
            {
                int at = _ints.BinarySearch(n);
                if (at >= 0) return false;
                _ints.Insert(~at, n);
                if (_ints.Count > maxIntsetEntries) ConvertToTable();
                return true;
            }
            ConvertToTable();
        }
        return _table!.Add(member);
    }

    public bool Remove(byte[] member)
    {
        if (_table != null) return _table.Remove(member);
        if (!RequestParser.TryParseInteger(member, out long n)) return false;
        int at = _ints!.BinarySearch(n);
        if (at < 0) return false;
        _ints.RemoveAt(at);
        return true;
    }

    private void ConvertToTable()
    {
        _table = new HashSet<byte[]>(ByteArrayComparer.Instance);
        foreach (var n in _ints!) _table.Add(Commands.Args.Bytes(n));
        _ints = null;
    }

    public IEnumerable<byte[]> Members => _ints != null ? _ints.Select(n => Commands.Args.Bytes(n)) : _table!;

    /// <summary>The members as an array, for random picks.</summary>
    public byte[][] ToArray() => Members.ToArray();

    public RedisSet Clone()
    {
        var copy = new RedisSet();
        if (_table != null)
        {
            copy._ints = null;
            copy._table = new HashSet<byte[]>(_table, ByteArrayComparer.Instance);
        }
        else copy._ints!.AddRange(_ints!);
        return copy;
    }
}
