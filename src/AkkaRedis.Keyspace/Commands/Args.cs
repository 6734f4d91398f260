using AkkaRedis.Keyspace.Data;
using System.Globalization;
using System.Text;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>Argument parsing with Redis's rules (util.c string2ll / string2ld).</summary>
public static class Args
{
    /// <summary>Case-insensitive comparison of an argument with an ASCII option name.</summary>
    public static bool Is(byte[] arg, string option)
    {
        if (arg.Length != option.Length) return false;
        for (int i = 0; i < arg.Length; i++)
        {
            int a = arg[i], b = option[i];
            if (a == b) continue;
            if ((a | 0x20) != (b | 0x20) || (a | 0x20) < 'a' || (a | 0x20) > 'z') return false;
        }
        return true;
    }

    public static bool TryLong(byte[] arg, out long value) => RequestParser.TryParseInteger(arg, out value);

    /// <summary>
    /// Parses like Redis's strtod-based getDoubleFromObject: no spaces, no "nan"; "inf" and "-inf" allowed; C's
    /// hexadecimal form ("0x1.8p1"); a literal that overflows to infinity or underflows to zero (ERANGE) refused.
    /// </summary>
    public static bool TryDouble(ReadOnlySpan<byte> arg, out double value)
    {
        value = 0;
        // .NET's number parsing skips trailing NUL characters; strtod stops at the first, which Redis refuses. Any length
        // is taken, as strtod takes it (zset.tcl adds DBL_MAX written out in 327 characters).
        if (arg.IsEmpty || arg.Contains((byte)0)) return false;
        if (IsSpace(arg[0]) || IsSpace(arg[^1])) return false;
        var text = Encoding.ASCII.GetString(arg);
        var lower = text.ToLowerInvariant();
        switch (lower)
        {
            case "inf" or "+inf" or "infinity" or "+infinity": value = double.PositiveInfinity; return true;
            case "-inf" or "-infinity": value = double.NegativeInfinity; return true;
        }
        if (lower.Contains("nan")) return false;
        var unsigned = lower.TrimStart('+', '-');
        bool hex = unsigned.StartsWith("0x");
        if (hex)
        {
            if (!LongDouble.TryParse(arg, out var parsed)) return false;
            value = parsed.ToDouble();
        }
        else if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return false;
        if (double.IsInfinity(value)) return false;
        // Zero from digits that are not all zero underflowed.
        int exponentAt = unsigned.IndexOf(hex ? 'p' : 'e');
        var mantissa = (exponentAt >= 0 ? unsigned[..exponentAt] : unsigned)[(hex ? 2 : 0)..];
        if (value == 0 && mantissa.Any(ch => ch is not ('0' or '.'))) return false;
        return !double.IsNaN(value);
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\v' or (byte)'\f';

    /// <summary>getLongLongFromObjectOrReply: an integer argument, else "value is not an integer or out of range" is answered.</summary>
    public static bool TryInteger(CommandContext c, byte[] arg, out long value)
    {
        if (TryLong(arg, out value)) return true;
        c.Error(RespErrors.NotInteger);
        return false;
    }

    /// <summary>
    /// A database index (SELECT, COPY ... DB, MOVE): an int (getIntFromObjectOrReply: a number beyond an int is "out of
    /// range, value must between ..."), below <paramref name="databases"/>; the error to answer, or null.
    /// </summary>
    public static string? ParseDatabaseIndex(byte[] arg, int databases, out int db)
    {
        db = 0;
        if (!TryLong(arg, out long value)) return RespErrors.NotInteger;
        if (value < int.MinValue || value > int.MaxValue) return RespErrors.NotAnInt;
        if (value < 0 || value >= databases) return RespErrors.DbIndexOutOfRange;
        db = (int)value;
        return null;
    }

    /// <summary>getPositiveLongFromObjectOrReply: a count of 0 or more; anything else, a number or not, is "must be positive".</summary>
    public static bool TryPositive(CommandContext c, byte[] arg, out long value)
    {
        if (TryLong(arg, out value) && value >= 0) return true;
        c.Error(RespErrors.MustBePositive);
        return false;
    }

    /// <summary>a + b, false when it would overflow 64 bits (incrDecrCommand's check).</summary>
    public static bool TryAdd(long a, long b, out long sum)
    {
        sum = unchecked(a + b);
        return !((b < 0 && a < 0 && b < long.MinValue - a) || (b > 0 && a > 0 && b > long.MaxValue - a));
    }

    public static string Text(byte[] arg) => Encoding.UTF8.GetString(arg);

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static byte[] Bytes(long value) => Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Redis's memtoull: a number with an optional k, kb, m, mb, g, gb unit (case-insensitive).</summary>
    public static bool TryMemory(string text, out long bytes)
    {
        bytes = 0;
        var lower = text.ToLowerInvariant();
        (string Suffix, long Multiplier)[] units = [("kb", 1024), ("mb", 1024 * 1024), ("gb", 1024L * 1024 * 1024), ("k", 1000), ("m", 1000 * 1000), ("g", 1000L * 1000 * 1000), ("b", 1)];
        long multiplier = 1;
        foreach (var (suffix, m) in units)
        {
            if (lower.EndsWith(suffix, StringComparison.Ordinal))
            {
                lower = lower[..^suffix.Length];
                multiplier = m;
                break;
            }
        }
        if (!long.TryParse(lower, NumberStyles.None, CultureInfo.InvariantCulture, out long n)) return false;
        if (n > long.MaxValue / multiplier) return false;
        bytes = n * multiplier;
        return true;
    }
}
