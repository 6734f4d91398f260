namespace AkkaRedis.Keyspace.Data;

/// <summary>Redis Cluster's key hash slot: CRC16 (XMODEM) of the key, or of its {hashtag}, mod 16384.</summary>
public static class HashSlot
{
    public const int Count = 16384;

    /// <summary>
    /// Slicing-by-4 tables: Tables[k][v] is the CRC of byte v followed by k zero bytes (Tables[0] is the classic
    /// byte-at-a-time table). The CRC is linear, so four bytes' contributions are independent lookups XORed together,
    /// where the classic loop waits on one lookup per byte: routing hashes every key, and the serial loop showed as 3%
    /// of the CPU at -P 16.
    /// </summary>
    private static readonly ushort[][] Tables = BuildTables();

    private static ushort[][] BuildTables()
    {
        var tables = new ushort[4][];
        tables[0] = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            int crc = i << 8;
            for (int bit = 0; bit < 8; bit++) crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            tables[0][i] = (ushort)crc;
        }
        for (int k = 1; k < 4; k++)
        {
            tables[k] = new ushort[256];
            for (int i = 0; i < 256; i++)
            {
                int crc = tables[k - 1][i];
                tables[k][i] = (ushort)((crc << 8) ^ tables[0][crc >> 8]);
            }
        }
        return tables;
    }

    public static ushort Crc16(ReadOnlySpan<byte> data)
    {
        ushort[] t0 = Tables[0], t1 = Tables[1], t2 = Tables[2], t3 = Tables[3];
        int crc = 0;
        int i = 0;
        // The register is two bytes wide, so it folds into the first two of each four.
        for (; i + 4 <= data.Length; i += 4)
            crc = t3[(crc >> 8) ^ data[i]] ^ t2[(crc & 0xFF) ^ data[i + 1]] ^ t1[data[i + 2]] ^ t0[data[i + 3]];
        for (; i < data.Length; i++) crc = ((crc << 8) & 0xFFFF) ^ t0[(crc >> 8) ^ data[i]];
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
