using System.Globalization;
using System.Text;

namespace AkkaRedis.Protocol;

/// <summary>Bytes quoted as Redis's sdscatrepr quotes them (MONITOR lines, configuration errors and rewrites).</summary>
public static class SdsRepr
{
    /// <summary>Appends <paramref name="bytes"/> in double quotes, escaping \ " \n \r \t \a \b and any byte outside printable ASCII as \xHH.</summary>
    public static StringBuilder Append(StringBuilder text, ReadOnlySpan<byte> bytes)
    {
        text.Append('"');
        foreach (byte b in bytes)
        {
            switch (b)
            {
                case (byte)'\\': text.Append("\\\\"); break;
                case (byte)'"': text.Append("\\\""); break;
                case (byte)'\n': text.Append("\\n"); break;
                case (byte)'\r': text.Append("\\r"); break;
                case (byte)'\t': text.Append("\\t"); break;
                case 7: text.Append("\\a"); break;
                case 8: text.Append("\\b"); break;
                default:
                    if (b >= 0x20 && b <= 0x7E) text.Append((char)b);
                    else text.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
                    break;
            }
        }
        return text.Append('"');
    }
}
