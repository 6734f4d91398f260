using System.Numerics;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>Bit commands on strings (bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.</summary>
public static class Bits
{
    public static void Register(CommandTable.Builder table) => table
        .Keyed("setbit", SetBit)
        .Keyed("getbit", GetBit)
        .Keyed("bitcount", BitCount)
        .Keyed("bitpos", BitPos)
        .Keyed("bitop", BitOp)
        .Keyed("bitfield", c => BitField(c, readOnlyCommand: false))
        .Keyed("bitfield_ro", c => BitField(c, readOnlyCommand: true));

    /// <summary>getBitOffsetFromArgument: an integer (or #n, times the field width), below proto-max-bulk-len bytes.</summary>
    private static bool TryBitOffset(CommandContext c, byte[] arg, int fieldBits, out long offset)
    {
        bool hash = fieldBits > 0 && arg.Length > 0 && arg[0] == '#';
        offset = 0;
        if (!RequestParser.TryParseInteger(hash ? arg.AsSpan(1) : arg, out offset) || (hash && offset > long.MaxValue / fieldBits))
        {
            c.Error(RespErrors.BitOffset);
            return false;
        }
        if (hash) offset *= fieldBits;
        if (offset < 0 || (offset >> 3) >= c.Config.ProtoMaxBulkLen)
        {
            c.Error(RespErrors.BitOffset);
            return false;
        }
        return true;
    }

    /// <summary>
    /// lookupStringForBitCommand: the string, created or zero-extended to hold bit <paramref name="maxBit"/>;
    /// <paramref name="grown"/> when it was (Redis's dirty: the command then changed the key whatever it writes).
    /// </summary>
    private static bool TryStringForWrite(CommandContext c, long maxBit, out Entry entry, out bool grown)
    {
        grown = false;
        entry = c.Write(c[1])!;
        if (entry != null && entry.Value is not byte[])
        {
            c.Error(RespErrors.WrongType);
            return false;
        }
        long needed = (maxBit >> 3) + 1;
        if (entry == null)
        {
            entry = c.Add(c[1], new byte[needed]);
            grown = true;
        }
        else if (((byte[])entry.Value).Length < needed)
        {
            var longer = new byte[needed];
            ((byte[])entry.Value).CopyTo(longer, 0);
            entry.Value = longer;
            grown = true;
        }
        entry.Form = StringForm.Raw;
        return true;
    }

    private static void SetBit(CommandContext c)
    {
        if (!TryBitOffset(c, c[2], 0, out long offset)) return;
        if (c[3].Length != 1 || (c[3][0] != '0' && c[3][0] != '1'))
        {
            c.Error(RespErrors.BitValue);
            return;
        }
        if (!TryStringForWrite(c, offset, out var entry, out bool grown)) return;
        var bytes = (byte[])entry.Value;
        int index = (int)(offset >> 3);
        int mask = 1 << (7 - (int)(offset & 7));
        int old = (bytes[index] & mask) != 0 ? 1 : 0;
        if (grown || old != c[3][0] - '0')
        {
            if (c[3][0] == '1') bytes[index] |= (byte)mask;
            else bytes[index] &= (byte)~mask;
            c.KeyChanged(c[1]);
            c.Notify(KeyspaceEvent.String, "setbit", c[1]);
        }
        c.Reply.WriteInteger(old);
    }

    private static void GetBit(CommandContext c)
    {
        if (!TryBitOffset(c, c[2], 0, out long offset)) return;
        if (!Strings.TryReadString(c, c[1], out var value)) return;
        long index = offset >> 3;
        int bit = value != null && index < value.Length && (value[index] & (1 << (7 - (int)(offset & 7)))) != 0 ? 1 : 0;
        c.Reply.WriteInteger(bit);
    }

    /// <summary>The byte range [start, end] and edge masks for a BYTE or BIT range, as bitcountCommand / bitposCommand compute them.</summary>
    private static void Normalize(ref long start, ref long end, long totalLength, bool isBit, out int firstMask, out int lastMask)
    {
        firstMask = lastMask = 0;
        if (start < 0) start = totalLength + start;
        if (end < 0) end = totalLength + end;
        if (start < 0) start = 0;
        if (end < 0) end = 0;
        if (end >= totalLength) end = totalLength - 1;
        if (isBit && start <= end)
        {
            firstMask = ~((1 << (8 - (int)(start & 7))) - 1) & 0xFF;
            lastMask = (1 << (7 - (int)(end & 7))) - 1;
            start >>= 3;
            end >>= 3;
        }
    }

    private static bool TryUnit(CommandContext c, byte[] arg, out bool isBit)
    {
        isBit = Args.Is(arg, "BIT");
        if (isBit || Args.Is(arg, "BYTE")) return true;
        c.Error(RespErrors.Syntax);
        return false;
    }

    private static void BitCount(CommandContext c)
    {
        if (!Strings.TryReadString(c, c[1], out var value)) return;
        if (value == null)
        {
            c.Reply.WriteInteger(0);
            return;
        }
        long start, end;
        bool isBit = false;
        int firstMask = 0, lastMask = 0;
        if (c.Argc is 4 or 5)
        {
            if (!Args.TryLong(c[2], out start) || !Args.TryLong(c[3], out end))
            {
                c.Error(RespErrors.NotInteger);
                return;
            }
            if (start < 0 && end < 0 && start > end)
            {
                c.Reply.WriteInteger(0);
                return;
            }
            if (c.Argc == 5 && !TryUnit(c, c[4], out isBit)) return;
            Normalize(ref start, ref end, isBit ? (long)value.Length * 8 : value.Length, isBit, out firstMask, out lastMask);
        }
        else if (c.Argc == 2)
        {
            start = 0;
            end = value.Length - 1;
        }
        else
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        if (start > end)
        {
            c.Reply.WriteInteger(0);
            return;
        }
        long count = PopCount(value.AsSpan((int)start, (int)(end - start + 1)));
        if (firstMask != 0) count -= BitOperations.PopCount((uint)(value[start] & firstMask));
        if (lastMask != 0) count -= BitOperations.PopCount((uint)(value[end] & lastMask));
        c.Reply.WriteInteger(count);
    }

    private static long PopCount(ReadOnlySpan<byte> bytes)
    {
        long count = 0;
        while (bytes.Length >= 8)
        {
            count += BitOperations.PopCount(BitConverter.ToUInt64(bytes));
            bytes = bytes[8..];
        }
        foreach (var b in bytes) count += BitOperations.PopCount(b);
        return count;
    }

    /// <summary>redisBitpos: the first bit equal to <paramref name="bit"/>; for 0 with none found, the bit after the range; for 1, -1.</summary>
    private static long FirstBit(ReadOnlySpan<byte> bytes, int bit)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            int b = bit == 1 ? bytes[i] : ~bytes[i] & 0xFF;
            if (b != 0) return (long)i * 8 + BitOperations.LeadingZeroCount((uint)b) - 24;
        }
        return bit == 1 ? -1 : (long)bytes.Length * 8;
    }

    private static void BitPos(CommandContext c)
    {
        if (!Args.TryInteger(c, c[2], out long bitArg)) return;
        if (bitArg is not (0 or 1))
        {
            c.Error("ERR The bit argument must be 1 or 0.");
            return;
        }
        int bit = (int)bitArg;
        var entry = c.Read(c[1]);
        if (entry == null)
        {
            c.Reply.WriteInteger(bit == 1 ? -1 : 0);
            return;
        }
        if (!c.TryGet<byte[]>(entry, out var p)) return;
        long start, end;
        bool isBit = false, endGiven = false;
        int firstMask = 0, lastMask = 0;
        if (c.Argc is 4 or 5 or 6)
        {
            long total = p!.Length;
            if (!Args.TryInteger(c, c[3], out start)) return;
            if (c.Argc == 6 && !TryUnit(c, c[5], out isBit)) return;
            if (c.Argc >= 5)
            {
                if (!Args.TryInteger(c, c[4], out end)) return;
                endGiven = true;
            }
            else end = isBit ? (total << 3) + 7 : total - 1;
            if (isBit) total <<= 3;
            Normalize(ref start, ref end, total, isBit, out firstMask, out lastMask);
        }
        else if (c.Argc == 3)
        {
            start = 0;
            end = p!.Length - 1;
        }
        else
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        if (start > end)
        {
            c.Reply.WriteInteger(-1);
            return;
        }

        long bytes = end - start + 1;
        long pos = -1;
        Span<byte> one = stackalloc byte[1];
        bool done = false;
        if (firstMask != 0)
        {
            int tmp = bit == 1 ? p[start] & ~firstMask : p[start] | firstMask;
            if (lastMask != 0 && bytes == 1) tmp = bit == 1 ? tmp & ~lastMask : tmp | lastMask;
            one[0] = (byte)tmp;
            pos = FirstBit(one, bit);
            if (bytes == 1 || (pos != -1 && pos != 8)) done = true;
            else
            {
                start++;
                bytes--;
            }
        }
        if (!done)
        {
            long current = bytes - (lastMask != 0 ? 1 : 0);
            if (current > 0)
            {
                pos = FirstBit(p.AsSpan((int)start, (int)current), bit);
                if (bytes == current || (pos != -1 && pos != current << 3)) done = true;
                else
                {
                    start += current;
                    bytes -= current;
                }
            }
            if (!done)
            {
                int tmp = bit == 1 ? p[end] & ~lastMask : p[end] | lastMask;
                one[0] = (byte)tmp;
                pos = FirstBit(one, bit);
            }
        }
        if (endGiven && bit == 0 && pos == bytes << 3)
        {
            c.Reply.WriteInteger(-1);
            return;
        }
        if (pos != -1) pos += start << 3;
        c.Reply.WriteInteger(pos);
    }

    private static void BitOp(CommandContext c)
    {
        var op = c[1];
        int kind = Args.Is(op, "AND") ? 0 : Args.Is(op, "OR") ? 1 : Args.Is(op, "XOR") ? 2 : Args.Is(op, "NOT") ? 3 : -1;
        if (kind < 0)
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        if (kind == 3 && c.Argc != 4)
        {
            c.Error(RespErrors.BitopNotSingleSource);
            return;
        }
        var sources = new byte[c.Argc - 3][];
        int maxLength = 0;
        for (int i = 3; i < c.Argc; i++)
        {
            var entry = c.Read(c[i]);
            if (entry == null) sources[i - 3] = [];
            else if (entry.Value is byte[] bytes) sources[i - 3] = bytes;
            else
            {
                c.Error(RespErrors.WrongType);
                return;
            }
            maxLength = Math.Max(maxLength, sources[i - 3].Length);
        }
        var result = new byte[maxLength];
        for (int j = 0; j < maxLength; j++)
        {
            int output = j < sources[0].Length ? sources[0][j] : 0;
            if (kind == 3) output = ~output;
            for (int i = 1; i < sources.Length; i++)
            {
                int b = j < sources[i].Length ? sources[i][j] : 0;
                output = kind switch { 0 => output & b, 1 => output | b, _ => output ^ b };
            }
            result[j] = (byte)output;
        }
        if (maxLength == 0)
        {
            if (c.DeleteAndNotify(c[2])) c.Propagate(Cmd.Del, c[2]);
            else c.Propagate([]);
        }
        else
        {
            c.SetValue(c[2], result).Form = StringForm.Raw;
            c.Notify(KeyspaceEvent.String, "set", c[2]);
            c.Propagate(Cmd.Set, c[2], result);
        }
        c.Reply.WriteInteger(maxLength);
    }

    private enum Overflow { Wrap, Sat, Fail }
    private enum FieldOp { Get, Set, IncrBy }
    private readonly record struct FieldCommand(FieldOp Op, bool Signed, int Bits, long Offset, long Value, Overflow Overflow);

    private static bool TryFieldType(CommandContext c, byte[] arg, out bool signed, out int bits)
    {
        signed = false;
        bits = 0;
        if (arg.Length >= 2 && (arg[0] | 0x20) is 'i' or 'u' && RequestParser.TryParseInteger(arg.AsSpan(1), out long width))
        {
            signed = (arg[0] | 0x20) == 'i';
            if (width >= 1 && ((signed && width <= 64) || (!signed && width <= 63)))
            {
                bits = (int)width;
                return true;
            }
        }
        c.Error(RespErrors.InvalidBitfieldType);
        return false;
    }

    private static void BitField(CommandContext c, bool readOnlyCommand)
    {
        var ops = new List<FieldCommand>();
        var overflow = Overflow.Wrap;
        bool readOnly = true;
        long highestWrite = 0;
        for (int j = 2; j < c.Argc; j++)
        {
            int remaining = c.Argc - j - 1;
            var sub = c[j];
            FieldOp op;
            if (Args.Is(sub, "GET") && remaining >= 2) op = FieldOp.Get;
            else if (Args.Is(sub, "SET") && remaining >= 3) op = FieldOp.Set;
            else if (Args.Is(sub, "INCRBY") && remaining >= 3) op = FieldOp.IncrBy;
            else if (Args.Is(sub, "OVERFLOW") && remaining >= 1)
            {
                var type = c[++j];
                if (Args.Is(type, "WRAP")) overflow = Overflow.Wrap;
                else if (Args.Is(type, "SAT")) overflow = Overflow.Sat;
                else if (Args.Is(type, "FAIL")) overflow = Overflow.Fail;
                else
                {
                    c.Error(RespErrors.BitfieldOverflowType);
                    return;
                }
                continue;
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
            if (!TryFieldType(c, c[j + 1], out bool signed, out int bits)) return;
            if (!TryBitOffset(c, c[j + 2], bits, out long offset)) return;
            long value = 0;
            if (op != FieldOp.Get)
            {
                readOnly = false;
                if (!Args.TryInteger(c, c[j + 3], out value)) return;
                highestWrite = Math.Max(highestWrite, offset + bits - 1);
            }
            ops.Add(new FieldCommand(op, signed, bits, offset, value, overflow));
            j += op == FieldOp.Get ? 2 : 3;
        }

        byte[]? data;
        Entry? entry = null;
        bool grown = false;
        if (readOnly)
        {
            if (!Strings.TryReadString(c, c[1], out data)) return;
        }
        else
        {
            if (readOnlyCommand)
            {
                c.Error(RespErrors.BitfieldRoOnlyGet);
                return;
            }
            if (!TryStringForWrite(c, highestWrite, out entry, out grown)) return;
            data = (byte[])entry.Value;
        }

        c.Reply.WriteArrayHeader(ops.Count);
        int changes = 0;
        foreach (var op in ops)
        {
            if (op.Op == FieldOp.Get)
            {
                ulong raw = ReadField(data ?? [], op.Offset, op.Bits);
                c.Reply.WriteInteger(op.Signed ? SignExtend(raw, op.Bits) : (long)raw);
                continue;
            }
            ulong oldRaw = ReadField(data!, op.Offset, op.Bits);
            bool failed;
            long reply;
            ulong newRaw;
            if (op.Signed)
            {
                long old = SignExtend(oldRaw, op.Bits);
                long incr = op.Op == FieldOp.IncrBy ? op.Value : 0;
                long start = op.Op == FieldOp.IncrBy ? old : op.Value;
                bool overflowed = SignedOverflow(start, incr, op.Bits, op.Overflow, out long limited);
                long result = overflowed ? limited : unchecked(start + incr);
                failed = overflowed && op.Overflow == Overflow.Fail;
                reply = op.Op == FieldOp.IncrBy ? result : old;
                newRaw = (ulong)result;
            }
            else
            {
                long incr = op.Op == FieldOp.IncrBy ? op.Value : 0;
                ulong start = op.Op == FieldOp.IncrBy ? oldRaw : (ulong)op.Value;
                bool overflowed = UnsignedOverflow(start, incr, op.Bits, op.Overflow, out ulong limited);
                ulong result = overflowed ? limited : unchecked(start + (ulong)incr);
                failed = overflowed && op.Overflow == Overflow.Fail;
                reply = op.Op == FieldOp.IncrBy ? (long)result : (long)oldRaw;
                newRaw = result;
            }
            if (failed) c.Reply.WriteNull();
            else
            {
                c.Reply.WriteInteger(reply);
                WriteField(data!, op.Offset, op.Bits, newRaw);
                ulong mask = op.Bits == 64 ? ulong.MaxValue : (1UL << op.Bits) - 1;
                if (grown || (newRaw & mask) != oldRaw) changes++;
            }
        }
        if (changes == 0) return;
        c.KeyChanged(c[1]);
        c.Notify(KeyspaceEvent.String, "setbit", c[1]);
        c.CountChanges(changes);
    }

    private static ulong ReadField(byte[] data, long offset, int bits)
    {
        ulong value = 0;
        for (int j = 0; j < bits; j++)
        {
            long bitIndex = offset + j;
            long byteIndex = bitIndex >> 3;
            int bit = byteIndex < data.Length && (data[byteIndex] & (1 << (7 - (int)(bitIndex & 7)))) != 0 ? 1 : 0;
            value = (value << 1) | (uint)bit;
        }
        return value;
    }

    private static void WriteField(byte[] data, long offset, int bits, ulong value)
    {
        for (int j = 0; j < bits; j++)
        {
            int bit = (int)((value >> (bits - 1 - j)) & 1);
            long bitIndex = offset + j;
            int mask = 1 << (7 - (int)(bitIndex & 7));
            if (bit == 1) data[bitIndex >> 3] |= (byte)mask;
            else data[bitIndex >> 3] &= (byte)~mask;
        }
    }

    private static long SignExtend(ulong raw, int bits)
    {
        if (bits < 64 && (raw & (1UL << (bits - 1))) != 0) raw |= ulong.MaxValue << bits;
        return (long)raw;
    }

    /// <summary>checkSignedBitfieldOverflow from bitops.c.</summary>
    private static bool SignedOverflow(long value, long incr, int bits, Overflow type, out long limit)
    {
        limit = 0;
        long max = bits == 64 ? long.MaxValue : (1L << (bits - 1)) - 1;
        long min = -max - 1;
        long maxIncr = unchecked((long)((ulong)max - (ulong)value));
        long minIncr = unchecked(min - value);
        int direction = 0;
        if (value > max || (bits != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr)) direction = 1;
        else if (value < min || (bits != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr)) direction = -1;
        if (direction == 0) return false;
        if (type == Overflow.Wrap)
        {
            ulong msb = 1UL << (bits - 1);
            ulong sum = unchecked((ulong)value + (ulong)incr);
            if (bits < 64)
            {
                ulong mask = ulong.MaxValue << bits;
                sum = (sum & msb) != 0 ? sum | mask : sum & ~mask;
            }
            limit = (long)sum;
        }
        else if (type == Overflow.Sat) limit = direction > 0 ? max : min;
        return true;
    }

    /// <summary>checkUnsignedBitfieldOverflow from bitops.c.</summary>
    private static bool UnsignedOverflow(ulong value, long incr, int bits, Overflow type, out ulong limit)
    {
        limit = 0;
        ulong max = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        long maxIncr = unchecked((long)(max - value));
        long minIncr = unchecked(-(long)value);
        int direction = 0;
        if (value > max || (incr > 0 && incr > maxIncr)) direction = 1;
        else if (incr < 0 && incr < minIncr) direction = -1;
        if (direction == 0) return false;
        if (type == Overflow.Wrap) limit = unchecked(value + (ulong)incr) & ~(ulong.MaxValue << bits);
        else if (type == Overflow.Sat) limit = direction > 0 ? max : 0;
        return true;
    }
}
