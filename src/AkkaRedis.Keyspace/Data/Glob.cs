namespace AkkaRedis.Keyspace.Data;

/// <summary>Redis's stringmatchlen: glob matching with * ? [abc] [^a] [a-z] and \ escapes, byte by byte.</summary>
public static class Glob
{
    public static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, bool noCase = false)
    {
        bool skipLongerMatches = false;
        return Match(pattern, text, noCase, ref skipLongerMatches);
    }

    /// <param name="skipLongerMatches">
    /// Set when the rest of the pattern after a '*' matched nowhere in the rest of the text: then no earlier '*' can
    /// make it match by taking more, and the search ends (Redis's fix for exponential patterns like "a*a*a*...b").
    /// </param>
    private static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, bool noCase, ref bool skipLongerMatches)
    {
        int p = 0, s = 0;
        while (p < pattern.Length && s < text.Length)
        {
            switch (pattern[p])
            {
                case (byte)'*':
                    while (p + 1 < pattern.Length && pattern[p + 1] == '*') p++;
                    if (p + 1 == pattern.Length) return true;
                    for (int i = s; i < text.Length; i++)
                    {
                        if (Match(pattern[(p + 1)..], text[i..], noCase, ref skipLongerMatches)) return true;
                        if (skipLongerMatches) return false;
                    }
                    skipLongerMatches = true;
                    return false;
                case (byte)'?':
                    s++;
                    break;
                case (byte)'[':
                {
                    p++;
                    bool not = p < pattern.Length && pattern[p] == '^';
                    if (not) p++;
                    bool match = false;
                    while (true)
                    {
                        if (p >= pattern.Length) { p--; break; }
                        if (pattern[p] == '\\' && p + 1 < pattern.Length)
                        {
                            p++;
                            if (Same(pattern[p], text[s], noCase)) match = true;
                        }
                        else if (pattern[p] == ']') break;
                        else if (p + 2 < pattern.Length && pattern[p + 1] == '-')
                        {
                            int start = pattern[p], end = pattern[p + 2], c = text[s];
                            if (start > end) (start, end) = (end, start);
                            if (noCase) { start = Lower(start); end = Lower(end); c = Lower(c); }
                            p += 2;
                            if (c >= start && c <= end) match = true;
                        }
                        else if (Same(pattern[p], text[s], noCase)) match = true;
                        p++;
                    }
                    if (not) match = !match;
                    if (!match) return false;
                    s++;
                    break;
                }
                case (byte)'\\':
                    if (p + 1 < pattern.Length) p++;
                    goto default;
                default:
                    if (!Same(pattern[p], text[s], noCase)) return false;
                    s++;
                    break;
            }
            p++;
            if (s == text.Length)
            {
                while (p < pattern.Length && pattern[p] == '*') p++;
                break;
            }
        }
        return p == pattern.Length && s == text.Length;
    }

    private static int Lower(int c) => c is >= 'A' and <= 'Z' ? c | 0x20 : c;
    private static bool Same(byte a, byte b, bool noCase) => noCase ? Lower(a) == Lower(b) : a == b;
}
