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
    private const int MaxExponent = 16384;

    public readonly BigInteger Mantissa;
    public readonly int Exponent;
    public readonly bool IsInfinity;

    private LongDouble(BigInteger mantissa, int exponent, bool infinity = false)
    {
        Mantissa = mantissa;
        Exponent = exponent;
        IsInfinity = infinity;
    }

    /// <summary>Parses as strtold does for the decimal forms Redis accepts: no spaces, no "nan"; "inf" is allowed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out LongDouble value)
    {
        value = default;
        if (text.IsEmpty || text.Length > 5000) return false;
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
        int e = body.IndexOf('e');
        string digits = e >= 0 ? body[..e] : body;
        int exp10 = 0;
        if (e >= 0 && !int.TryParse(body[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exp10)) return false;
        int dot = digits.IndexOf('.');
        string intPart = dot >= 0 ? digits[..dot] : digits;
        string fracPart = dot >= 0 ? digits[(dot + 1)..] : "";
        if (intPart.Length + fracPart.Length == 0) return false;
        if (!intPart.All(char.IsAsciiDigit) || !fracPart.All(char.IsAsciiDigit)) return false;
        var numerator = BigInteger.Parse("0" + intPart + fracPart, CultureInfo.InvariantCulture);
        exp10 -= fracPart.Length;
        if (Math.Abs(exp10) > 6000) return exp10 > 0 && !numerator.IsZero ? Infinite(negative, out value) : Zero(out value);
        BigInteger denominator = BigInteger.One;
        if (exp10 >= 0) numerator *= BigInteger.Pow(10, exp10);
        else denominator = BigInteger.Pow(10, -exp10);
        value = FromRatio(negative ? -numerator : numerator, denominator);
        return true;
    }

    private static bool Infinite(bool negative, out LongDouble value)
    {
        value = new LongDouble(negative ? -1 : 1, 0, true);
        return true;
    }

    private static bool Zero(out LongDouble value)
    {
        value = default;
        return true;
    }

    public static LongDouble FromLong(long value) => FromRatio(value, BigInteger.One);

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
        return (Mantissa.Sign < 0 ? "-" : "") + text;
    }
}
