using System.Text;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>Where the key search starts: at a fixed index, after a keyword, or unknown (found by the command itself).</summary>
public sealed record KeySearch(int Position, string? Word, int StartFrom)
{
    public static KeySearch Index(int position) => new(position, null, 0);
    public static KeySearch Keyword(string keyword, int startFrom) => new(0, keyword, startFrom);
    public static readonly KeySearch Unknown = new(-1, null, 0);
}

/// <summary>How many keys follow the start: a range (last key relative, step, limit), a count argument, or unknown.</summary>
public sealed record KeyFind(bool IsRange, int LastKey, int Step, int Limit, int KeyNumIndex, int FirstKey)
{
    public static KeyFind Range(int lastKey, int step, int limit) => new(true, lastKey, step, limit, 0, 0);
    public static KeyFind KeyNum(int keyNumIndex, int firstKey, int step) => new(false, 0, step, 0, keyNumIndex, firstKey);
    public static readonly KeyFind Unknown = new(false, 0, 0, 0, -1, 0);
}

/// <summary>One key specification of a command (Redis 7 key specs), with its flags (RO, RW, OW, ACCESS, ...).</summary>
public sealed record KeySpec(KeySearch Search, KeyFind Find, string Flags)
{
    /// <summary>Flagged not_key: what it finds is routed like a key (SPUBLISH's shard channel) but is not one.</summary>
    public bool IsNotKey { get; } = Flags.Contains("not_key");

    /// <summary>Adds the argument positions of the keys this spec finds, as Redis's getKeysUsingKeySpecs does.
    /// Returns false when the arguments do not hold the keys the spec promises (a count out of range).</summary>
    public bool AddKeyPositions(byte[][] args, List<int> positions)
    {
        int argc = args.Length;
        int first;
        if (Search.Word != null)
        {
            var keyword = Encoding.ASCII.GetBytes(Search.Word);
            int start = Search.StartFrom >= 0 ? Search.StartFrom : argc + Search.StartFrom;
            int step = Search.StartFrom >= 0 ? 1 : -1;
            first = -1;
            for (int i = start; i >= 1 && i < argc; i += step)
            {
                if (Ascii.EqualsIgnoreCase(args[i], keyword))
                {
                    first = i + 1;
                    break;
                }
            }
            if (first < 0) return true;
        }
        else if (Search.Position > 0) first = Search.Position;
        else return true;

        if (Find.IsRange)
        {
            int last = Find.LastKey >= 0 ? first + Find.LastKey : argc + Find.LastKey;
            if (Find.Limit >= 2) last = first + (last - first) / Find.Limit;
            for (int i = first; i <= last && i < argc; i += Math.Max(1, Find.Step)) positions.Add(i);
            return true;
        }
        if (Find.KeyNumIndex >= 0)
        {
            int countAt = first + Find.KeyNumIndex;
            if (countAt >= argc) return false;
            if (!Protocol.RequestParser.TryParseInteger(args[countAt], out long count) || count < 0) return false;
            int keysFrom = first + Find.FirstKey;
            // More keys than arguments is checked first: a count near long.MaxValue would overflow the second test.
            if (count > argc || keysFrom + (count - 1) * Find.Step >= argc) return false;
            for (long k = 0; k < count; k++) positions.Add(keysFrom + (int)k * Find.Step);
        }
        return true;
    }
}
