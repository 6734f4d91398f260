using System.Buffers.Binary;
using System.Text;

namespace AkkaRedis.Keyspace.Snapshot;

/// <summary>
/// RDB's building blocks (rdb.c), shared by dump.rdb and FUNCTION DUMP payloads: lengths in 1, 2, 5 or 9 bytes,
/// length-prefixed strings (read also as integers or LZF), and the CRC-64 both end with.
/// </summary>
public static class RdbEncoding
{
    public static void WriteLength(List<byte> output, long length)
    {
        if (length < 64) output.Add((byte)length);
        else if (length < 16384)
        {
            output.Add((byte)(0x40 | (length >> 8)));
            output.Add((byte)length);
        }
        else if (length <= uint.MaxValue)
        {
            output.Add(0x80);
            var bytes = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)length);
            output.AddRange(bytes);
        }
        else
        {
            output.Add(0x81);
            var bytes = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, (ulong)length);
            output.AddRange(bytes);
        }
    }

    /// <summary>RDB_ENC_LZF under RDB_ENCVAL: a compressed string follows (its compressed and original lengths, then the bytes).</summary>
    public const byte LzfString = 0xC0 | 3;

    /// <summary>
    /// A length-prefixed string; with <paramref name="compress"/> (rdbcompression), one longer than 20 bytes is written
    /// LZF-compressed when that saves at least 4 bytes, as rdbSaveRawString does.
    /// </summary>
    public static void WriteString(List<byte> output, byte[] value, bool compress = false)
    {
        if (compress && value.Length > 20)
        {
            var compressed = new byte[value.Length - 4];
            int length = Lzf.Compress(value, compressed);
            if (length > 0)
            {
                output.Add(LzfString);
                WriteLength(output, length);
                WriteLength(output, value.Length);
                output.AddRange(compressed.AsSpan(0, length));
                return;
            }
        }
        WriteLength(output, value.Length);
        output.AddRange(value);
    }
}

/// <summary>An RDB file or payload that cannot be read; the message is Redis's where it has one.</summary>
public sealed class RdbException(string message) : Exception(message);

/// <summary>Reads RDB lengths and strings (rdb.c rdbLoadLen, rdbGenericLoadStringObject) from <paramref name="data"/>.</summary>
public sealed class RdbReader(byte[] data, int position)
{
    public int Position => position;
    public int Remaining => data.Length - position;

    public byte Byte() => position < data.Length ? data[position++] : throw new RdbException("Short read or OOM loading DB. Unrecoverable error, aborting now.");

    public ReadOnlySpan<byte> Take(int count)
    {
        if (position + count > data.Length) throw new RdbException("Short read or OOM loading DB. Unrecoverable error, aborting now.");
        position += count;
        return data.AsSpan(position - count, count);
    }

    public long Length() => Length(out _);

    private long Length(out int encoded)
    {
        encoded = -1;
        byte first = Byte();
        switch (first >> 6)
        {
            case 0: return first & 0x3f;
            case 1: return ((first & 0x3f) << 8) | Byte();
            case 2:
                if (first == 0x80) return BinaryPrimitives.ReadUInt32BigEndian(Take(4));
                if (first == 0x81) return (long)BinaryPrimitives.ReadUInt64BigEndian(Take(8));
                throw new RdbException("Unknown length encoding in the RDB file");
            default:
                encoded = first & 0x3f;
                return 0;
        }
    }

    public byte[] String()
    {
        long length = Length(out int encoded);
        switch (encoded)
        {
            case -1: return Take((int)length).ToArray();
            case 0: return Encoding.ASCII.GetBytes(((sbyte)Byte()).ToString(System.Globalization.CultureInfo.InvariantCulture));
            case 1: return Encoding.ASCII.GetBytes(BinaryPrimitives.ReadInt16LittleEndian(Take(2)).ToString(System.Globalization.CultureInfo.InvariantCulture));
            case 2: return Encoding.ASCII.GetBytes(BinaryPrimitives.ReadInt32LittleEndian(Take(4)).ToString(System.Globalization.CultureInfo.InvariantCulture));
            case 3:
                int compressed = (int)Length(), original = (int)Length();
                return Lzf.Decompress(Take(compressed), original) ?? throw new RdbException("Invalid LZF compressed string");
            default: throw new RdbException("Unknown RDB string encoding type");
        }
    }
}

/// <summary>Redis's CRC-64 (Jones polynomial, reflected, no final xor), as RDB payloads carry it.</summary>
public static class Crc64
{
    private static readonly ulong[] Table = Build();

    private static ulong[] Build()
    {
        const ulong poly = 0x95AC9329AC4BC9B5; // 0xad93d23594c935a9 reflected
        var table = new ulong[256];
        for (ulong i = 0; i < 256; i++)
        {
            ulong crc = i;
            for (int bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ poly : crc >> 1;
            table[i] = crc;
        }
        return table;
    }

    public static ulong Compute(ReadOnlySpan<byte> data)
    {
        ulong crc = 0;
        foreach (byte b in data) crc = Table[(byte)(crc ^ b)] ^ (crc >> 8);
        return crc;
    }
}

/// <summary>LZF (liblzf's format), as RDB strings are compressed: what lzf_d reads, and a compressor whose output it reads.</summary>
public static class Lzf
{
    private const int MaxOffset = 1 << 13, MaxMatch = 264, MaxLiteralRun = 32, HashBits = 14;

    /// <summary>
    /// Compresses <paramref name="input"/> into <paramref name="output"/>: the compressed length, or 0 when it does not fit
    /// (lzf_compress's contract). Greedy: each position's last earlier occurrence of its first three bytes, found by hash,
    /// is taken when it lies within the format's 8 KB window; runs of literals go out 32 at most.
    /// </summary>
    public static int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        Span<int> last = stackalloc int[1 << HashBits]; // position + 1 of the latest three bytes with this hash; 0: none
        last.Clear();
        int ip = 0, op = 0, literals = 0;
        while (ip + 2 < input.Length)
        {
            int hash = Hash(input, ip);
            int candidate = last[hash] - 1;
            last[hash] = ip + 1;
            if (candidate < 0 || ip - candidate > MaxOffset || !input.Slice(candidate, 3).SequenceEqual(input.Slice(ip, 3)))
            {
                ip++;
                continue;
            }
            int length = 3, most = Math.Min(MaxMatch, input.Length - ip);
            while (length < most && input[candidate + length] == input[ip + length]) length++;
            if (!Literals(input, literals, ip, output, ref op)) return 0;
            int offset = ip - candidate - 1, code = length - 2;
            if (op + (code < 7 ? 2 : 3) > output.Length) return 0;
            if (code < 7) output[op++] = (byte)(code << 5 | offset >> 8);
            else
            {
                output[op++] = (byte)(7 << 5 | offset >> 8);
                output[op++] = (byte)(code - 7);
            }
            output[op++] = (byte)offset;
            for (int k = ip + 1; k < ip + length && k + 2 < input.Length; k++) last[Hash(input, k)] = k + 1;
            ip += length;
            literals = ip;
        }
        return Literals(input, literals, input.Length, output, ref op) ? op : 0;
    }

    private static int Hash(ReadOnlySpan<byte> input, int at) =>
        (int)((uint)(input[at] << 16 | input[at + 1] << 8 | input[at + 2]) * 2654435761u >> (32 - HashBits));

    /// <summary>Writes input[from..to) as literal runs; false when they do not fit.</summary>
    private static bool Literals(ReadOnlySpan<byte> input, int from, int to, Span<byte> output, ref int op)
    {
        while (from < to)
        {
            int run = Math.Min(MaxLiteralRun, to - from);
            if (op + 1 + run > output.Length) return false;
            output[op++] = (byte)(run - 1);
            input.Slice(from, run).CopyTo(output[op..]);
            op += run;
            from += run;
        }
        return true;
    }

    public static byte[]? Decompress(ReadOnlySpan<byte> input, int length)
    {
        var output = new byte[length];
        int i = 0, o = 0;
        while (i < input.Length)
        {
            int control = input[i++];
            if (control < 32)
            {
                int run = control + 1;
                if (o + run > length || i + run > input.Length) return null;
                input.Slice(i, run).CopyTo(output.AsSpan(o));
                i += run;
                o += run;
                continue;
            }
            int count = control >> 5;
            int back = o - ((control & 0x1f) << 8) - 1;
            if (count == 7)
            {
                if (i >= input.Length) return null;
                count += input[i++];
            }
            if (i >= input.Length) return null;
            back -= input[i++];
            count += 2;
            if (back < 0 || o + count > length) return null;
            for (int k = 0; k < count; k++) output[o++] = output[back++];
        }
        return o == length ? output : null;
    }
}
