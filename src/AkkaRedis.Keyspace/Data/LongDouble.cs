using System.Globalization;
using System.Numerics;
using System.Text;

namespace AkkaRedis.Keyspace.Data;

/// <summary>
/// Redis's INCRBYFLOAT and HINCRBYFLOAT compute in C's long double (x87 80-bit: a 64-bit mantissa) and print
/// with "%.17Lf", trailing zeros removed. A double would print 10.5+0.1 as 10.59999999999999964 where Redis
/// prints 10.6, so this emulates the 64-bit mantissa exactly: value = Mantissa * 2^Exponent, every result
/// rounded half to even, as the FPU does.
/// </summary>
public readonly struct LongDouble
{
    private const int MantissaBits = 64;
    /// <summary>A long double is below 2^16384: with a 64-bit mantissa the largest exponent of its lowest bit is 16320.</summary>
    private const int MaxExponent = 16384 - MantissaBits;
    /// <summary>The smallest normal long double is 2^-16382, so its lowest mantissa bit is 2^-16445.</summary>
    private const int MinExponent = -16382 - MantissaBits + 1;

    public readonly BigInteger Mantissa;
    public readonly int Exponent;
    public readonly bool IsInfinity;

    private LongDouble(BigInteger mantissa, int exponent, bool infinity = false)
    {
        Mantissa = mantissa;
        Exponent = exponent;
        IsInfinity = infinity;
    }

    /// <summary>Parses as strtold does for the forms Redis accepts (decimal and "0x" hexadecimal): no spaces, no "nan", no
    /// literal beyond the range of a long double; "inf" is allowed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out LongDouble value)
    {
        value = default;
        // .NET's number parsing skips trailing NUL characters; strtold stops at the first, which Redis refuses.
        if (text.IsEmpty || text.Length > 5000 || text.Contains((byte)0)) return false;
        var s = Encoding.ASCII.GetString(text);
        if (char.IsWhiteSpace(s[0]) || char.IsWhiteSpace(s[^1])) return false;
        var lower = s.ToLowerInvariant();
        bool negative = lower.StartsWith('-');
        var body = lower.TrimStart('+', '-');
        if (lower.Length - body.Length > 1) return false;
        if (body is "inf" or "infinity")
        {
            value = new LongDouble(negative ? -1 : 1, 0, true);
            return true;
        }
        // strtold's two forms: decimal digits with "e" and a power of ten, or "0x", hex digits with "p" and a power of two.
        bool hex = body.StartsWith("0x");
        if (hex) body = body[2..];
        char marker = hex ? 'p' : 'e';
        int e = body.IndexOf(marker);
        string digits = e >= 0 ? body[..e] : body;
        int exponent = 0;
        if (e >= 0 && !int.TryParse(body[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent)) return false;
        int dot = digits.IndexOf('.');
        string intPart = dot >= 0 ? digits[..dot] : digits;
        string fracPart = dot >= 0 ? digits[(dot + 1)..] : "";
        Func<char, bool> isDigit = hex ? char.IsAsciiHexDigit : char.IsAsciiDigit;
        if (intPart.Length + fracPart.Length == 0 || !intPart.All(isDigit) || !fracPart.All(isDigit)) return false;
        var numerator = BigInteger.Parse("0" + intPart + fracPart, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture);
        if (numerator.IsZero) return true;
        // value = numerator * radix^exponent, a hex fraction digit being four binary places.
        int radix = hex ? 2 : 10;
        exponent -= hex ? 4 * fracPart.Length : fracPart.Length;
        if (Math.Abs(exponent) > (hex ? 20000 : 6000)) return false;
        var scale = BigInteger.Pow(radix, Math.Abs(exponent));
        if (negative) numerator = -numerator;
        return InRange(exponent >= 0 ? FromRatio(numerator * scale, BigInteger.One) : FromRatio(numerator, scale), out value);
    }

    /// <summary>A literal that overflows or underflows sets ERANGE in strtold, and Redis's string2ld refuses it.</summary>
    private static bool InRange(LongDouble parsed, out LongDouble value)
    {
        value = parsed;
        return !parsed.IsInfinity && parsed.Exponent >= MinExponent;
    }

    public static LongDouble FromLong(long value) => FromRatio(value, BigInteger.One);

    /// <summary>The nearest double (infinity past a double's range).</summary>
    public double ToDouble()
    {
        if (IsInfinity) return Mantissa.Sign < 0 ? double.NegativeInfinity : double.PositiveInfinity;
        return Math.ScaleB((double)Mantissa, Exponent);
    }

    /// <summary>numerator / denominator rounded to a 64-bit mantissa, half to even.</summary>
    private static LongDouble FromRatio(BigInteger numerator, BigInteger denominator)
    {
        if (numerator.IsZero) return default;
        int sign = numerator.Sign;
        numerator = BigInteger.Abs(numerator);
        long shift = (long)(numerator.GetBitLength() - denominator.GetBitLength()) - MantissaBits;
        while (true)
        {
            BigInteger num = numerator, den = denominator;
            if (shift < 0) num <<= (int)-shift;
            else den <<= (int)shift;
            var quotient = BigInteger.DivRem(num, den, out var remainder);
            int compare = (remainder * 2).CompareTo(den);
            if (compare > 0 || (compare == 0 && !quotient.IsEven)) quotient += 1;
            long bits = (long)quotient.GetBitLength();
            if (bits > MantissaBits) { shift++; continue; }
            if (bits < MantissaBits) { shift--; continue; }
            if (shift > MaxExponent) return new LongDouble(sign, 0, true);
            return new LongDouble(sign * quotient, (int)shift);
        }
    }

    public static LongDouble operator +(LongDouble a, LongDouble b)
    {
        if (a.IsInfinity || b.IsInfinity)
        {
            if (a.IsInfinity && b.IsInfinity && a.Mantissa.Sign != b.Mantissa.Sign) return new LongDouble(0, 0, true); // NaN, reported as not finite
            return a.IsInfinity ? a : b;
        }
        if (a.Mantissa.IsZero) return b;
        if (b.Mantissa.IsZero) return a;
        int low = Math.Min(a.Exponent, b.Exponent);
        var sum = (a.Mantissa << (a.Exponent - low)) + (b.Mantissa << (b.Exponent - low));
        if (sum.IsZero) return default;
        return low >= 0 ? FromRatio(sum << low, BigInteger.One) : FromRatio(sum, BigInteger.One << -low);
    }

    public bool IsFinite => !IsInfinity;

    /// <summary>printf("%.17Lf") with trailing zeros and a trailing '.' removed (Redis's ld2string, humanfriendly).</summary>
    public override string ToString()
    {
        if (IsInfinity) return Mantissa.Sign < 0 ? "-inf" : "inf";
        var magnitude = BigInteger.Abs(Mantissa);
        BigInteger scaled;
        var ten17 = BigInteger.Pow(10, 17);
        if (Exponent >= 0) scaled = (magnitude << Exponent) * ten17;
        else
        {
            var num = magnitude * ten17;
            var den = BigInteger.One << -Exponent;
            scaled = BigInteger.DivRem(num, den, out var remainder);
            int compare = (remainder * 2).CompareTo(den);
            if (compare > 0 || (compare == 0 && !scaled.IsEven)) scaled += 1;
        }
        var digits = scaled.ToString(CultureInfo.InvariantCulture).PadLeft(18, '0');
        var text = digits[..^17] + "." + digits[^17..];
        text = text.TrimEnd('0').TrimEnd('.');
        // A negative value that prints as 0 is "0", not "-0" (ld2string gets rid of negative zero).
        return (Mantissa.Sign < 0 && text != "0" ? "-" : "") + text;
    }
}
