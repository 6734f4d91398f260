using System.Buffers.Binary;
using System.Text;

namespace AkkaRedis.Keyspace.Scripting;

/// <summary>
/// FUNCTION DUMP / RESTORE payloads in Redis's own format (so a dump moves between redis-server and AkkaRedis):
/// per library the RDB opcode FUNCTION2 (245) and the library's code as an RDB string, then the RDB version (10,
/// Redis 7.0) as two bytes and a CRC-64 (Jones) of everything before it, both little-endian.
/// </summary>
public static class FunctionPayload
{
    private const byte OpcodeFunction2 = 245;
    private const ushort RdbVersion = 10;

    public static byte[] Dump(IEnumerable<FunctionLibrary> libraries)
    {
        var payload = new List<byte>();
        foreach (var library in libraries)
        {
            payload.Add(OpcodeFunction2);
            var code = Encoding.UTF8.GetBytes(library.Code);
            WriteLength(payload, code.Length);
            payload.AddRange(code);
        }
        payload.Add(RdbVersion & 0xff);
        payload.Add(RdbVersion >> 8);
        var crc = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(crc, Crc64.Compute(payload.ToArray()));
        payload.AddRange(crc);
        return payload.ToArray();
    }

    /// <summary>The libraries' codes, or null when the payload is not one (Redis: "payload version or checksum are wrong").</summary>
    public static List<string>? Parse(byte[] payload)
    {
        if (payload.Length < 10) return null;
        var footer = payload.AsSpan(payload.Length - 10);
        if (BinaryPrimitives.ReadUInt16LittleEndian(footer) > RdbVersion) return null;
        ulong crc = BinaryPrimitives.ReadUInt64LittleEndian(footer[2..]);
        if (crc != 0 && crc != Crc64.Compute(payload.AsSpan(0, payload.Length - 8))) return null;
        var codes = new List<string>();
        int position = 0, end = payload.Length - 10;
        while (position < end)
        {
            if (payload[position++] != OpcodeFunction2) return null;
            var code = ReadString(payload, ref position, end);
            if (code == null) return null;
            codes.Add(Encoding.UTF8.GetString(code));
        }
        return codes;
    }

    private static void WriteLength(List<byte> output, int length)
    {
        if (length < 64) output.Add((byte)length);
        else if (length < 16384)
        {
            output.Add((byte)(0x40 | (length >> 8)));
            output.Add((byte)length);
        }
        else
        {
            output.Add(0x80);
            var bytes = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)length);
            output.AddRange(bytes);
        }
    }

    /// <summary>An RDB length; <paramref name="encoded"/> set for the special encodings (0xC0 | n).</summary>
    private static long ReadLength(byte[] data, ref int position, int end, out int encoded)
    {
        encoded = -1;
        if (position >= end) return -1;
        byte first = data[position++];
        switch (first >> 6)
        {
            case 0: return first & 0x3f;
            case 1: return position < end ? ((first & 0x3f) << 8) | data[position++] : -1;
            case 2:
                if (first == 0x80 && position + 4 <= end) { position += 4; return BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(position - 4)); }
                if (first == 0x81 && position + 8 <= end) { position += 8; return (long)BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(position - 8)); }
                return -1;
            default:
                encoded = first & 0x3f;
                return 0;
        }
    }

    private static byte[]? ReadString(byte[] data, ref int position, int end)
    {
        long length = ReadLength(data, ref position, end, out int encoded);
        if (encoded == 3)
        {
            // LZF-compressed: compressed length, original length, data.
            long compressed = ReadLength(data, ref position, end, out _);
            long original = ReadLength(data, ref position, end, out _);
            if (compressed < 0 || original < 0 || position + compressed > end) return null;
            var output = Lzf.Decompress(data.AsSpan(position, (int)compressed), (int)original);
            position += (int)compressed;
            return output;
        }
        if (encoded >= 0 || length < 0 || position + length > end) return null;
        var value = data.AsSpan(position, (int)length).ToArray();
        position += (int)length;
        return value;
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

/// <summary>LZF decompression (liblzf's lzf_d), for RDB strings Redis compressed.</summary>
public static class Lzf
{
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
