using System.Buffers.Binary;

namespace AkkaRedis.Keyspace.Snapshot;

/// <summary>
/// Builds a listpack (listpack.c) as Redis reads it: a 6-byte header (total bytes, element count), each element as its
/// encoding, its data and its own length written backwards (the backlen, for walking from the end), then 0xFF.
/// Strings are kept as strings (they read back byte for byte); integers take the smallest integer encoding.
/// </summary>
public sealed class ListpackWriter
{
    private readonly List<byte> _bytes = [0, 0, 0, 0, 0, 0];
    private int _count;

    public void Add(long value)
    {
        int start = _bytes.Count;
        Span<byte> data = stackalloc byte[8];
        if (value is >= 0 and <= 127) _bytes.Add((byte)value);
        else if (value is >= -4096 and <= 4095)
        {
            _bytes.Add((byte)(0xC0 | ((value >> 8) & 0x1F)));
            _bytes.Add((byte)value);
        }
        else if (value is >= short.MinValue and <= short.MaxValue)
        {
            _bytes.Add(0xF1);
            BinaryPrimitives.WriteInt16LittleEndian(data, (short)value);
            _bytes.AddRange(data[..2]);
        }
        else if (value is >= -(1 << 23) and < 1 << 23)
        {
            _bytes.Add(0xF2);
            BinaryPrimitives.WriteInt32LittleEndian(data, (int)value);
            _bytes.AddRange(data[..3]);
        }
        else if (value is >= int.MinValue and <= int.MaxValue)
        {
            _bytes.Add(0xF3);
            BinaryPrimitives.WriteInt32LittleEndian(data, (int)value);
            _bytes.AddRange(data[..4]);
        }
        else
        {
            _bytes.Add(0xF4);
            BinaryPrimitives.WriteInt64LittleEndian(data, value);
            _bytes.AddRange(data);
        }
        EndElement(start);
    }

    public void Add(byte[] value)
    {
        int start = _bytes.Count;
        int length = value.Length;
        if (length < 64) _bytes.Add((byte)(0x80 | length));
        else if (length < 4096)
        {
            _bytes.Add((byte)(0xE0 | (length >> 8)));
            _bytes.Add((byte)length);
        }
        else
        {
            _bytes.Add(0xF0);
            Span<byte> size = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(size, length);
            _bytes.AddRange(size);
        }
        _bytes.AddRange(value);
        EndElement(start);
    }

    /// <summary>lpEncodeBacklen: the element's length in 7-bit groups, most significant first; all but the first byte carry 128.</summary>
    private void EndElement(int start)
    {
        long length = _bytes.Count - start;
        Span<byte> groups = stackalloc byte[5];
        int n = 0;
        do
        {
            groups[n++] = (byte)(length & 127);
            length >>= 7;
        } while (length > 0);
        for (int i = n - 1; i >= 0; i--) _bytes.Add((byte)(groups[i] | (i < n - 1 ? 128 : 0)));
        _count++;
    }

    public byte[] ToArray()
    {
        _bytes.Add(0xFF);
        var result = _bytes.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(result, (uint)result.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(4), (ushort)Math.Min(_count, 65535));
        return result;
    }
}
