using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>String commands (t_string.c). Values are byte arrays; numbers are parsed from them as Redis does.</summary>
public static class Strings
{
    public static void Register(CommandTable.Builder table) => table
        .Keyed("get", Get)
        .Keyed("set", Set)
        .Keyed("setnx", SetNx)
        .Keyed("setex", SetEx)
        .Keyed("psetex", PSetEx)
        .Keyed("mget", MGet)
        .Keyed("mset", MSet)
        .Keyed("msetnx", MSetNx)
        .Keyed("getset", GetSet)
        .Keyed("getdel", GetDel)
        .Keyed("getex", GetEx)
        .Keyed("append", Append)
        .Keyed("strlen", StrLen)
        .Keyed("incr", c => IncrBy(c, 1))
        .Keyed("decr", c => IncrBy(c, -1))
        .Keyed("incrby", c => IncrByArg(c, negate: false))
        .Keyed("decrby", c => IncrByArg(c, negate: true))
        .Keyed("incrbyfloat", IncrByFloat)
        .Keyed("getrange", GetRange)
        .Keyed("substr", GetRange)
        .Keyed("setrange", SetRange)
        .Keyed("lcs", Lcs.Run);

    /// <summary>The string at <paramref name="key"/>: true with null when missing; false (WRONGTYPE written) for another type.</summary>
    public static bool TryReadString(CommandContext c, byte[] key, out byte[]? value) => c.TryGet(c.Read(key), out value);

    private static void Get(CommandContext c)
    {
        if (!TryReadString(c, c[1], out var value)) return;
        if (value == null) c.Reply.WriteNull();
        else c.Reply.WriteBulk(value);
    }

    [Flags]
    private enum SetFlags { None = 0, Nx = 1, Xx = 2, Get = 4, KeepTtl = 8, Ex = 16, Px = 32, ExAt = 64, PxAt = 128 }

    private static void Set(CommandContext c)
    {
        var flags = SetFlags.None;
        byte[]? expireArg = null;
        for (int i = 3; i < c.Argc; i++)
        {
            var a = c[i];
            bool hasNext = i + 1 < c.Argc;
            const SetFlags anyExpire = SetFlags.Ex | SetFlags.Px | SetFlags.ExAt | SetFlags.PxAt | SetFlags.KeepTtl;
            if (Args.Is(a, "NX") && (flags & SetFlags.Xx) == 0) flags |= SetFlags.Nx;
            else if (Args.Is(a, "XX") && (flags & SetFlags.Nx) == 0) flags |= SetFlags.Xx;
            else if (Args.Is(a, "GET")) flags |= SetFlags.Get;
            else if (Args.Is(a, "KEEPTTL") && (flags & anyExpire) == 0) flags |= SetFlags.KeepTtl;
            else if (hasNext && (flags & anyExpire) == 0 && TryExpireUnit(a, out var unit))
            {
                flags |= unit;
                expireArg = c[++i];
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }

        long expireAt = -1;
        if (expireArg != null && !TryExpireAt(c, flags, expireArg, "set", out expireAt)) return;

        byte[]? old = null;
        if ((flags & SetFlags.Get) != 0 && !TryReadString(c, c[1], out old)) return;
        var existing = c.Write(c[1]);
        if (((flags & SetFlags.Nx) != 0 && existing != null) || ((flags & SetFlags.Xx) != 0 && existing == null))
        {
            if ((flags & SetFlags.Get) != 0) WriteBulkOrNull(c, old);
            else c.Reply.WriteNull();
            return;
        }

        var entry = c.SetValue(c[1], existing, NewValue(existing, c[2], keepOld: (flags & SetFlags.Get) != 0), (flags & SetFlags.KeepTtl) != 0, c.Db);
        c.Notify(KeyspaceEvent.String, "set", c[1]);
        if (expireAt >= 0) SetExpiry(c, entry, expireAt);
        if ((flags & SetFlags.Get) != 0) WriteBulkOrNull(c, old);
        else c.Reply.WriteOk();

        // The journal gets the absolute form, so replay gives the same expiry (t_string.c); without an expiry
        // or GET the command as sent is its own effect, and nothing is allocated for it.
        if (expireAt >= 0) c.Propagate(Cmd.Set, c[1], c[2], Cmd.PxAt, Args.Bytes(expireAt));
        else if (expireAt < 0 && (flags & SetFlags.Get) != 0)
            c.Propagate((flags & SetFlags.KeepTtl) != 0 ? [Cmd.Set, c[1], c[2], Cmd.KeepTtl] : [Cmd.Set, c[1], c[2]]);
    }

    /// <summary>
    /// The array to store: the request's, or, when the key holds a string of the same length, that string's own array
    /// with the new bytes copied in. In a keyspace of many keys every stored value outlives the young generation, so a
    /// new array per SET is garbage the GC copies and a reference from an old entry to a young array it must track:
    /// SET -P 16 -r 1000000 spent 40% of the server's CPU in the GC. A stored array is its key's alone (SETRANGE and
    /// SETBIT change it in place too), and the journal has encoded every command by the time the next one runs.
    /// <paramref name="keepOld"/>: the old value is still to be answered (SET ... GET).
    /// </summary>
    private static byte[] NewValue(Entry? existing, byte[] value, bool keepOld)
    {
        if (keepOld || existing?.Value is not byte[] stored || stored.Length != value.Length || ReferenceEquals(stored, value)) return value;
        value.CopyTo(stored, 0);
        return stored;
    }

    private static bool TryExpireUnit(byte[] arg, out SetFlags unit)
    {
        unit = Args.Is(arg, "EX") ? SetFlags.Ex : Args.Is(arg, "PX") ? SetFlags.Px
            : Args.Is(arg, "EXAT") ? SetFlags.ExAt : Args.Is(arg, "PXAT") ? SetFlags.PxAt : SetFlags.None;
        return unit != SetFlags.None;
    }

    /// <summary>Turns an EX/PX/EXAT/PXAT argument into absolute milliseconds, answering Redis's errors (getExpireMillisecondsOrReply).</summary>
    private static bool TryExpireAt(CommandContext c, SetFlags unit, byte[] arg, string command, out long expireAt)
    {
        expireAt = -1;
        if (!Args.TryInteger(c, arg, out long value)) return false;
        bool seconds = (unit & (SetFlags.Ex | SetFlags.ExAt)) != 0;
        bool relative = (unit & (SetFlags.Ex | SetFlags.Px)) != 0;
        if (value <= 0 || (seconds && value > long.MaxValue / 1000))
        {
            c.Error(RespErrors.InvalidExpireTime(command));
            return false;
        }
        if (seconds) value *= 1000;
        if (relative)
        {
            if (value > long.MaxValue - c.Now)
            {
                c.Error(RespErrors.InvalidExpireTime(command));
                return false;
            }
            value += c.Now;
        }
        expireAt = value;
        return true;
    }

    /// <summary>
    /// SET's and SETEX's expiry, even one already past: Redis 7.0's setGenericCommand does not check, so such a key is
    /// deleted (and its expired event sent) when next touched, as any expired key.
    /// </summary>
    private static void SetExpiry(CommandContext c, Entry entry, long expireAt)
    {
        c.SetExpiry(entry, expireAt);
        c.Notify(KeyspaceEvent.Generic, "expire", entry.Key);
    }

    private static void WriteBulkOrNull(CommandContext c, byte[]? value)
    {
        if (value == null) c.Reply.WriteNull();
        else c.Reply.WriteBulk(value);
    }

    private static void SetNx(CommandContext c)
    {
        if (c.Write(c[1]) != null)
        {
            c.Reply.WriteInteger(0);
            return;
        }
        c.SetValue(c[1], c[2]);
        c.Notify(KeyspaceEvent.String, "set", c[1]);
        c.Reply.WriteInteger(1);
    }

    private static void SetEx(CommandContext c) => SetWithExpire(c, SetFlags.Ex, "setex");
    private static void PSetEx(CommandContext c) => SetWithExpire(c, SetFlags.Px, "psetex");

    private static void SetWithExpire(CommandContext c, SetFlags unit, string name)
    {
        if (!TryExpireAt(c, unit, c[2], name, out long expireAt)) return;
        var entry = c.SetValue(c[1], c[3]);
        c.Notify(KeyspaceEvent.String, "set", c[1]);
        SetExpiry(c, entry, expireAt);
        c.Reply.WriteOk();
        c.Propagate(Cmd.Set, c[1], c[3], Cmd.PxAt, Args.Bytes(expireAt));
    }

    private static void MGet(CommandContext c)
    {
        c.Reply.WriteArrayHeader(c.Argc - 1);
        for (int i = 1; i < c.Argc; i++)
        {
            var entry = c.Read(c[i]);
            if (entry?.Value is byte[] value) c.Reply.WriteBulk(value);
            else c.Reply.WriteNull();
        }
    }

    private static void MSet(CommandContext c)
    {
        if (c.Argc % 2 == 0)
        {
            c.Error(RespErrors.WrongArgs(c.Spec.Name));
            return;
        }
        SetAll(c);
        c.CountChanges((c.Argc - 1) / 2);
        c.Reply.WriteOk();
    }

    private static void MSetNx(CommandContext c)
    {
        if (c.Argc % 2 == 0)
        {
            c.Error(RespErrors.WrongArgs(c.Spec.Name));
            return;
        }
        for (int i = 1; i < c.Argc; i += 2)
        {
            if (c.Write(c[i]) != null)
            {
                c.Reply.WriteInteger(0);
                return;
            }
        }
        SetAll(c);
        c.CountChanges((c.Argc - 1) / 2);
        c.Reply.WriteInteger(1);
    }

    private static void SetAll(CommandContext c)
    {
        for (int i = 1; i < c.Argc; i += 2)
        {
            c.SetValue(c[i], c[i + 1]);
            c.Notify(KeyspaceEvent.String, "set", c[i]);
        }
    }

    private static void GetSet(CommandContext c)
    {
        if (!TryReadString(c, c[1], out var old)) return;
        c.SetValue(c[1], c[2]);
        c.Notify(KeyspaceEvent.String, "set", c[1]);
        WriteBulkOrNull(c, old);
    }

    private static void GetDel(CommandContext c)
    {
        if (!TryReadString(c, c[1], out var old)) return;
        if (old != null)
        {
            c.DeleteAndNotify(c[1]);
            c.Propagate(Cmd.Del, c[1]);
        }
        WriteBulkOrNull(c, old);
    }

    private static void GetEx(CommandContext c)
    {
        var unit = SetFlags.None;
        bool persist = false;
        byte[]? expireArg = null;
        for (int i = 2; i < c.Argc; i++)
        {
            var a = c[i];
            if (Args.Is(a, "PERSIST") && unit == SetFlags.None && !persist) persist = true;
            else if (i + 1 < c.Argc && unit == SetFlags.None && !persist && TryExpireUnit(a, out var u))
            {
                unit = u;
                expireArg = c[++i];
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        var entry = c.Read(c[1]);
        if (!c.TryGet<byte[]>(entry, out var value)) return;
        if (value == null)
        {
            c.Reply.WriteNull();
            return;
        }
        // getexCommand looks the key up before it checks the expiry argument.
        long expireAt = -1;
        if (expireArg != null && !TryExpireAt(c, unit, expireArg, "getex", out expireAt)) return;
        c.Reply.WriteBulk(value);
        if (expireAt >= 0 && expireAt <= c.Now)
        {
            // getexCommand deletes a key given an expiry already past (checkAlreadyExpired), journaled as DEL.
            c.DeleteAndNotify(c[1]);
            c.Propagate(Cmd.Del, c[1]);
        }
        else if (expireAt >= 0)
        {
            SetExpiry(c, entry!, expireAt);
            c.Propagate(Cmd.PExpireAt, c[1], Args.Bytes(expireAt));
        }
        else if (persist && entry!.ExpireAt >= 0)
        {
            c.SetExpiry(entry, -1);
            c.Propagate(Cmd.Persist, c[1]);
            c.Notify(KeyspaceEvent.Generic, "persist", c[1]);
        }
        else c.Propagate([]);
    }

    private static void Append(CommandContext c)
    {
        var entry = c.Write(c[1]);
        if (!c.TryGet<byte[]>(entry, out var value)) return;
        if (value == null)
        {
            c.Add(c[1], c[2]);
            c.Notify(KeyspaceEvent.String, "append", c[1]);
            c.Reply.WriteInteger(c[2].Length);
            return;
        }
        if (!CheckLength(c, value.Length, c[2].Length)) return;
        var joined = new byte[value.Length + c[2].Length];
        value.CopyTo(joined, 0);
        c[2].CopyTo(joined, value.Length);
        entry!.Value = joined;
        entry.Form = StringForm.Raw;
        c.KeyChanged(c[1]);
        c.Notify(KeyspaceEvent.String, "append", c[1]);
        c.Reply.WriteInteger(joined.Length);
    }

    /// <summary>Strings may not grow past proto-max-bulk-len, and size + append must not overflow (checkStringLength).</summary>
    public static bool CheckLength(CommandContext c, long size, long append)
    {
        long total = unchecked(size + append);
        if (total <= c.Config.ProtoMaxBulkLen && total >= size && total >= append) return true;
        c.Error(RespErrors.StringTooLong);
        return false;
    }

    private static void StrLen(CommandContext c)
    {
        if (!TryReadString(c, c[1], out var value)) return;
        c.Reply.WriteInteger(value?.Length ?? 0);
    }

    private static void IncrByArg(CommandContext c, bool negate)
    {
        if (!Args.TryInteger(c, c[2], out long delta)) return;
        if (negate)
        {
            if (delta == long.MinValue)
            {
                c.Error("ERR decrement would overflow");
                return;
            }
            delta = -delta;
        }
        IncrBy(c, delta);
    }

    private static void IncrBy(CommandContext c, long delta)
    {
        var entry = c.Write(c[1]);
        if (!c.TryGet<byte[]>(entry, out var value)) return;
        long current = 0;
        if (value != null && !TryParseStoredInteger(value, out current))
        {
            c.Error(RespErrors.NotInteger);
            return;
        }
        if (!Args.TryAdd(current, delta, out long result))
        {
            c.Error(RespErrors.Overflow);
            return;
        }
        StoreNumber(c, entry, IntegerValue(entry, result), StringForm.Encoded, "incrby");
        c.Reply.WriteInteger(result);
    }

    /// <summary>
    /// The new value of INCR and the like: written into the stored array when it has as many digits, for the reason
    /// <see cref="NewValue"/> gives (a new array per INCR is an old entry's reference to a young array for the GC to
    /// track and copy); otherwise a new array.
    /// </summary>
    private static byte[] IntegerValue(Entry? entry, long value)
    {
        Span<byte> text = stackalloc byte[20];
        System.Buffers.Text.Utf8Formatter.TryFormat(value, text, out int length);
        var bytes = entry?.Value is byte[] stored && stored.Length == length ? stored : new byte[length];
        text[..length].CopyTo(bytes);
        return bytes;
    }

    /// <summary>Stores the result of INCR-like commands at c[1], keeping its expiry (incrDecrCommand replaces the value in place).</summary>
    private static void StoreNumber(CommandContext c, Entry? entry, byte[] value, StringForm form, string eventName)
    {
        entry ??= c.Add(c[1], value);
        entry.Value = value;
        entry.Form = form;
        c.KeyChanged(c[1]);
        c.Notify(KeyspaceEvent.String, eventName, c[1]);
    }

    /// <summary>A stored string read as an integer: at most 20 characters and strictly formatted (getLongLongFromObject).</summary>
    public static bool TryParseStoredInteger(byte[] value, out long result)
    {
        result = 0;
        return value.Length <= 20 && RequestParser.TryParseInteger(value, out result);
    }

    /// <summary>The type, then the stored value, then the increment are checked, in incrbyfloatCommand's order.</summary>
    private static void IncrByFloat(CommandContext c)
    {
        var entry = c.Write(c[1]);
        if (!c.TryGet<byte[]>(entry, out var value)) return;
        var current = default(LongDouble);
        if ((value != null && !LongDouble.TryParse(value, out current)) || !LongDouble.TryParse(c[2], out var increment))
        {
            c.Error(RespErrors.NotFloat);
            return;
        }
        var bytes = AddFloats(c, current, increment);
        if (bytes == null) return;
        StoreNumber(c, entry, bytes, StringForm.Plain, "incrbyfloat");
        c.Reply.WriteBulk(bytes);
        // Replay must not depend on float arithmetic: journal the result (t_string.c incrbyfloatCommand).
        c.Propagate(Cmd.Set, c[1], bytes, Cmd.KeepTtl);
    }

    /// <summary>current + increment in long double, formatted as Redis stores it; null (error written) when not finite.</summary>
    public static byte[]? AddFloats(CommandContext c, LongDouble current, LongDouble increment)
    {
        var sum = current + increment;
        if (sum.IsFinite) return Args.Bytes(sum.ToString());
        c.Error(RespErrors.NaNOrInfinity);
        return null;
    }

    private static void GetRange(CommandContext c)
    {
        if (!Args.TryLong(c[2], out long start) || !Args.TryLong(c[3], out long end))
        {
            c.Error(RespErrors.NotInteger);
            return;
        }
        if (!TryReadString(c, c[1], out var value)) return;
        if (value == null || value.Length == 0 || (start < 0 && end < 0 && start > end))
        {
            c.Reply.WriteBulk(ReadOnlySpan<byte>.Empty);
            return;
        }
        long length = value.Length;
        if (start < 0) start = length + start;
        if (end < 0) end = length + end;
        if (start < 0) start = 0;
        if (end < 0) end = 0;
        if (end >= length) end = length - 1;
        if (start > end) c.Reply.WriteBulk(ReadOnlySpan<byte>.Empty);
        else c.Reply.WriteBulk(value.AsSpan((int)start, (int)(end - start + 1)));
    }

    private static void SetRange(CommandContext c)
    {
        if (!Args.TryInteger(c, c[2], out long offset)) return;
        if (offset < 0)
        {
            c.Error(RespErrors.OffsetOutOfRange);
            return;
        }
        var patch = c[3];
        var entry = c.Write(c[1]);
        if (!c.TryGet<byte[]>(entry, out var value)) return;
        if (value == null)
        {
            if (patch.Length == 0)
            {
                c.Reply.WriteInteger(0);
                c.Propagate([]);
                return;
            }
            if (!CheckLength(c, offset, patch.Length)) return;
            var created = new byte[offset + patch.Length];
            patch.CopyTo(created, offset);
            c.Add(c[1], created).Form = StringForm.Raw;
            c.Notify(KeyspaceEvent.String, "setrange", c[1]);
            c.Reply.WriteInteger(created.Length);
            return;
        }
        if (patch.Length == 0)
        {
            c.Reply.WriteInteger(value.Length);
            c.Propagate([]);
            return;
        }
        if (!CheckLength(c, offset, patch.Length)) return;
        long needed = Math.Max(value.Length, offset + patch.Length);
        var result = needed == value.Length ? value : new byte[needed];
        if (!ReferenceEquals(result, value)) value.CopyTo(result, 0);
        patch.CopyTo(result, offset);
        entry!.Value = result;
        entry.Form = StringForm.Raw;
        c.KeyChanged(c[1]);
        c.Notify(KeyspaceEvent.String, "setrange", c[1]);
        c.Reply.WriteInteger(result.Length);
    }
}
