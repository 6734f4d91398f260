using System.Buffers.Binary;

namespace AkkaRedis.Keyspace.Data;

/// <summary>
/// Redis's HyperLogLog (hyperloglog.c), byte for byte: a string of a 16-byte header ("HYLL", encoding, 3 unused bytes,
/// the cached cardinality in 8 little-endian bytes whose top bit marks it stale) and 16384 6-bit registers, either
/// sparse (run-length opcodes ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx) or dense (12288 bytes). The same
/// elements give the same bytes as in Redis, so GET, DUMP and an AOF or RDB move HLLs between the two servers.
/// Values are never changed in place: a change gives a new array (a string may be shared with a snapshot being written).
/// </summary>
public static class HyperLogLog
{
    public const int Registers = 16384, HeaderSize = 16, DenseSize = HeaderSize + Registers * 6 / 8;
    private const int P = 14, Q = 64 - P, RegisterMax = 63;
    private const byte Dense = 0, Sparse = 1;
    private const int ValMaxValue = 32, ValMaxLen = 4, ZeroMaxLen = 64, XZeroMaxLen = 16384;
    public const string InvalidObject = "INVALIDOBJ Corrupted HLL object detected";
    public const string NotAnHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";

    /// <summary>An empty HLL: sparse, one XZERO opcode for all registers (createHLLObject).</summary>
    public static byte[] Create()
    {
        var hll = new byte[HeaderSize + 2];
        "HYLL"u8.CopyTo(hll);
        hll[4] = Sparse;
        SetXZero(hll, HeaderSize, Registers);
        return hll;
    }

    /// <summary>isHLLObjectOrReply's checks: magic, a known encoding, and a dense one of the exact size.</summary>
    public static bool IsValid(byte[] value) =>
        value.Length >= HeaderSize && value.AsSpan(0, 4).SequenceEqual("HYLL"u8) && value[4] <= Sparse &&
        (value[4] != Dense || value.Length == DenseSize);

    public static bool IsDense(byte[] hll) => hll[4] == Dense;

    public static void InvalidateCache(byte[] hll) => hll[15] |= 0x80;

    /// <summary>The cached cardinality, or null when it is stale.</summary>
    public static long? CachedCount(byte[] hll) => (hll[15] & 0x80) != 0 ? null : (long)BinaryPrimitives.ReadUInt64LittleEndian(hll.AsSpan(8, 8));

    public static void CacheCount(byte[] hll, long count) => BinaryPrimitives.WriteUInt64LittleEndian(hll.AsSpan(8, 8), (ulong)count);

    /// <summary>hllPatLen: the register an element falls in and the length of its run of zeros plus one.</summary>
    public static int PatternLength(ReadOnlySpan<byte> element, out int register)
    {
        ulong hash = MurmurHash64A(element, 0xadc83b19);
        register = (int)(hash & (Registers - 1));
        hash >>= P;
        hash |= 1UL << Q;
        int count = 1;
        for (ulong bit = 1; (hash & bit) == 0; bit <<= 1) count++;
        return count;
    }

    /// <summary>MurmurHash2, 64-bit version, as Redis has it (little-endian reads).</summary>
    public static ulong MurmurHash64A(ReadOnlySpan<byte> key, uint seed)
    {
        const ulong m = 0xc6a4a7935bd1e995;
        const int r = 47;
        ulong h = seed ^ ((ulong)key.Length * m);
        int blocks = key.Length & ~7;
        for (int i = 0; i < blocks; i += 8)
        {
            ulong k = BinaryPrimitives.ReadUInt64LittleEndian(key[i..]);
            k *= m;
            k ^= k >> r;
            k *= m;
            h ^= k;
            h *= m;
        }
        var tail = key[blocks..];
        if (tail.Length > 0)
        {
            for (int i = tail.Length - 1; i >= 0; i--) h ^= (ulong)tail[i] << (8 * i);
            h *= m;
        }
        h ^= h >> r;
        h *= m;
        h ^= h >> r;
        return h;
    }

    /// <summary>
    /// hllAdd: 1 when a register grew (<paramref name="hll"/> is then a new array), 0 when none did, -1 when the HLL is
    /// corrupted. A sparse HLL turns dense when a register passes 32 or it would grow past <paramref name="sparseMaxBytes"/>.
    /// </summary>
    public static int Add(ref byte[] hll, ReadOnlySpan<byte> element, int sparseMaxBytes)
    {
        int count = PatternLength(element, out int register);
        return Set(ref hll, register, count, sparseMaxBytes);
    }

    /// <summary>Raises a register to <paramref name="count"/> if it is lower: 1 changed, 0 not, -1 corrupted.</summary>
    public static int Set(ref byte[] hll, int register, int count, int sparseMaxBytes)
    {
        if (IsDense(hll))
        {
            if (GetDense(hll, register) >= count) return 0;
            hll = hll.ToArray();
            SetDense(hll, register, count);
            return 1;
        }
        return SetSparse(ref hll, register, count, sparseMaxBytes);
    }

    private static int GetDense(byte[] hll, int register)
    {
        int bit = register * 6, at = HeaderSize + bit / 8, shift = bit & 7;
        int b0 = hll[at], b1 = at + 1 < hll.Length ? hll[at + 1] : 0;
        return ((b0 >> shift) | (b1 << (8 - shift))) & RegisterMax;
    }

    private static void SetDense(byte[] hll, int register, int value)
    {
        int bit = register * 6, at = HeaderSize + bit / 8, shift = bit & 7;
        hll[at] = (byte)((hll[at] & ~(RegisterMax << shift)) | (value << shift));
        // The last register's high bits would land in the byte after the registers (Redis's sds terminator): always 0 there.
        if (at + 1 < hll.Length) hll[at + 1] = (byte)((hll[at + 1] & ~(RegisterMax >> (8 - shift))) | (value >> (8 - shift)));
    }

    private static bool IsZero(byte op) => (op & 0xC0) == 0;
    private static bool IsXZero(byte op) => (op & 0xC0) == 0x40;
    private static bool IsVal(byte op) => (op & 0x80) != 0;
    private static int ZeroLength(byte op) => (op & 0x3F) + 1;
    private static int XZeroLength(byte[] s, int at) => (((s[at] & 0x3F) << 8) | s[at + 1]) + 1;
    private static int ValValue(byte op) => ((op >> 2) & 0x1F) + 1;
    private static int ValLength(byte op) => (op & 0x3) + 1;
    private static byte Val(int value, int length) => (byte)(((value - 1) << 2) | (length - 1) | 0x80);

    private static void SetXZero(byte[] s, int at, int length)
    {
        s[at] = (byte)(((length - 1) >> 8) | 0x40);
        s[at + 1] = (byte)((length - 1) & 0xFF);
    }

    /// <summary>hllSparseSet: finds the opcode covering the register, splits it around the new value, merges equal neighbours.</summary>
    private static int SetSparse(ref byte[] hll, int register, int count, int sparseMaxBytes)
    {
        if (count > ValMaxValue) return Promote(ref hll, register, count);
        int end = hll.Length, p = HeaderSize, prev = -1, first = 0, span = 0;
        while (p < end)
        {
            int opLength = 1;
            if (IsZero(hll[p])) span = ZeroLength(hll[p]);
            else if (IsVal(hll[p])) span = ValLength(hll[p]);
            else
            {
                if (p + 1 >= end) return -1;
                span = XZeroLength(hll, p);
                opLength = 2;
            }
            if (register <= first + span - 1) break;
            prev = p;
            p += opLength;
            first += span;
        }
        if (span == 0 || p >= end) return -1;

        bool isZero = IsZero(hll[p]), isXZero = IsXZero(hll[p]), isVal = IsVal(hll[p]);
        int runLength = isZero ? ZeroLength(hll[p]) : isXZero ? XZeroLength(hll, p) : ValLength(hll[p]);
        byte[] updated;
        if (isVal && ValValue(hll[p]) >= count) return 0;
        if ((isVal || isZero) && runLength == 1)
        {
            updated = hll.ToArray();
            updated[p] = Val(count, 1);
        }
        else
        {
            // The opcode splits into up to three: what is before the register, the register, what is after it.
            Span<byte> sequence = stackalloc byte[5];
            int n = 0, last = first + span - 1;
            if (isZero || isXZero)
            {
                if (register != first) n += Zeros(sequence[n..], register - first);
                sequence[n++] = Val(count, 1);
                if (register != last) n += Zeros(sequence[n..], last - register);
            }
            else
            {
                int current = ValValue(hll[p]);
                if (register != first) sequence[n++] = Val(current, register - first);
                sequence[n++] = Val(count, 1);
                if (register != last) sequence[n++] = Val(current, last - register);
            }
            int oldLength = isXZero ? 2 : 1, delta = n - oldLength;
            if (delta > 0 && hll.Length + delta > sparseMaxBytes) return Promote(ref hll, register, count);
            updated = new byte[hll.Length + delta];
            hll.AsSpan(0, p).CopyTo(updated);
            sequence[..n].CopyTo(updated.AsSpan(p));
            hll.AsSpan(p + oldLength).CopyTo(updated.AsSpan(p + n));
        }
        hll = MergeAdjacentValues(updated, prev >= 0 ? prev : HeaderSize);
        InvalidateCache(hll);
        return 1;
    }

    private static int Zeros(Span<byte> at, int length)
    {
        if (length > ZeroMaxLen)
        {
            at[0] = (byte)(((length - 1) >> 8) | 0x40);
            at[1] = (byte)((length - 1) & 0xFF);
            return 2;
        }
        at[0] = (byte)(length - 1);
        return 1;
    }

    /// <summary>
    /// hllSparseSet's step 4: from the opcode before the change, up to five opcodes, equal adjacent VALs become one. Works
    /// in <paramref name="s"/>, an array the caller owns; a shorter copy when opcodes were merged.
    /// </summary>
    private static byte[] MergeAdjacentValues(byte[] s, int from)
    {
        int end = s.Length, p = from, scan = 5;
        while (p < end && scan-- > 0)
        {
            if (IsXZero(s[p]))
            {
                p += 2;
                continue;
            }
            if (IsZero(s[p]))
            {
                p++;
                continue;
            }
            if (p + 1 < end && IsVal(s[p + 1]) && ValValue(s[p]) == ValValue(s[p + 1]))
            {
                int length = ValLength(s[p]) + ValLength(s[p + 1]);
                if (length <= ValMaxLen)
                {
                    s[p + 1] = Val(ValValue(s[p]), length);
                    Buffer.BlockCopy(s, p + 1, s, p, end - p - 1);
                    end--;
                    continue; // the merged value may merge with the next one too
                }
            }
            p++;
        }
        return end == s.Length ? s : s[..end];
    }

    /// <summary>The sparse HLL turned dense, then the register set there (the result is always a change).</summary>
    private static int Promote(ref byte[] hll, int register, int count)
    {
        var dense = ToDense(hll);
        if (dense == null) return -1;
        if (GetDense(dense, register) < count) SetDense(dense, register, count);
        InvalidateCache(dense);
        hll = dense;
        return 1;
    }

    /// <summary>hllSparseToDense: a dense copy with the same header (so the cached count too), or null when corrupted.</summary>
    public static byte[]? ToDense(byte[] hll)
    {
        if (IsDense(hll)) return hll.ToArray();
        var dense = new byte[DenseSize];
        hll.AsSpan(0, HeaderSize).CopyTo(dense);
        dense[4] = Dense;
        int index = 0;
        if (!WalkSparse(hll, (value, first, length) =>
            {
                for (int i = 0; i < length; i++) SetDense(dense, first + i, value);
            }, ref index))
            return null;
        return dense;
    }

    /// <summary>Calls <paramref name="run"/> for each VAL run of a sparse HLL; false when the opcodes do not cover exactly every register.</summary>
    private static bool WalkSparse(byte[] hll, Action<int, int, int> run, ref int index)
    {
        int p = HeaderSize;
        while (p < hll.Length)
        {
            byte op = hll[p];
            if (IsZero(op))
            {
                index += ZeroLength(op);
                p++;
            }
            else if (IsXZero(op))
            {
                if (p + 1 >= hll.Length) return false;
                index += XZeroLength(hll, p);
                p += 2;
            }
            else
            {
                int length = ValLength(op);
                if (index + length > Registers) return false;
                run(ValValue(op), index, length);
                index += length;
                p++;
            }
            if (index > Registers) return false;
        }
        return index == Registers;
    }

    /// <summary>PFDEBUG DECODE: a sparse HLL's opcodes as "z:&lt;len&gt;", "Z:&lt;len&gt;" and "v:&lt;value&gt;,&lt;len&gt;".</summary>
    public static string Decode(byte[] hll)
    {
        var parts = new List<string>();
        for (int p = HeaderSize; p < hll.Length;)
        {
            byte op = hll[p];
            if (IsZero(op))
            {
                parts.Add($"z:{ZeroLength(op)}");
                p++;
            }
            else if (IsXZero(op))
            {
                // A cut-off XZERO as the last byte: Redis reads the string's terminating NUL as its second byte.
                int length = p + 1 < hll.Length ? XZeroLength(hll, p) : ((op & 0x3F) << 8) + 1;
                parts.Add($"Z:{length}");
                p += 2;
            }
            else
            {
                parts.Add($"v:{ValValue(op)},{ValLength(op)}");
                p++;
            }
        }
        return string.Join(' ', parts);
    }

    /// <summary>hllMerge: each register of <paramref name="max"/> raised to this HLL's; false when it is corrupted.</summary>
    public static bool MergeInto(byte[] max, byte[] hll)
    {
        if (IsDense(hll))
        {
            for (int i = 0; i < Registers; i++) max[i] = Math.Max(max[i], (byte)GetDense(hll, i));
            return true;
        }
        int index = 0;
        return WalkSparse(hll, (value, first, length) =>
        {
            for (int i = first; i < first + length; i++) max[i] = Math.Max(max[i], (byte)value);
        }, ref index);
    }

    /// <summary>The registers of an HLL (PFDEBUG GETREG), or null when corrupted.</summary>
    public static byte[]? ReadRegisters(byte[] hll)
    {
        var registers = new byte[Registers];
        return MergeInto(registers, hll) ? registers : null;
    }

    /// <summary>hllCount: Ertl's estimator over the register histogram, as Redis computes it; null when corrupted.</summary>
    public static long? Count(byte[] hll) => ReadRegisters(hll) is { } registers ? Estimate(registers) : null;

    /// <summary>The cardinality of registers merged from several HLLs (PFCOUNT of several keys).</summary>
    public static long Estimate(byte[] registers)
    {
        const double m = Registers, alphaInf = 0.721347520444481703680;
        var histogram = new int[64];
        foreach (byte register in registers) histogram[register]++;
        double z = m * Tau((m - histogram[Q + 1]) / m);
        for (int j = Q; j >= 1; --j)
        {
            z += histogram[j];
            z *= 0.5;
        }
        z += m * Sigma(histogram[0] / m);
        return (long)Math.Round(alphaInf * m * m / z, MidpointRounding.AwayFromZero);
    }

    /// <summary>
    /// PFSELFTEST (pfselftestCommand): random values set and read back in every register, then ten million distinct
    /// elements added to a dense HLL and to one that starts sparse, checked at each power of ten for sparse encoding
    /// while small, for both giving the same count, and for an error within six standard errors. Null, or what failed.
    /// Both HLLs are this test's own arrays, so they change in place here.
    /// </summary>
    public static string? SelfTest(Random random, int sparseMaxBytes)
    {
        var dense = new byte[DenseSize];
        "HYLL"u8.CopyTo(dense);
        var expected = new byte[Registers];
        for (int cycle = 0; cycle < 1000; cycle++)
        {
            for (int i = 0; i < Registers; i++)
            {
                expected[i] = (byte)random.Next(RegisterMax + 1);
                SetDense(dense, i, expected[i]);
            }
            for (int i = 0; i < Registers; i++)
                if (GetDense(dense, i) != expected[i])
                    return $"TESTFAILED Register {i} should be {expected[i]} but is {GetDense(dense, i)}";
        }
        Array.Clear(dense, HeaderSize, DenseSize - HeaderSize);
        var hll = Create();
        double relativeError = 1.04 / Math.Sqrt(Registers);
        long checkpoint = 1;
        ulong seed = (ulong)random.NextInt64();
        Span<byte> element = stackalloc byte[8];
        for (long j = 1; j <= 10_000_000; j++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(element, (ulong)j ^ seed);
            int count = PatternLength(element, out int register);
            if (GetDense(dense, register) < count) SetDense(dense, register, count);
            if (!IsDense(hll)) Set(ref hll, register, count, sparseMaxBytes);
            else if (GetDense(hll, register) < count) SetDense(hll, register, count);
            if (j != checkpoint) continue;
            if (j < sparseMaxBytes / 2 && IsDense(hll)) return "TESTFAILED sparse encoding not used";
            long denseCount = Count(dense)!.Value;
            if (denseCount != Count(hll)) return "TESTFAILED dense/sparse disagree";
            long error = Math.Abs(checkpoint - denseCount);
            long maxError = j == 10 ? 1 : (long)Math.Ceiling(relativeError * 6 * checkpoint);
            if (error > maxError) return $"TESTFAILED Too big error. card:{checkpoint} abserr:{error}";
            checkpoint *= 10;
        }
        return null;
    }

    private static double Sigma(double x)
    {
        if (x == 1.0) return double.PositiveInfinity;
        double zPrime, y = 1, z = x;
        do
        {
            x *= x;
            zPrime = z;
            z += x * y;
            y += y;
        } while (zPrime != z);
        return z;
    }

    private static double Tau(double x)
    {
        if (x == 0.0 || x == 1.0) return 0.0;
        double zPrime, y = 1.0, z = 1 - x;
        do
        {
            x = Math.Sqrt(x);
            zPrime = z;
            y *= 0.5;
            z -= Math.Pow(1 - x, 2) * y;
        } while (zPrime != z);
        return z / 3;
    }
}
