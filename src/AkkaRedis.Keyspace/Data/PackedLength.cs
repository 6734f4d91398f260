namespace AkkaRedis.Keyspace.Data;

/// <summary>
/// The lengths in packed collections (<see cref="RedisHash"/>'s listpack form, <see cref="RedisList"/>'s nodes): seven
/// bits a byte, low bits first, the high bit set on every byte but the last, so a length under 128 takes one byte.
/// A list entry also ends in its length written backwards, so a node can be read from its end as listpack's
/// backlen allows.
/// </summary>
public static class PackedLength
{
    public static int Size(int length)
    {
        int size = 1;
        while (length >= 0x80)
        {
            length >>= 7;
            size++;
        }
        return size;
    }

    /// <summary>Reads a length forwards from <paramref name="at"/>, leaving <paramref name="at"/> past it.</summary>
    public static int Read(byte[] data, ref int at)
    {
        int length = 0, shift = 0;
        while (true)
        {
            byte b = data[at++];
            length |= (b & 0x7F) << shift;
            if (b < 0x80) return length;
            shift += 7;
        }
    }

    /// <summary>Writes a length at <paramref name="at"/>; returns where it ends.</summary>
    public static int Write(byte[] data, int at, int length)
    {
        while (length >= 0x80)
        {
            data[at++] = (byte)(length | 0x80);
            length >>= 7;
        }
        data[at++] = (byte)length;
        return at;
    }

    /// <summary>Reads a length written backwards that ends just before <paramref name="end"/>, leaving <paramref name="end"/> at its first byte.</summary>
    public static int ReadBackwards(byte[] data, ref int end)
    {
        int length = 0, shift = 0;
        while (true)
        {
            byte b = data[--end];
            length |= (b & 0x7F) << shift;
            if (b < 0x80) return length;
            shift += 7;
        }
    }

    /// <summary>Writes a length backwards (its low bits last) at <paramref name="at"/>; returns where it ends.</summary>
    public static int WriteBackwards(byte[] data, int at, int length)
    {
        int end = at + Size(length);
        int p = end;
        while (length >= 0x80)
        {
            data[--p] = (byte)(length | 0x80);
            length >>= 7;
        }
        data[--p] = (byte)length;
        return end;
    }
}
