using System.Globalization;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>
/// SORT and SORT_RO (sort.c) over lists and sets: numeric or ALPHA, ASC or DESC, LIMIT, BY and GET patterns ("*"
/// replaced by the element, "->field" for a hash field, GET # for the element) and STORE. Patterns name keys anywhere,
/// so SORT runs with every shard held; in cluster mode BY and GET patterns are refused, as Redis Cluster refuses them.
/// STORE is journaled as its result (DEL and RPUSH of the destination), so a replay needs no other key.
/// </summary>
public static class Sort
{
    public static void Register(CommandTable.Builder table) => table
        .Add("sort", CommandRoute.AllShards, c => Run(c, readOnly: false), SortKeys)
        .AllShards("sort_ro", c => Run(c, readOnly: true));

    /// <summary>sortGetKeys: the sorted key, and the last STORE destination (skipping the arguments of other options).</summary>
    private static List<int> SortKeys(byte[][] args)
    {
        var positions = new List<int> { 1 };
        int store = -1;
        for (int i = 2; i < args.Length; i++)
        {
            if (Args.Is(args[i], "LIMIT")) i += 2;
            else if (Args.Is(args[i], "GET") || Args.Is(args[i], "BY")) i += 1;
            else if (Args.Is(args[i], "STORE") && i + 1 < args.Length) store = ++i;
        }
        if (store > 0) positions.Add(store);
        return positions;
    }

    private sealed class Item(byte[] value)
    {
        public readonly byte[] Value = value;
        public double Score;
        public byte[]? By;
    }

    private static void Run(CommandContext c, bool readOnly)
    {
        bool desc = false, alpha = false, dontSort = false;
        long limitStart = 0, limitCount = -1;
        byte[]? storeKey = null, sortBy = null;
        var gets = new List<byte[]>();
        for (int j = 2; j < c.Argc; j++)
        {
            int left = c.Argc - j - 1;
            if (Args.Is(c[j], "ASC")) desc = false;
            else if (Args.Is(c[j], "DESC")) desc = true;
            else if (Args.Is(c[j], "ALPHA")) alpha = true;
            else if (Args.Is(c[j], "LIMIT") && left >= 2)
            {
                if (!Args.TryInteger(c, c[j + 1], out limitStart) || !Args.TryInteger(c, c[j + 2], out limitCount)) return;
                j += 2;
            }
            else if (!readOnly && Args.Is(c[j], "STORE") && left >= 1) storeKey = c[++j];
            else if (Args.Is(c[j], "BY") && left >= 1)
            {
                sortBy = c[++j];
                if (Array.IndexOf(sortBy, (byte)'*') < 0) dontSort = true;
                else if (c.Config.Cluster)
                {
                    c.Error("ERR BY option of SORT denied in Cluster mode.");
                    return;
                }
            }
            else if (Args.Is(c[j], "GET") && left >= 1)
            {
                if (c.Config.Cluster)
                {
                    c.Error("ERR GET option of SORT denied in Cluster mode.");
                    return;
                }
                gets.Add(c[++j]);
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }

        var entry = c.Read(c[1]);
        if (entry != null && entry.Value is not (RedisList or RedisSet))
        {
            c.Error(RespErrors.WrongType);
            return;
        }
        var list = entry?.Value as RedisList;
        var set = entry?.Value as RedisSet;
        // A set has no order of its own: sorted anyway when stored or in a script, so the result is the same everywhere.
        if (dontSort && set != null && (storeKey != null || c.InScript))
        {
            dontSort = false;
            alpha = true;
            sortBy = null;
        }

        long length = list?.Count ?? set?.Count ?? 0;
        long start = limitStart < 0 ? 0 : limitStart;
        long end = limitCount < 0 ? length - 1 : start + limitCount - 1;
        if (start >= length)
        {
            start = length - 1;
            end = length - 2;
        }
        if (end >= length) end = length - 1;

        List<Item> items;
        if (list != null && dontSort)
        {
            // The list's own order (reversed by DESC), and only the range LIMIT asks for.
            items = [];
            for (long i = start; i <= end; i++) items.Add(new Item(list[(int)(desc ? length - 1 - i : i)]));
            end -= start;
            start = 0;
        }
        else items = (list?.Items ?? set?.Members ?? []).Select(v => new Item(v)).ToList();

        if (!dontSort)
        {
            foreach (var item in items)
            {
                var by = sortBy != null ? Lookup(c, sortBy, item.Value) : item.Value;
                if (by == null) continue;
                if (alpha)
                {
                    if (sortBy != null) item.By = by;
                }
                else if (!TryStrtod(by, out item.Score))
                {
                    c.Error("ERR One or more scores can't be converted into double");
                    return;
                }
            }
            Comparison<Item> compare = alpha
                ? sortBy != null ? (a, b) => CompareNullable(a.By, b.By) : (a, b) => a.Value.AsSpan().SequenceCompareTo(b.Value)
                : (a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : a.Value.AsSpan().SequenceCompareTo(b.Value);
            items = desc ? items.OrderByDescending(i => i, Comparer<Item>.Create(compare)).ToList() : items.Order(Comparer<Item>.Create(compare)).ToList();
        }

        var output = new List<byte[]?>();
        for (long j = start; j <= end; j++)
        {
            var element = items[(int)j].Value;
            if (gets.Count == 0) output.Add(element);
            foreach (var pattern in gets) output.Add(Lookup(c, pattern, element));
        }
        if (storeKey == null)
        {
            c.Reply.WriteArrayHeader(output.Count);
            foreach (var value in output)
            {
                if (value == null) c.Reply.WriteNull();
                else c.Reply.WriteBulk(value);
            }
            return;
        }
        if (output.Count > 0)
        {
            var stored = new RedisList();
            foreach (var value in output) stored.PushBack(value ?? []);
            c.SetValue(storeKey, stored);
            c.Propagate(Cmd.Del, storeKey);
            c.Propagate([Cmd.RPush, storeKey, .. stored.Items]);
        }
        else if (c.Delete(storeKey)) c.Propagate(Cmd.Del, storeKey);
        c.Reply.WriteInteger(output.Count);
    }

    /// <summary>Missing BY values sort first under ALPHA (sortCompare's NULL rule).</summary>
    private static int CompareNullable(byte[]? a, byte[]? b) =>
        a == null || b == null ? (a == b ? 0 : a == null ? -1 : 1) : a.AsSpan().SequenceCompareTo(b);

    /// <summary>
    /// lookupKeyByPattern: "#" is the element itself; otherwise the first "*" is replaced by the element, and a
    /// "->field" after it reads that field of a hash. Null when there is no "*", no such key, or the wrong type.
    /// </summary>
    private static byte[]? Lookup(CommandContext c, byte[] pattern, byte[] element)
    {
        if (pattern is [(byte)'#']) return element;
        int star = Array.IndexOf(pattern, (byte)'*');
        if (star < 0) return null;
        var rest = pattern.AsSpan(star + 1);
        int arrow = rest.IndexOf("->"u8);
        byte[]? field = arrow >= 0 && arrow + 2 < rest.Length ? rest[(arrow + 2)..].ToArray() : null;
        var suffix = field != null ? rest[..arrow] : rest;
        byte[] key = [.. pattern.AsSpan(0, star), .. element, .. suffix];
        var found = c.Read(key);
        if (found == null) return null;
        if (field != null) return found.Value is RedisHash hash ? hash.Get(field) : null;
        return found.Value as byte[];
    }

    /// <summary>C's strtod as SORT uses it: leading spaces allowed, the whole rest a number, not NaN, not out of range.</summary>
    private static bool TryStrtod(byte[] text, out double score)
    {
        score = 0;
        var s = System.Text.Encoding.Latin1.GetString(text).TrimStart(' ', '\t', '\n', '\v', '\f', '\r');
        if (s.Length == 0) return text.Length == 0; // strtod reads nothing: fine at the end of "", not before a space
        var body = s.TrimStart('+', '-');
        if (s.Length - body.Length > 1) return false;
        bool negative = s[0] == '-';
        if (body.Equals("inf", StringComparison.OrdinalIgnoreCase) || body.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            score = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        if (body.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            if (!LongDouble.TryParse(text.AsSpan(text.Length - s.Length), out var hex)) return false;
            score = double.Parse(hex.ToString(), CultureInfo.InvariantCulture);
            return true;
        }
        if (body.Length == 0 || !(char.IsAsciiDigit(body[0]) || body[0] == '.')) return false;
        if (!double.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out score)) return false;
        // Overflow and underflow set ERANGE in strtod.
        int e = body.IndexOfAny(['e', 'E']);
        bool nonZeroDigits = (e < 0 ? body : body[..e]).Any(ch => ch is >= '1' and <= '9');
        return double.IsFinite(score) && (score != 0 || !nonZeroDigits);
    }
}
