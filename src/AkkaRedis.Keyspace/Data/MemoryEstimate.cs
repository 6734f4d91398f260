using System.Numerics;

namespace AkkaRedis.Keyspace.Data;

/// <summary>
/// MEMORY USAGE: what a key and its value take in this server's managed heap, from the sizes of the .NET objects that
/// hold them (64-bit: a byte array is 24 bytes of header and length, then its bytes rounded up to 8). As Redis does, an
/// aggregate's elements are sampled (the first <c>samples</c>, all when 0) and their average size multiplied out.
/// </summary>
public static class MemoryEstimate
{
    private const long ObjectHeader = 16, ArrayHeader = 24, Reference = 8;
    /// <summary>An Entry object and its slot in the database's table.</summary>
    public const long EntryOverhead = ObjectHeader + 48 + 24;
    /// <summary>A key's place in its database's list of keys with an expiry.</summary>
    public const long ExpiryOverhead = 2 * Reference;
    /// <summary>A HashSet or Dictionary entry: hash code and next index, then the key (and value) reference, plus its bucket.</summary>
    private const long SetSlot = 8 + Reference + 4, MapSlot = 8 + 2 * Reference + 4;

    /// <summary>Elements of a collection measured for maxmemory's accounting (MEMORY USAGE's default SAMPLES).</summary>
    public const long AccountingSamples = 5;

    public static long ArrayBytes(long length) => ArrayHeader + ((length + 7) & ~7L);

    public static long Of(Entry entry, long samples)
    {
        long total = EntryOverhead + ArrayBytes(entry.Key.Length);
        return total + entry.Value switch
        {
            byte[] text => ArrayBytes(text.Length),
            RedisList list => ObjectHeader + 24 + ArrayHeader + Reference * Math.Max(4, Capacity(list.NodeCount))
                              + list.NodeCount * (ObjectHeader + 24 + ArrayHeader) + list.BufferBytes,
            RedisSet { IsIntset: true } set => ObjectHeader + 16 + ObjectHeader + 16 + ArrayHeader + 8 * Capacity(set.Count),
            RedisSet set => ObjectHeader + 16 + 64 + (SetSlot * set.Count) + Sampled(set.Members, set.Count, samples, m => ArrayBytes(m.Length)),
            RedisSortedSet zset => ObjectHeader + 48 + 80 + ObjectHeader + 32 + ZsetNode(4) + zset.Count * (MapSlot + ObjectHeader + 48)
                                   + Sampled(zset.Ascending(), zset.Count, samples, n => ArrayBytes(n.Member.Length) + ZsetNode(n.Levels - 1)),
            RedisHash { IsListpack: true } hash => ObjectHeader + 24 + ArrayBytes(hash.PackedCapacity),
            RedisHash hash => ObjectHeader + 24 + 80 + (MapSlot * hash.Count)
                              + Sampled(hash.Entries, hash.Count, samples, p => ArrayBytes(p.Key.Length) + ArrayBytes(p.Value.Length)),
            RedisStream stream => ObjectHeader + 64 + stream.Nodes.Count * (ObjectHeader + 32 + ArrayHeader)
                                  + Sampled(stream.Nodes.SelectMany(n => n.Entries), stream.Nodes.Sum(n => n.Entries.Count), samples,
                                      e => ObjectHeader + 24 + ArrayHeader + e.Fields.Sum(f => Reference + ArrayBytes(f.Length)))
                                  + stream.Groups.Values.Sum(g => ObjectHeader + 64 + g.Pending.Count * (MapSlot + ObjectHeader + 32)),
            _ => 0,
        };
    }

    /// <summary>A skiplist node's array of links above level 0 (forward reference and span each).</summary>
    private static long ZsetNode(int levels) => levels == 0 ? 0 : ArrayHeader + 16L * levels;

    /// <summary>Collections grow by doubling from 4.</summary>
    private static long Capacity(int count) => count <= 4 ? 4 : BitOperations.RoundUpToPowerOf2((uint)count);

    private static long Sampled<T>(IEnumerable<T> items, int count, long samples, Func<T, long> size)
    {
        if (count == 0) return 0;
        long taken = 0, bytes = 0;
        foreach (var item in items)
        {
            if (samples > 0 && taken == samples) break;
            bytes += size(item);
            taken++;
        }
        return taken == count ? bytes : bytes * count / taken;
    }
}
