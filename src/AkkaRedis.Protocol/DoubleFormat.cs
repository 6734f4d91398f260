using System.Globalization;

namespace AkkaRedis.Protocol;

/// <summary>Formats doubles as Redis does in replies.</summary>
public static class DoubleFormat
{
    /// <summary>Redis 7.0's addReplyDouble: "inf", "-inf", "nan", else printf("%.17g").</summary>
    public static string Format(double value)
    {
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";
        if (double.IsNaN(value)) return "nan";
        return FormatG17(value);
    }

    /// <summary>C's %.17g: 17 significant digits, trailing zeros removed, exponent form outside 1e-5..1e17.</summary>
    public static string FormatG17(double value)
    {
        if (value == 0) return double.IsNegative(value) ? "-0" : "0";
        string e = value.ToString("E16", CultureInfo.InvariantCulture); // d.ddddddddddddddddE+xxx
        int ePos = e.IndexOf('E');
        int exponent = int.Parse(e.AsSpan(ePos + 1), CultureInfo.InvariantCulture);
        bool negative = e[0] == '-';
        string digits = e.Substring(negative ? 1 : 0, ePos - (negative ? 1 : 0)).Replace(".", "");
        string sign = negative ? "-" : "";
        if (exponent < -4 || exponent >= 17)
        {
            string mantissa = digits[..1];
            string fraction = digits[1..].TrimEnd('0');
            if (fraction.Length > 0) mantissa += "." + fraction;
            return $"{sign}{mantissa}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
        }
        string result;
        if (exponent >= 0)
        {
            string intPart = digits[..(exponent + 1)];
            string frac = digits[(exponent + 1)..].TrimEnd('0');
            result = frac.Length > 0 ? intPart + "." + frac : intPart;
        }
        else
        {
            string frac = (new string('0', -exponent - 1) + digits).TrimEnd('0');
            result = "0." + frac;
        }
        return sign + result;
    }
}
