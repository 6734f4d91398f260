namespace AkkaRedis.Keyspace.Data;

/// <summary>
/// One key's slot in a database: the value (byte[] for strings, or a collection type), its expiry,
/// and what OBJECT IDLETIME/FREQ read. Only the owning shard touches it.
/// </summary>
public sealed class Entry(byte[] key, object value)
{
    public readonly byte[] Key = key;
    public object Value = value;

    /// <summary>Absolute expiry in Unix milliseconds, or -1 for none.</summary>
    public long ExpireAt = -1;

    /// <summary>Whether the key has an expiry that has passed at <paramref name="nowMs"/> (a logically deleted key).</summary>
    public bool ExpiredAt(long nowMs) => ExpireAt >= 0 && ExpireAt <= nowMs;

    /// <summary>Position in the database's volatile list (for sampled active expiry), or -1.</summary>
    public int VolatileIndex = -1;

    /// <summary>Last access, Unix seconds (OBJECT IDLETIME).</summary>
    public long LastAccessSeconds;

    /// <summary>Logarithmic access counter (OBJECT FREQ under an LFU policy), as Redis's LFU.</summary>
    public byte Frequency = 5;

    /// <summary>The key's size as last accounted for maxmemory (<see cref="MemoryEstimate"/>); kept only while a limit is set.</summary>
    public long Bytes;

    /// <summary>How Redis would have encoded this string, which OBJECT ENCODING reports.</summary>
    public StringForm Form;
}

/// <summary>
/// Redis picks a string's encoding by how it was made: SET and friends try the integer encoding
/// (tryObjectEncoding), INCRBYFLOAT makes a plain string object, and strings changed in place are raw.
/// </summary>
public enum StringForm : byte
{
    /// <summary>int when the value is a 64-bit integer of at most 20 characters, else embstr up to 44 bytes, else raw.</summary>
    Encoded,
    /// <summary>embstr up to 44 bytes, else raw; never int.</summary>
    Plain,
    /// <summary>Changed in place (APPEND, SETRANGE, SETBIT, BITFIELD, BITOP result): always raw.</summary>
    Raw,
}
