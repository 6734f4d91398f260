using System.Globalization;
using System.Text;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>
/// HSCAN / SSCAN / ZSCAN: the whole collection is returned in one call with cursor 0, which SCAN's contract allows
/// (COUNT is a hint; Redis does the same for small encodings). A cursor other than 0 has nothing left to return.
/// </summary>
public static class CollectionScan
{
    /// <summary>
    /// Runs a collection scan in Redis's order of checks: the cursor, then the key (missing: an empty scan, whatever the
    /// options), its type, and only then the options. <paramref name="items"/> gives the reply's items (MATCH applied).
    /// </summary>
    public static void Run<T>(CommandContext c, Func<T, byte[]?, List<byte[]>> items) where T : class
    {
        if (!TryCursor(c, c[2], out ulong cursor)) return;
        if (!c.TryGet<T>(c.Read(c[1]), out var value)) return;
        if (value == null)
        {
            Write(c, []);
            return;
        }
        if (!Databases.TryScanOptions(c, 3, out var options, allowType: false)) return;
        Write(c, cursor == 0 ? items(value, options.Pattern) : []);
    }

    /// <summary>
    /// A cursor as Redis reads it (parseScanCursorOrReply, strtoul): an optional sign, then digits, with no overflow;
    /// a minus sign wraps, so "-1" is 2^64-1, a cursor past every key.
    /// </summary>
    public static bool TryCursor(CommandContext c, byte[] arg, out ulong cursor)
    {
        var text = Encoding.ASCII.GetString(arg);
        bool negative = text.StartsWith('-');
        var digits = text.Length > 0 && text[0] is '-' or '+' ? text[1..] : text;
        if (text.Length == 0)
        {
            cursor = 0; // strtoul reads nothing from "", and the end is where it stopped
            return true;
        }
        if (ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out cursor))
        {
            if (negative) cursor = unchecked(0 - cursor);
            return true;
        }
        c.Error("ERR invalid cursor");
        return false;
    }

    public static void Write(CommandContext c, List<byte[]> items)
    {
        c.Reply.WriteArrayHeader(2);
        c.Reply.WriteBulk("0"u8);
        c.Reply.WriteArrayHeader(items.Count);
        foreach (var item in items) c.Reply.WriteBulk(item);
    }
}
