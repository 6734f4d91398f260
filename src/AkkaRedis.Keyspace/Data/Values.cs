namespace AkkaRedis.Keyspace.Data;

/// <summary>What every value type answers: its TYPE name, its OBJECT ENCODING, and a deep copy (COPY).</summary>
public static class Values
{
    public static string TypeName(object value) => value switch
    {
        byte[] => "string",
        RedisList => "list",
        RedisHash => "hash",
        RedisSet => "set",
        RedisSortedSet => "zset",
        RedisStream => "stream",
        _ => throw new InvalidOperationException($"Unknown value type {value.GetType().Name}"),
    };

    /// <summary>Redis 7.0's encoding names: strings int, embstr or raw; lists quicklist; hashes listpack or hashtable; sets intset or hashtable; sorted sets listpack or skiplist.</summary>
    public static string Encoding(Entry entry) => entry.Value switch
    {
        byte[] bytes when entry.Form == StringForm.Encoded && bytes.Length <= 20 && Protocol.RequestParser.TryParseInteger(bytes, out _) => "int",
        byte[] bytes => bytes.Length <= 44 && entry.Form != StringForm.Raw ? "embstr" : "raw",
        RedisList => "quicklist",
        RedisHash hash => hash.IsListpack ? "listpack" : "hashtable",
        RedisSet set => set.IsIntset ? "intset" : "hashtable",
        RedisSortedSet zset => zset.IsListpack ? "listpack" : "skiplist",
        RedisStream => "stream",
        _ => throw new InvalidOperationException($"Unknown value type {entry.Value.GetType().Name}"),
    };

    public static object Clone(object value) => value switch
    {
        byte[] bytes => bytes.ToArray(),
        RedisList list => list.Clone(),
        RedisHash hash => hash.Clone(),
        RedisSet set => set.Clone(),
        RedisSortedSet zset => zset.Clone(),
        RedisStream stream => stream.Clone(),
        _ => throw new InvalidOperationException($"Unknown value type {value.GetType().Name}"),
    };
}
