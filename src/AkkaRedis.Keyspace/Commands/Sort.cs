using System.Globalization;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
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

    /// <summary>SORT's options, as sortCommandGeneric reads them.</summary>
    private sealed class Options
    {
        public bool Desc, Alpha, DontSort;
        public long LimitStart, LimitCount = -1;
        public byte[]? StoreKey, SortBy;
        public readonly List<byte[]> Gets = [];
    }

    private static void Run(CommandContext c, bool readOnly)
    {
        if (!TryOptions(c, readOnly, out var options)) return;
        var entry = c.Read(c[1]);
        if (entry != null && entry.Value is not (RedisList or RedisSet or RedisSortedSet))
        {
            c.Error(RespErrors.WrongType);
            return;
        }
        if (entry?.Value is RedisSortedSet zset) zset.ConvertToSkiplist();
        // A set has no order of its own: sorted anyway when stored or in a script, so the result is the same everywhere.
        if (options.DontSort && entry?.Value is RedisSet && (options.StoreKey != null || c.InScript))
        {
            options.DontSort = false;
            options.Alpha = true;
            options.SortBy = null;
        }
        var elements = Elements(entry?.Value, options, out long start, out long end);
        if (!options.DontSort)
        {
            var ordered = Ordered(c, elements, options);
            if (ordered == null) return;
            elements = ordered;
        }
        var output = new List<byte[]?>();
        for (long j = start; j <= end; j++)
        {
            var element = elements[(int)j].Value;
            if (options.Gets.Count == 0) output.Add(element);
            foreach (var pattern in options.Gets) output.Add(Lookup(c, pattern, element));
        }
        if (options.StoreKey is { } storeKey) Store(c, storeKey, output);
        else
        {
            c.Reply.WriteArrayHeader(output.Count);
            foreach (var value in output)
            {
                if (value == null) c.Reply.WriteNull();
                else c.Reply.WriteBulk(value);
            }
        }
    }

    private static bool TryOptions(CommandContext c, bool readOnly, out Options options)
    {
        options = new Options();
        for (int j = 2; j < c.Argc; j++)
        {
            int left = c.Argc - j - 1;
            if (Args.Is(c[j], "ASC")) options.Desc = false;
            else if (Args.Is(c[j], "DESC")) options.Desc = true;
            else if (Args.Is(c[j], "ALPHA")) options.Alpha = true;
            else if (Args.Is(c[j], "LIMIT") && left >= 2)
            {
                if (!Args.TryInteger(c, c[j + 1], out options.LimitStart) || !Args.TryInteger(c, c[j + 2], out options.LimitCount)) return false;
                j += 2;
            }
            else if (!readOnly && Args.Is(c[j], "STORE") && left >= 1) options.StoreKey = c[++j];
            else if (Args.Is(c[j], "BY") && left >= 1)
            {
                options.SortBy = c[++j];
                if (Array.IndexOf(options.SortBy, (byte)'*') < 0) options.DontSort = true;
                else if (c.Config.Cluster)
                {
                    c.Error("ERR BY option of SORT denied in Cluster mode.");
                    return false;
                }
            }
            else if (Args.Is(c[j], "GET") && left >= 1)
            {
                if (c.Config.Cluster)
                {
                    c.Error("ERR GET option of SORT denied in Cluster mode.");
                    return false;
                }
                options.Gets.Add(c[++j]);
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return false;
            }
        }
        return true;
    }

    /// <summary>The elements to sort, and the range LIMIT selects of them (already applied to an unsorted list).</summary>
    private static List<Item> Elements(object? value, Options options, out long start, out long end)
    {
        var list = value as RedisList;
        var set = value as RedisSet;
        var zset = value as RedisSortedSet;
        long length = list?.Count ?? set?.Count ?? zset?.Count ?? 0;
        start = options.LimitStart < 0 ? 0 : options.LimitStart;
        end = options.LimitCount < 0 ? length - 1 : start + options.LimitCount - 1;
        if (start >= length)
        {
            start = length - 1;
            end = length - 2;
        }
        if (end >= length) end = length - 1;
        if ((list == null && zset == null) || !options.DontSort)
            return (list?.Items ?? set?.Members ?? zset?.Ascending().Select(n => n.Member) ?? []).Select(v => new Item(v)).ToList();
        // The list's own order, or the sorted set's by score (reversed by DESC), and only the range LIMIT asks for.
        var items = new List<Item>();
        if (zset != null) items.AddRange(zset.Range(start, end, options.Desc).Select(n => new Item(n.Member)));
        else
        {
            int count = (int)(end - start + 1);
            foreach (var item in options.Desc ? list!.Backwards((int)(length - 1 - start), count) : list!.Range((int)start, count))
                items.Add(new Item(item.ToArray()));
        }
        end -= start;
        start = 0;
        return items;
    }

    /// <summary>The items sorted by score (the element or its BY value read as a double) or ALPHA; null (error written) for a bad score.</summary>
    private static List<Item>? Ordered(CommandContext c, List<Item> items, Options options)
    {
        foreach (var item in items)
        {
            var by = options.SortBy != null ? Lookup(c, options.SortBy, item.Value) : item.Value;
            if (by == null) continue;
            if (options.Alpha)
            {
                if (options.SortBy != null) item.By = by;
            }
            else if (!TryStrtod(by, out item.Score))
            {
                c.Error("ERR One or more scores can't be converted into double");
                return null;
            }
        }
        Comparison<Item> compare = options.Alpha
            ? options.SortBy != null ? (a, b) => CompareNullable(a.By, b.By) : (a, b) => a.Value.AsSpan().SequenceCompareTo(b.Value)
            : (a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : a.Value.AsSpan().SequenceCompareTo(b.Value);
        var comparer = Comparer<Item>.Create(compare);
        return (options.Desc ? items.OrderDescending(comparer) : items.Order(comparer)).ToList();
    }

    /// <summary>STORE: the result as a list (missing GET values as empty strings), or no key when it is empty.</summary>
    private static void Store(CommandContext c, byte[] storeKey, List<byte[]?> output)
    {
        if (output.Count > 0)
        {
            var stored = new RedisList();
            foreach (var value in output) stored.PushBack(value ?? []);
            c.SetValue(storeKey, stored);
            c.Notify(KeyspaceEvent.List, "sortstore", storeKey);
            c.Propagate(Cmd.Del, storeKey);
            c.Propagate([Cmd.RPush, storeKey, .. stored.Items]);
            c.CountChanges(output.Count); // sortCommandGeneric: dirty += outputlen
        }
        else if (c.DeleteAndNotify(storeKey)) c.Propagate(Cmd.Del, storeKey);
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
