using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace AkkaRedis.Keyspace.Data;

/// <summary>
/// DEBUG DIGEST and DIGEST-VALUE's signatures, computed as Redis's debug.c computes them, so the same data gives the
/// same 40 hex digits here and in redis-server: SHA-1 based, mixed in order where the type is ordered (a string, a
/// list's elements, a field and its value) and xor-ed where it is not (a set's members, a hash's fields, the keys of a
/// database).
/// </summary>
public static class Digest
{
    public const int Length = 20;

    /// <summary>xorObjectDigest: the value of one key, with a mark when the key has an expiry.</summary>
    public static void AddValue(Span<byte> digest, Entry entry)
    {
        Span<byte> element = stackalloc byte[Length];
        Span<byte> type = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(type, TypeNumber(entry.Value));
        Mix(digest, type);
        switch (entry.Value)
        {
            case byte[] bytes:
                Mix(digest, bytes);
                break;
            case RedisList list:
                foreach (var item in list.Items) Mix(digest, item);
                break;
            case RedisSet set:
                foreach (var member in set.Members) Xor(digest, member);
                break;
            case RedisSortedSet zset:
                foreach (var node in zset.Ascending())
                {
                    element.Clear();
                    Mix(element, node.Member);
                    Mix(element, Encoding.ASCII.GetBytes(Protocol.DoubleFormat.Format(node.Score)));
                    Xor(digest, element);
                }
                break;
            case RedisHash hash:
                foreach (var (field, value) in hash.Entries)
                {
                    element.Clear();
                    Mix(element, field);
                    Mix(element, value);
                    Xor(digest, element);
                }
                break;
            case RedisStream stream:
                // Entries only, as Redis's xorObjectDigest: "ms.seq", then each field and value.
                foreach (var item in stream.Range(StreamId.Zero, StreamId.Max))
                {
                    Mix(digest, Encoding.ASCII.GetBytes($"{item.Id.Ms}.{item.Id.Seq}"));
                    foreach (var part in item.Fields) Mix(digest, part);
                }
                break;
            default:
                throw new InvalidOperationException($"Unknown value type {entry.Value.GetType().Name}");
        }
        if (entry.ExpireAt >= 0) Xor(digest, "!!expire!!"u8);
    }

    /// <summary>Redis's OBJ_STRING, OBJ_LIST, OBJ_SET, OBJ_ZSET, OBJ_HASH and OBJ_STREAM.</summary>
    private static int TypeNumber(object value) => value switch
    {
        byte[] => 0,
        RedisList => 1,
        RedisSet => 2,
        RedisSortedSet => 3,
        RedisHash => 4,
        RedisStream => 6,
        _ => throw new InvalidOperationException($"Unknown value type {value.GetType().Name}"),
    };

    /// <summary>
    /// computeDatasetDigest: every non-empty database in order, its number mixed in, then each key's name and value
    /// xor-ed. All zeros when there are no keys. <paramref name="shards"/> are the databases of every shard.
    /// </summary>
    public static byte[] OfDataset(IReadOnlyList<Database[]> shards, int databases)
    {
        var digest = new byte[Length];
        Span<byte> key = stackalloc byte[Length];
        Span<byte> number = stackalloc byte[4];
        for (int db = 0; db < databases; db++)
        {
            if (shards.All(s => s[db].Count == 0)) continue;
            BinaryPrimitives.WriteInt32BigEndian(number, db);
            Mix(digest, number);
            foreach (var shard in shards)
                foreach (var (_, entry) in shard[db].All())
                {
                    key.Clear();
                    Mix(key, entry.Key);
                    AddValue(key, entry);
                    Xor(digest, key);
                }
        }
        return digest;
    }

    public static string Hex(ReadOnlySpan<byte> digest) => Convert.ToHexStringLower(digest);

    /// <summary>xorDigest: the SHA-1 of the data xor-ed into the digest.</summary>
    private static void Xor(Span<byte> digest, ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[Length];
        SHA1.HashData(data, hash);
        for (int i = 0; i < Length; i++) digest[i] ^= hash[i];
    }

    /// <summary>mixDigest: xorDigest, then the digest replaced by its own SHA-1, so the order of the data counts.</summary>
    private static void Mix(Span<byte> digest, ReadOnlySpan<byte> data)
    {
        Xor(digest, data);
        Span<byte> mixed = stackalloc byte[Length];
        SHA1.HashData(digest, mixed);
        mixed.CopyTo(digest);
    }
}
