using System.Globalization;
using System.Text;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>
/// HSCAN / SSCAN: the whole collection is returned in one call with cursor 0, which SCAN's contract allows
/// (COUNT is a hint; Redis does the same for small encodings). A cursor other than 0 has nothing left to return.
/// </summary>
public static class CollectionScan
{
    public static bool TryCursor(CommandContext c, out ulong cursor)
    {
        if (ulong.TryParse(Encoding.ASCII.GetString(c[2]), NumberStyles.None, CultureInfo.InvariantCulture, out cursor)) return true;
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
