using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN], as t_string.c's lcsCommand (same table, same walk, same ranges).</summary>
public static class Lcs
{
    public static void Run(CommandContext c)
    {
        var ea = c.Read(c[1]);
        var eb = c.Read(c[2]);
        if ((ea != null && ea.Value is not byte[]) || (eb != null && eb.Value is not byte[]))
        {
            c.Error("ERR The specified keys must contain string values");
            return;
        }
        var a = ea?.Value as byte[] ?? [];
        var b = eb?.Value as byte[] ?? [];
        bool getIdx = false, getLen = false, withMatchLen = false;
        long minMatchLen = 0;
        for (int j = 3; j < c.Argc; j++)
        {
            bool more = j + 1 < c.Argc;
            if (Args.Is(c[j], "IDX")) getIdx = true;
            else if (Args.Is(c[j], "LEN")) getLen = true;
            else if (Args.Is(c[j], "WITHMATCHLEN")) withMatchLen = true;
            else if (Args.Is(c[j], "MINMATCHLEN") && more)
            {
                if (!Args.TryInteger(c, c[j + 1], out minMatchLen)) return;
                if (minMatchLen < 0) minMatchLen = 0;
                j++;
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        if (getIdx && getLen)
        {
            c.Error(RespErrors.LcsBothLenIdx);
            return;
        }
        int alen = a.Length, blen = b.Length;
        long cells = (long)(alen + 1) * (blen + 1);
        if (cells * sizeof(uint) > c.Config.ProtoMaxBulkLen || cells > Array.MaxLength)
        {
            c.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
            return;
        }
        var lcs = new uint[cells];
        int width = blen + 1;
        for (int i = 1; i <= alen; i++)
            for (int jj = 1; jj <= blen; jj++)
                lcs[i * width + jj] = a[i - 1] == b[jj - 1]
                    ? lcs[(i - 1) * width + jj - 1] + 1
                    : Math.Max(lcs[(i - 1) * width + jj], lcs[i * width + jj - 1]);

        uint total = lcs[alen * width + blen];
        var result = new byte[total];
        var ranges = new List<(long A0, long A1, long B0, long B1, long Len)>();
        int idx = (int)total, x = alen, y = blen;
        long aStart = alen, aEnd = 0, bStart = 0, bEnd = 0;
        bool computeLcs = !getIdx && !getLen;
        while ((computeLcs || getIdx) && x > 0 && y > 0)
        {
            bool emit = false;
            if (a[x - 1] == b[y - 1])
            {
                result[idx - 1] = a[x - 1];
                if (aStart == alen)
                {
                    aStart = x - 1; aEnd = x - 1; bStart = y - 1; bEnd = y - 1;
                }
                else if (aStart == x && bStart == y)
                {
                    aStart--; bStart--;
                }
                else emit = true;
                if (aStart == 0 || bStart == 0) emit = true;
                idx--; x--; y--;
            }
            else
            {
                uint up = lcs[(x - 1) * width + y], left = lcs[x * width + y - 1];
                if (up > left) x--; else y--;
                if (aStart != alen) emit = true;
            }
            long matchLen = aEnd - aStart + 1;
            if (emit)
            {
                if (minMatchLen == 0 || matchLen >= minMatchLen) ranges.Add((aStart, aEnd, bStart, bEnd, matchLen));
                aStart = alen;
            }
        }

        var reply = c.Reply;
        if (getIdx)
        {
            reply.WriteMapHeader(2);
            reply.WriteBulk("matches"u8);
            reply.WriteArrayHeader(ranges.Count);
            foreach (var r in ranges)
            {
                reply.WriteArrayHeader(withMatchLen ? 3 : 2);
                reply.WriteArrayHeader(2);
                reply.WriteInteger(r.A0);
                reply.WriteInteger(r.A1);
                reply.WriteArrayHeader(2);
                reply.WriteInteger(r.B0);
                reply.WriteInteger(r.B1);
                if (withMatchLen) reply.WriteInteger(r.Len);
            }
            reply.WriteBulk("len"u8);
            reply.WriteInteger(total);
        }
        else if (getLen) reply.WriteInteger(total);
        else reply.WriteBulk(result);
    }
}
