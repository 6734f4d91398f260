namespace AkkaRedis.Keyspace.Data;

/// <summary>What every value type answers: its TYPE name, its OBJECT ENCODING, and a deep copy (COPY).</summary>
public static class Values
{
    public static string TypeName(object value) => value switch
    {
        byte[] => "string",
        _ => throw new InvalidOperationException($"Unknown value type {value.GetType().Name}"),
    };

    /// <summary>Redis 7's encoding names: strings are int (a 64-bit integer of at most 20 characters), embstr (up to 44 bytes), or raw.</summary>
    public static string Encoding(Entry entry) => entry.Value switch
    {
        byte[] bytes when entry.Form == StringForm.Encoded && bytes.Length <= 20 && Protocol.RequestParser.TryParseInteger(bytes, out _) => "int",
        byte[] bytes => bytes.Length <= 44 && entry.Form != StringForm.Raw ? "embstr" : "raw",
        _ => throw new InvalidOperationException($"Unknown value type {entry.Value.GetType().Name}"),
    };

    public static object Clone(object value) => value switch
    {
        byte[] bytes => bytes.ToArray(),
        _ => throw new InvalidOperationException($"Unknown value type {value.GetType().Name}"),
    };
}
