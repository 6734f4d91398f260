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

    /// <summary>Position in the database's volatile list (for sampled active expiry), or -1.</summary>
    public int VolatileIndex = -1;

    /// <summary>Last access, Unix seconds (OBJECT IDLETIME).</summary>
    public long LastAccessSeconds;

    /// <summary>Logarithmic access counter (OBJECT FREQ under an LFU policy), as Redis's LFU.</summary>
    public byte Frequency = 5;

    /// <summary>A string changed in place (APPEND, SETRANGE, SETBIT...) reports encoding "raw", as Redis does.</summary>
    public bool RawString;
}
