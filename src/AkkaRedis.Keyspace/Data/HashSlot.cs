namespace AkkaRedis.Keyspace.Data;

/// <summary>Redis Cluster's key hash slot: CRC16 (XMODEM) of the key, or of its {hashtag}, mod 16384.</summary>
public static class HashSlot
{
    public const int Count = 16384;

    private static readonly ushort[] Table = BuildTable();

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            int crc = i << 8;
            for (int bit = 0; bit < 8; bit++) crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            table[i] = (ushort)crc;
        }
        return table;
    }

    public static ushort Crc16(ReadOnlySpan<byte> data)
    {
        int crc = 0;
        foreach (var b in data) crc = (crc << 8) ^ Table[((crc >> 8) ^ b) & 0xFF];
        return (ushort)crc;
    }

    /// <summary>As cluster.c keyHashSlot: only a non-empty {...} section after the first '{' is hashed.</summary>
    public static int Of(ReadOnlySpan<byte> key)
    {
        int open = key.IndexOf((byte)'{');
        if (open >= 0)
        {
            int close = key[(open + 1)..].IndexOf((byte)'}');
            if (close > 0) return Crc16(key.Slice(open + 1, close)) & (Count - 1);
        }
        return Crc16(key) & (Count - 1);
    }
}
