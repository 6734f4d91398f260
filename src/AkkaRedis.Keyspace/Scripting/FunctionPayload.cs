using System.Buffers.Binary;
using System.Text;
using AkkaRedis.Keyspace.Snapshot;

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
            RdbEncoding.WriteString(payload, code);
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
        var reader = new RdbReader(payload[..^10], 0);
        try
        {
            while (reader.Remaining > 0)
            {
                if (reader.Byte() != OpcodeFunction2) return null;
                codes.Add(Encoding.UTF8.GetString(reader.String()));
            }
        }
        catch (RdbException)
        {
            return null;
        }
        return codes;
    }
}
