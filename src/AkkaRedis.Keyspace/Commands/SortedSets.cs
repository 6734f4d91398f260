using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;
using Node = AkkaRedis.Keyspace.Data.RedisSortedSet.Node;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>
/// Sorted set commands (t_zset.c), with Redis 7.0's options, replies and errors. Every write is deterministic, so the
/// journal gets each as sent, except the pops over several keys and the blocking ones (ZMPOP, BZPOPMIN, BZPOPMAX,
/// BZMPOP), journaled as the ZPOPMIN/ZPOPMAX they did (as Redis rewrites them).
/// </summary>
public static class SortedSets
{
    public static void Register(CommandTable.Builder table) => table
        .Keyed("zadd", c => ZAdd(c, 2, forceIncr: false))
        .Keyed("zincrby", c => ZAdd(c, 2, forceIncr: true))
        .Keyed("zrem", ZRem)
        .Keyed("zcard", c => WithZset(c, z => c.Reply.WriteInteger(z?.Count ?? 0)))
        .Keyed("zscore", c => WithZset(c, z => WriteScoreOrNull(c, z, c[2])))
        .Keyed("zmscore", ZMScore)
        .Keyed("zrank", c => ZRank(c, reverse: false))
        .Keyed("zrevrank", c => ZRank(c, reverse: true))
        .Keyed("zcount", c => ZCount(c, RangeKind.Score))
        .Keyed("zlexcount", c => ZCount(c, RangeKind.Lex))
        .Keyed("zrange", c => ZRange(c, 1, RangeKind.Auto, Direction.Auto, store: false))
        .Keyed("zrangestore", c => ZRange(c, 2, RangeKind.Auto, Direction.Auto, store: true))
        .Keyed("zrevrange", c => ZRange(c, 1, RangeKind.Rank, Direction.Reverse, store: false))
        .Keyed("zrangebyscore", c => ZRange(c, 1, RangeKind.Score, Direction.Forward, store: false))
        .Keyed("zrevrangebyscore", c => ZRange(c, 1, RangeKind.Score, Direction.Reverse, store: false))
        .Keyed("zrangebylex", c => ZRange(c, 1, RangeKind.Lex, Direction.Forward, store: false))
        .Keyed("zrevrangebylex", c => ZRange(c, 1, RangeKind.Lex, Direction.Reverse, store: false))
        .Keyed("zremrangebyrank", c => ZRemRange(c, RangeKind.Rank))
        .Keyed("zremrangebyscore", c => ZRemRange(c, RangeKind.Score))
        .Keyed("zremrangebylex", c => ZRemRange(c, RangeKind.Lex))
        .Keyed("zpopmin", c => ZPop(c, max: false))
        .Keyed("zpopmax", c => ZPop(c, max: true))
        .Keyed("zmpop", ZMPop)
        .Keyed("bzpopmin", c => BlockingCommands.Run(c, x => BZPop(x, max: false)))
        .Keyed("bzpopmax", c => BlockingCommands.Run(c, x => BZPop(x, max: true)))
        .Keyed("bzmpop", c => BlockingCommands.Run(c, BZMPop))
        .Keyed("zrandmember", ZRandMember)
        .Keyed("zscan", ZScan)
        .Keyed("zunion", c => Combine(c, Operation.Union, 1, null))
        .Keyed("zinter", c => Combine(c, Operation.Inter, 1, null))
        .Keyed("zdiff", c => Combine(c, Operation.Diff, 1, null))
        .Keyed("zunionstore", c => Combine(c, Operation.Union, 2, c[1]))
        .Keyed("zinterstore", c => Combine(c, Operation.Inter, 2, c[1]))
        .Keyed("zdiffstore", c => Combine(c, Operation.Diff, 2, c[1]))
        .Keyed("zintercard", c => Combine(c, Operation.Inter, 1, null, cardinalityOnly: true));

    private static void WithZset(CommandContext c, Action<RedisSortedSet?> action)
    {
        if (c.TryGet<RedisSortedSet>(c.Read(c[1]), out var zset)) action(zset);
    }

    private static void WriteScoreOrNull(CommandContext c, RedisSortedSet? zset, byte[] member)
    {
        if (zset != null && zset.TryGetScore(member, out double score)) c.Reply.WriteDouble(score);
        else c.Reply.WriteNull();
    }

    /// <summary>Members with their scores: flat in RESP2, [member, score] pairs in RESP3 (as zrange's result handler).</summary>
    private static void WriteElements(CommandContext c, IReadOnlyCollection<Node> nodes, bool withScores)
    {
        bool pairs = withScores && c.Reply.Resp3;
        c.Reply.WriteArrayHeader(pairs || !withScores ? nodes.Count : nodes.Count * 2L);
        foreach (var node in nodes)
        {
            if (pairs) c.Reply.WriteArrayHeader(2);
            c.Reply.WriteBulk(node.Member);
            if (withScores) c.Reply.WriteDouble(node.Score);
        }
    }

    /// <summary>A sorted set made for <paramref name="size"/> members starting with <paramref name="first"/>, by Redis's encoding rule.</summary>
    private static RedisSortedSet Create(CommandContext c, int size, byte[] first) =>
        RedisSortedSet.For(size, first.Length, c.Config.ZsetMaxListpackEntries, c.Config.ZsetMaxListpackValue);

    /// <summary>Adds or moves a member, converting the encoding as Redis would.</summary>
    private static void Put(CommandContext c, RedisSortedSet zset, byte[] member, double score) =>
        zset.Set(member, score, c.Config.ZsetMaxListpackEntries, c.Config.ZsetMaxListpackValue);

    // ZADD / ZINCRBY (zaddGenericCommand).

    [Flags]
    private enum AddFlags { None = 0, Nx = 1, Xx = 2, Gt = 4, Lt = 8, Ch = 16, Incr = 32 }

    /// <summary>ZADD on the command's arguments (GEOADD hands over its points this way).</summary>
    internal static void Add(CommandContext c) => ZAdd(c, 2, forceIncr: false);

    private static void ZAdd(CommandContext c, int scoreIndex, bool forceIncr)
    {
        if (!TryAddArguments(c, ref scoreIndex, forceIncr, out var flags, out var scores)) return;
        var entry = c.Write(c[1]);
        if (!c.TryGet<RedisSortedSet>(entry, out var zset)) return;
        bool incr = (flags & AddFlags.Incr) != 0;
        if (zset == null && (flags & AddFlags.Xx) == 0) zset = Create(c, scores.Length, c[scoreIndex + 1]);
        long added = 0, updated = 0, processed = 0;
        double newScore = 0;
        for (int i = 0; zset != null && i < scores.Length; i++)
        {
            var outcome = AddOne(c, zset, c[scoreIndex + 2 * i + 1], scores[i], flags, out double score);
            if (outcome == AddOutcome.NotANumber)
            {
                if (added + updated > 0) Added(c, entry, zset, incr);
                c.CountChanges(0); // zaddGenericCommand leaves the dirty counter alone on this error
                c.Error("ERR resulting score is not a number (NaN)");
                return;
            }
            if (outcome == AddOutcome.Skipped) continue;
            processed++;
            newScore = score;
            if (outcome == AddOutcome.Added) added++;
            else if (outcome == AddOutcome.Updated) updated++;
        }
        if (added + updated > 0) Added(c, entry, zset!, incr);
        c.CountChanges(added + updated);
        if (!incr) c.Reply.WriteInteger((flags & AddFlags.Ch) != 0 ? added + updated : added);
        else if (processed > 0) c.Reply.WriteDouble(newScore);
        else c.Reply.WriteNull();
    }

    private static void Added(CommandContext c, Entry? entry, RedisSortedSet zset, bool incr)
    {
        c.Store(c[1], entry, zset, zset.Count);
        c.Notify(KeyspaceEvent.Zset, incr ? "zincr" : "zadd", c[1]);
    }

    /// <summary>ZADD's options, then score-member pairs, checked as Redis checks them (every score before any change).</summary>
    private static bool TryAddArguments(CommandContext c, ref int scoreIndex, bool forceIncr, out AddFlags flags, out double[] scores)
    {
        flags = forceIncr ? AddFlags.Incr : AddFlags.None;
        scores = [];
        for (; !forceIncr && scoreIndex < c.Argc; scoreIndex++)
        {
            var option = c[scoreIndex];
            if (Args.Is(option, "NX")) flags |= AddFlags.Nx;
            else if (Args.Is(option, "XX")) flags |= AddFlags.Xx;
            else if (Args.Is(option, "GT")) flags |= AddFlags.Gt;
            else if (Args.Is(option, "LT")) flags |= AddFlags.Lt;
            else if (Args.Is(option, "CH")) flags |= AddFlags.Ch;
            else if (Args.Is(option, "INCR")) flags |= AddFlags.Incr;
            else break;
        }
        int arguments = c.Argc - scoreIndex;
        var set = flags;
        bool Has(AddFlags flag) => (set & flag) != 0;
        string? error =
            arguments % 2 != 0 || arguments == 0 ? RespErrors.Syntax
            : Has(AddFlags.Nx) && Has(AddFlags.Xx) ? "ERR XX and NX options at the same time are not compatible"
            : (Has(AddFlags.Gt) || Has(AddFlags.Lt)) && Has(AddFlags.Nx) || Has(AddFlags.Gt) && Has(AddFlags.Lt) ? "ERR GT, LT, and/or NX options at the same time are not compatible"
            : Has(AddFlags.Incr) && arguments > 2 ? "ERR INCR option supports a single increment-element pair"
            : null;
        if (error != null)
        {
            c.Error(error);
            return false;
        }
        scores = new double[arguments / 2];
        for (int i = 0; i < scores.Length; i++)
        {
            if (Args.TryDouble(c[scoreIndex + 2 * i], out scores[i])) continue;
            c.Error(RespErrors.NotFloat);
            return false;
        }
        return true;
    }

    private enum AddOutcome { Skipped, Added, Updated, Unchanged, NotANumber }

    /// <summary>zsetAdd: one member under NX/XX/GT/LT/INCR; <paramref name="score"/> gets its score after (INCR's sum).</summary>
    private static AddOutcome AddOne(CommandContext c, RedisSortedSet zset, byte[] member, double increment, AddFlags flags, out double score)
    {
        score = increment;
        if (!zset.TryGetScore(member, out double current))
        {
            if ((flags & AddFlags.Xx) != 0) return AddOutcome.Skipped;
            Put(c, zset, member, score);
            return AddOutcome.Added;
        }
        if ((flags & AddFlags.Nx) != 0) return AddOutcome.Skipped;
        if ((flags & AddFlags.Incr) != 0)
        {
            score += current;
            if (double.IsNaN(score)) return AddOutcome.NotANumber;
        }
        if (((flags & AddFlags.Gt) != 0 && score <= current) || ((flags & AddFlags.Lt) != 0 && score >= current)) return AddOutcome.Skipped;
        if (score == current) return AddOutcome.Unchanged;
        Put(c, zset, member, score);
        return AddOutcome.Updated;
    }

    private static void ZRem(CommandContext c) =>
        c.RemoveMembers<RedisSortedSet>((value, member) => value.Remove(member), value => value.Count, KeyspaceEvent.Zset, "zrem");

    private static void ZMScore(CommandContext c) => WithZset(c, z =>
    {
        c.Reply.WriteArrayHeader(c.Argc - 2);
        for (int i = 2; i < c.Argc; i++) WriteScoreOrNull(c, z, c[i]);
    });

    private static void ZRank(CommandContext c, bool reverse) => WithZset(c, z =>
    {
        long rank = z?.RankOf(c[2]) ?? -1;
        if (rank < 0) c.Reply.WriteNull();
        else c.Reply.WriteInteger(reverse ? z!.Count - 1 - rank : rank);
    });

    // Ranges (zslParseRange, zslParseLexRange) and the ranks they cover.

    private enum RangeKind { Auto, Rank, Score, Lex }
    private enum Direction { Auto, Forward, Reverse }

    private const string NotFloatRange = "ERR min or max is not a float";
    private const string NotLexRange = "ERR min or max not valid string range item";

    /// <summary>A parsed min/max pair: the ranks of the elements inside are <see cref="Ranks"/>.</summary>
    private readonly record struct Range(RangeKind Kind, long Start, long End, double Min, double Max, bool MinExclusive, bool MaxExclusive, byte[]? MinLex, byte[]? MaxLex, int MinInfinity, int MaxInfinity)
    {
        /// <summary>
        /// The ranks [first, end) of the elements in a score or lex range. A lex range assumes equal scores, as Redis
        /// documents; when scores differ the elements are taken as Redis takes them from a listpack: from the first
        /// one at or past min while they are within max (from the last one within max, backwards, when
        /// <paramref name="reverse"/>), so the answer depends only on the order, never on the skiplist's random levels.
        /// </summary>
        public (int First, int End) Ranks(RedisSortedSet zset, bool reverse = false)
        {
            if (Kind == RangeKind.Score)
            {
                var (min, max, minEx, maxEx) = (Min, Max, MinExclusive, MaxExclusive);
                int first = zset.CountBefore(n => minEx ? n.Score <= min : n.Score < min);
                int end = zset.CountBefore(n => maxEx ? n.Score < max : n.Score <= max);
                return (first, Math.Max(first, end));
            }
            var range = this;
            if (IsEmptyLex() || zset.Count == 0 || BelowMin(range, zset.Last!) || AboveMax(range, zset.First!)) return (0, 0);
            if (zset.First!.Score == zset.Last!.Score)
            {
                // One score: the order is the members' order, and the skiplist finds both ends.
                int first = zset.CountBefore(n => BelowMin(range, n));
                return (first, Math.Max(first, zset.CountBefore(n => !AboveMax(range, n))));
            }
            var nodes = zset.Ascending().ToList();
            if (!reverse)
            {
                int first = nodes.FindIndex(n => !BelowMin(range, n));
                if (first < 0) return (0, 0);
                int end = first;
                while (end < nodes.Count && !AboveMax(range, nodes[end])) end++;
                return (first, end);
            }
            int last = nodes.FindLastIndex(n => !AboveMax(range, n));
            if (last < 0) return (0, 0);
            int start = last;
            while (start >= 0 && !BelowMin(range, nodes[start])) start--;
            return (start + 1, last + 1);
        }

        /// <summary>zslParseLexRange's emptiness: min past max, or equal with an exclusive end.</summary>
        private bool IsEmptyLex()
        {
            if (MinInfinity > 0 || MaxInfinity < 0) return true;
            if (MinInfinity < 0 || MaxInfinity > 0) return false;
            int cmp = MinLex.AsSpan().SequenceCompareTo(MaxLex);
            return cmp > 0 || (cmp == 0 && (MinExclusive || MaxExclusive));
        }

        private static bool BelowMin(Range r, Node node)
        {
            if (r.MinInfinity != 0) return r.MinInfinity > 0;
            int cmp = node.Member.AsSpan().SequenceCompareTo(r.MinLex);
            return r.MinExclusive ? cmp <= 0 : cmp < 0;
        }

        private static bool AboveMax(Range r, Node node)
        {
            if (r.MaxInfinity != 0) return r.MaxInfinity < 0;
            int cmp = node.Member.AsSpan().SequenceCompareTo(r.MaxLex);
            return r.MaxExclusive ? cmp >= 0 : cmp > 0;
        }
    }

    private static bool TryRange(CommandContext c, RangeKind kind, byte[] min, byte[] max, out Range range)
    {
        range = default;
        switch (kind)
        {
            case RangeKind.Rank:
                if (!Args.TryInteger(c, min, out long start) || !Args.TryInteger(c, max, out long end)) return false;
                range = new Range(kind, start, end, 0, 0, false, false, null, null, 0, 0);
                return true;
            case RangeKind.Score:
                if (!TryScoreBound(min, out double minScore, out bool minEx) || !TryScoreBound(max, out double maxScore, out bool maxEx))
                {
                    c.Error(NotFloatRange);
                    return false;
                }
                range = new Range(kind, 0, 0, minScore, maxScore, minEx, maxEx, null, null, 0, 0);
                return true;
            default:
                if (!TryLexBound(min, out var minLex, out bool minLexEx, out int minInf) || !TryLexBound(max, out var maxLex, out bool maxLexEx, out int maxInf))
                {
                    c.Error(NotLexRange);
                    return false;
                }
                range = new Range(kind, 0, 0, 0, 0, minLexEx, maxLexEx, minLex, maxLex, minInf, maxInf);
                return true;
        }
    }

    /// <summary>
    /// "(" makes a bound exclusive; the rest is read as strtod reads it: leading spaces skipped, an empty string is 0,
    /// nothing may follow the number, NaN is refused.
    /// </summary>
    private static bool TryScoreBound(byte[] arg, out double value, out bool exclusive)
    {
        exclusive = arg.Length > 0 && arg[0] == '(';
        var text = exclusive ? arg.AsSpan(1) : arg;
        value = 0;
        if (text.IsEmpty) return true;
        var number = text.TrimStart(" \t\n\v\f\r"u8);
        return !number.IsEmpty && Args.TryDouble(number, out value);
    }

    /// <summary>"-" and "+" are the ends; "[" and "(" start an inclusive or exclusive member.</summary>
    private static bool TryLexBound(byte[] arg, out byte[]? member, out bool exclusive, out int infinity)
    {
        member = null;
        exclusive = false;
        infinity = 0;
        if (arg.Length == 0) return false;
        switch (arg[0])
        {
            case (byte)'+' when arg.Length == 1: infinity = 1; return true;
            case (byte)'-' when arg.Length == 1: infinity = -1; return true;
            case (byte)'(': exclusive = true; member = arg[1..]; return true;
            case (byte)'[': member = arg[1..]; return true;
            default: return false;
        }
    }

    /// <summary>Clamps a rank range as Redis does; false when it selects nothing.</summary>
    private static bool TryClampRanks(long length, ref long start, ref long end)
    {
        if (start < 0) start += length;
        if (end < 0) end += length;
        if (start < 0) start = 0;
        if (start > end || start >= length) return false;
        if (end >= length) end = length - 1;
        return true;
    }

    private static void ZCount(CommandContext c, RangeKind kind)
    {
        if (!TryRange(c, kind, c[2], c[3], out var range)) return;
        WithZset(c, z =>
        {
            if (z == null)
            {
                c.Reply.WriteInteger(0);
                return;
            }
            var (first, end) = range.Ranks(z);
            c.Reply.WriteInteger(end - first);
        });
    }

    // ZRANGE and its older forms, ZRANGESTORE (zrangeGenericCommand).

    private static void ZRange(CommandContext c, int keyIndex, RangeKind kind, Direction direction, bool store)
    {
        int minIndex = keyIndex + 1, maxIndex = keyIndex + 2;
        bool withScores = false;
        long offset = 0, limit = -1;
        for (int j = keyIndex + 3; j < c.Argc; j++)
        {
            int left = c.Argc - j - 1;
            var option = c[j];
            if (!store && Args.Is(option, "WITHSCORES")) withScores = true;
            else if (Args.Is(option, "LIMIT") && left >= 2)
            {
                if (!Args.TryInteger(c, c[j + 1], out offset) || !Args.TryInteger(c, c[j + 2], out limit)) return;
                j += 2;
            }
            else if (direction == Direction.Auto && Args.Is(option, "REV")) direction = Direction.Reverse;
            else if (kind == RangeKind.Auto && Args.Is(option, "BYLEX")) kind = RangeKind.Lex;
            else if (kind == RangeKind.Auto && Args.Is(option, "BYSCORE")) kind = RangeKind.Score;
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        if (kind == RangeKind.Auto) kind = RangeKind.Rank;
        bool reverse = direction == Direction.Reverse;
        // Redis tells a LIMIT by its count: "LIMIT n -1" (no limit) passes with a rank range, and is ignored.
        if (limit != -1 && kind == RangeKind.Rank)
        {
            c.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
            return;
        }
        if (withScores && kind == RangeKind.Lex)
        {
            c.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
            return;
        }
        if (reverse && kind != RangeKind.Rank) (minIndex, maxIndex) = (maxIndex, minIndex);
        if (!TryRange(c, kind, c[minIndex], c[maxIndex], out var range)) return;

        var sourceEntry = c.Read(c[keyIndex]);
        if (!c.TryGet<RedisSortedSet>(sourceEntry, out var zset)) return;
        List<Node> nodes = zset == null ? [] : Select(zset, range, reverse, offset, limit);
        if (store) StoreResult(c, c[1], nodes, "zrangestore");
        else WriteElements(c, nodes, withScores);
    }

    /// <summary>The elements a range selects, in reply order; LIMIT applies to score and lex ranges.</summary>
    private static List<Node> Select(RedisSortedSet zset, Range range, bool reverse, long offset, long limit)
    {
        if (range.Kind == RangeKind.Rank)
        {
            long start = range.Start, end = range.End;
            return TryClampRanks(zset.Count, ref start, ref end) ? [.. zset.Range(start, end, reverse)] : [];
        }
        // A negative offset selects nothing (Redis's loop skips until the end); a negative limit means no limit.
        if (offset < 0 || (offset > 0 && offset >= zset.Count)) return [];
        var (inFirst, inEnd) = range.Ranks(zset, reverse);
        long available = inEnd - inFirst - offset;
        if (available <= 0) return [];
        long take = limit < 0 ? available : Math.Min(limit, available);
        if (take == 0) return [];
        // Range walks ranks counted from the end when reversed.
        long first = reverse ? zset.Count - inEnd + offset : inFirst + offset;
        return [.. zset.Range(first, first + take - 1, reverse)];
    }

    /// <summary>ZRANGESTORE and the *STORE commands: the result replaces the destination (deleted when empty); the reply is its size.</summary>
    private static void StoreResult(CommandContext c, byte[] destination, IReadOnlyCollection<Node> nodes, string eventName) =>
        StoreMembers(c, destination, [.. nodes.Select(n => (n.Member, n.Score))], eventName);

    /// <summary>The members replace the destination (deleted when there are none), encoded by Redis's rule; the reply is their number.</summary>
    internal static void StoreMembers(CommandContext c, byte[] destination, IReadOnlyCollection<(byte[] Member, double Score)> members, string eventName)
    {
        if (members.Count == 0)
        {
            c.DeleteAndNotify(destination);
            c.Reply.WriteInteger(0);
            return;
        }
        var result = RedisSortedSet.For(members.Count, members.Max(m => m.Member.Length), c.Config.ZsetMaxListpackEntries, c.Config.ZsetMaxListpackValue);
        foreach (var (member, score) in members) result.Set(member, score);
        c.SetValue(destination, result);
        c.Notify(KeyspaceEvent.Zset, eventName, destination);
        c.Reply.WriteInteger(members.Count);
    }

    private static void ZRemRange(CommandContext c, RangeKind kind)
    {
        if (!TryRange(c, kind, c[2], c[3], out var range)) return;
        var entry = c.Write(c[1]);
        if (!c.TryGet<RedisSortedSet>(entry, out var zset)) return;
        if (zset == null)
        {
            c.Reply.WriteInteger(0);
            return;
        }
        var doomed = Select(zset, range, reverse: false, offset: 0, limit: -1);
        foreach (var node in doomed) zset.Remove(node.Member);
        if (doomed.Count > 0)
        {
            c.Notify(KeyspaceEvent.Zset, kind switch { RangeKind.Rank => "zremrangebyrank", RangeKind.Score => "zremrangebyscore", _ => "zremrangebylex" }, c[1]);
            c.Store(c[1], entry, zset, zset.Count);
            c.CountChanges(doomed.Count);
        }
        c.Reply.WriteInteger(doomed.Count);
    }

    // Pops (genericZpopCommand).

    private static void ZPop(CommandContext c, bool max)
    {
        if (c.Argc > 3)
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        long count = 1;
        bool hasCount = c.Argc == 3;
        if (hasCount && !Args.TryPositive(c, c[2], out count)) return;
        var entry = c.Write(c[1]);
        if (!c.TryGet<RedisSortedSet>(entry, out var zset)) return;
        if (zset == null || count == 0)
        {
            c.Reply.WriteArrayHeader(0);
            return;
        }
        var popped = Pop(c, c[1], entry!, zset, max, count);
        // Without a count the reply is flat in RESP3 too; with one, RESP3 gets [member, score] pairs.
        if (hasCount) WriteElements(c, popped, withScores: true);
        else
        {
            c.Reply.WriteArrayHeader(2);
            c.Reply.WriteBulk(popped[0].Member);
            c.Reply.WriteDouble(popped[0].Score);
        }
    }

    private static List<Node> Pop(CommandContext c, byte[] key, Entry entry, RedisSortedSet zset, bool max, long count)
    {
        var popped = new List<Node>();
        while (popped.Count < count && (max ? zset.Last : zset.First) is { } node)
        {
            popped.Add(node);
            zset.Remove(node.Member);
        }
        if (popped.Count > 0) c.Notify(KeyspaceEvent.Zset, max ? "zpopmax" : "zpopmin", key);
        c.Store(key, entry, zset, zset.Count);
        return popped;
    }

    private static void ZMPop(CommandContext c)
    {
        if (!Lists.TryMPopArguments(c, 1, out int keysEnd, out bool min, out long count, "MIN", "MAX")) return;
        if (!BlockingCommands.TryFirstNonEmpty<RedisSortedSet>(c, 2, keysEnd, z => z.Count, out var key)) return;
        if (key != null) PopMany(c, key, !min, count);
        else c.Reply.WriteNullArray();
    }

    /// <summary>ZMPOP's and BZMPOP's answer, [key, [[member, score], ...]], from a non-empty sorted set; journaled as the ZPOPMIN/ZPOPMAX it did.</summary>
    private static bool PopMany(CommandContext c, byte[] key, bool max, long count)
    {
        var entry = c.Write(key)!;
        var popped = Pop(c, key, entry, (RedisSortedSet)entry.Value, max, count);
        c.Reply.WriteArrayHeader(2);
        c.Reply.WriteBulk(key);
        c.Reply.WriteArrayHeader(popped.Count);
        foreach (var node in popped)
        {
            c.Reply.WriteArrayHeader(2);
            c.Reply.WriteBulk(node.Member);
            c.Reply.WriteDouble(node.Score);
        }
        c.Propagate([max ? Cmd.ZPopMax : Cmd.ZPopMin, key, Args.Bytes(count)]);
        return true;
    }

    // The blocking pops (blocked.c, t_zset.c bzpopMinMaxCommand, bzmpopCommand): served at once from the first non-empty
    // sorted set; otherwise the client waits on every key, as BLPOP does (see BlockingCommands), until a write fills one.

    public static bool IsNonEmptySortedSet(byte[] key, object? value) => value is RedisSortedSet { Count: > 0 };

    private static void BZPop(CommandContext c, bool max)
    {
        if (!BlockingCommands.TryTimeout(c, c[c.Argc - 1], out _)) return;
        if (!BlockingCommands.TryFirstNonEmpty<RedisSortedSet>(c, 1, c.Argc - 1, z => z.Count, out var key)) return;
        if (key != null)
        {
            PopOneWithKey(c, key, max);
            return;
        }
        BlockingCommands.Block(c, c.Args[1..^1], (context, readyKey) => PopOneWithKey(context, readyKey, max), IsNonEmptySortedSet);
    }

    /// <summary>BZPOPMIN's answer, [key, member, score], journaled as ZPOPMIN (as Redis rewrites it).</summary>
    private static bool PopOneWithKey(CommandContext c, byte[] key, bool max)
    {
        var entry = c.Write(key)!;
        var node = Pop(c, key, entry, (RedisSortedSet)entry.Value, max, 1)[0];
        c.Reply.WriteArrayHeader(3);
        c.Reply.WriteBulk(key);
        c.Reply.WriteBulk(node.Member);
        c.Reply.WriteDouble(node.Score);
        c.Propagate([max ? Cmd.ZPopMax : Cmd.ZPopMin, key]);
        return true;
    }

    private static void BZMPop(CommandContext c)
    {
        if (!BlockingCommands.TryTimeout(c, c[1], out _)) return;
        if (!Lists.TryMPopArguments(c, 2, out int keysEnd, out bool min, out long count, "MIN", "MAX")) return;
        if (!BlockingCommands.TryFirstNonEmpty<RedisSortedSet>(c, 3, keysEnd, z => z.Count, out var key)) return;
        if (key != null)
        {
            PopMany(c, key, !min, count);
            return;
        }
        BlockingCommands.Block(c, c.Args[3..keysEnd], (context, readyKey) => PopMany(context, readyKey, !min, count), IsNonEmptySortedSet);
    }

    private static void ZRandMember(CommandContext c)
    {
        if (c.Argc == 2)
        {
            WithZset(c, z =>
            {
                if (z == null) c.Reply.WriteNull();
                else c.Reply.WriteBulk(z.At(c.Random.Next(z.Count))!.Member);
            });
            return;
        }
        if (!RandomPicks.TryCount(c, c[2], out long count, out bool unique)) return;
        bool withScores = false;
        if (c.Argc == 4 && Args.Is(c[3], "WITHSCORES")) withScores = true;
        else if (c.Argc > 3)
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        WithZset(c, z =>
        {
            var nodes = z?.Ascending().ToArray() ?? [];
            if (RandomPicks.TooMany(c, nodes.Length, count, unique)) return;
            var picks = RandomPicks.Choose(c.Random, nodes.Length, count, unique);
            WriteElements(c, picks.Select(i => nodes[i]).ToList(), withScores);
        });
    }

    private static void ZScan(CommandContext c) => CollectionScan.Run<RedisSortedSet>(c, (zset, pattern) =>
    {
        var items = new List<byte[]>();
        foreach (var node in zset.Ascending())
        {
            if (pattern != null && !Glob.Match(pattern, node.Member)) continue;
            items.Add(node.Member);
            items.Add(System.Text.Encoding.ASCII.GetBytes(DoubleFormat.Format(node.Score)));
        }
        return items;
    });

    // ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (zunionInterDiffGenericCommand).

    private enum Operation { Union, Inter, Diff }
    private enum Aggregate { Sum, Min, Max }

    /// <summary>An input: a sorted set, or a set whose members all score 1; null when the key is missing.</summary>
    private sealed record Source(RedisSortedSet? Zset, RedisSet? Set, double Weight)
    {
        public int Count => Zset?.Count ?? Set?.Count ?? 0;

        public IEnumerable<(byte[] Member, double Score)> Elements =>
            Zset?.Ascending().Select(n => (n.Member, n.Score)) ?? Set?.Members.Select(m => (m, 1.0)) ?? [];

        public bool TryGetScore(byte[] member, out double score)
        {
            score = 1;
            return Zset?.TryGetScore(member, out score) ?? Set?.Contains(member) ?? false;
        }
    }

    private static void Combine(CommandContext c, Operation operation, int numKeysIndex, byte[]? destination, bool cardinalityOnly = false)
    {
        if (!Args.TryInteger(c, c[numKeysIndex], out long numKeys)) return;
        if (numKeys < 1)
        {
            c.Error($"ERR at least 1 input key is needed for '{c.Spec.Name}' command");
            return;
        }
        if (numKeys > c.Argc - numKeysIndex - 1)
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        var sources = new Source[numKeys];
        int j = numKeysIndex + 1;
        for (int i = 0; i < numKeys; i++, j++)
        {
            var value = c.Read(c[j])?.Value;
            if (value != null && value is not (RedisSortedSet or RedisSet))
            {
                c.Error(RespErrors.WrongType);
                return;
            }
            sources[i] = new Source(value as RedisSortedSet, value as RedisSet, 1);
        }
        if (!TryCombineOptions(c, operation, j, sources, destination != null, cardinalityOnly, out var aggregate, out bool withScores, out long limit)) return;
        var result = operation switch
        {
            Operation.Union => Union(sources, aggregate),
            Operation.Inter => Inter(sources, aggregate, cardinalityOnly ? limit : 0),
            _ => Diff(sources),
        };
        if (cardinalityOnly)
        {
            c.Reply.WriteInteger(result.Count);
            return;
        }
        // The result as Redis builds it: a sorted set, so in score order.
        var zset = new RedisSortedSet();
        foreach (var (member, score) in result) zset.Set(member, score);
        var nodes = zset.Ascending().ToList();
        if (destination != null)
            StoreResult(c, destination, nodes, operation switch { Operation.Union => "zunionstore", Operation.Inter => "zinterstore", _ => "zdiffstore" });
        else WriteElements(c, nodes, withScores);
    }

    /// <summary>WEIGHTS, AGGREGATE and WITHSCORES (or ZINTERCARD's LIMIT) from argument <paramref name="j"/> on, as zunionInterDiffGenericCommand reads them.</summary>
    private static bool TryCombineOptions(CommandContext c, Operation operation, int j, Source[] sources, bool store, bool cardinalityOnly,
        out Aggregate aggregate, out bool withScores, out long limit)
    {
        aggregate = Aggregate.Sum;
        withScores = false;
        limit = 0;
        while (j < c.Argc)
        {
            int remaining = c.Argc - j;
            var option = c[j];
            if (operation != Operation.Diff && !cardinalityOnly && remaining >= sources.Length + 1 && Args.Is(option, "WEIGHTS"))
            {
                j++;
                for (int i = 0; i < sources.Length; i++, j++)
                {
                    if (!Args.TryDouble(c[j], out double weight))
                    {
                        c.Error("ERR weight value is not a float");
                        return false;
                    }
                    sources[i] = sources[i] with { Weight = weight };
                }
            }
            else if (operation != Operation.Diff && !cardinalityOnly && remaining >= 2 && Args.Is(option, "AGGREGATE"))
            {
                if (Args.Is(c[j + 1], "SUM")) aggregate = Aggregate.Sum;
                else if (Args.Is(c[j + 1], "MIN")) aggregate = Aggregate.Min;
                else if (Args.Is(c[j + 1], "MAX")) aggregate = Aggregate.Max;
                else
                {
                    c.Error(RespErrors.Syntax);
                    return false;
                }
                j += 2;
            }
            else if (!store && !cardinalityOnly && Args.Is(option, "WITHSCORES"))
            {
                withScores = true;
                j++;
            }
            else if (cardinalityOnly && remaining >= 2 && Args.Is(option, "LIMIT"))
            {
                // getPositiveLongFromObjectOrReply with a message: it answers that for a non-number too.
                if (!Args.TryLong(c[j + 1], out limit) || limit < 0)
                {
                    c.Error("ERR LIMIT can't be negative");
                    return false;
                }
                j += 2;
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return false;
            }
        }

        return true;
    }

    /// <summary>weight * score, where 0 * inf (NaN) counts as 0 (zunionInterDiffGenericCommand).</summary>
    private static double Weighted(double weight, double score)
    {
        double value = weight * score;
        return double.IsNaN(value) ? 0 : value;
    }

    private static double Combined(double target, double value, Aggregate aggregate) => aggregate switch
    {
        Aggregate.Sum => double.IsNaN(target + value) ? 0 : target + value,
        Aggregate.Min => Math.Min(target, value),
        _ => Math.Max(target, value),
    };

    /// <summary>Inputs from the smallest to the largest, as Redis orders them (stable for equal sizes).</summary>
    private static IEnumerable<Source> BySize(Source[] sources) => sources.OrderBy(s => s.Count);

    private static Dictionary<byte[], double> Union(Source[] sources, Aggregate aggregate)
    {
        var result = new Dictionary<byte[], double>(ByteArrayComparer.Instance);
        foreach (var source in BySize(sources))
            foreach (var (member, score) in source.Elements)
            {
                double value = Weighted(source.Weight, score);
                result[member] = result.TryGetValue(member, out double existing) ? Combined(existing, value, aggregate) : value;
            }
        return result;
    }

    private static Dictionary<byte[], double> Inter(Source[] sources, Aggregate aggregate, long limit)
    {
        var result = new Dictionary<byte[], double>(ByteArrayComparer.Instance);
        var ordered = BySize(sources).ToArray();
        if (ordered[0].Count == 0) return result;
        foreach (var (member, score) in ordered[0].Elements)
        {
            double value = Weighted(ordered[0].Weight, score);
            bool inAll = true;
            for (int i = 1; i < ordered.Length && inAll; i++)
            {
                if (ordered[i].TryGetScore(member, out double other)) value = Combined(value, Weighted(ordered[i].Weight, other), aggregate);
                else inAll = false;
            }
            if (!inAll) continue;
            result[member] = value;
            if (limit > 0 && result.Count == limit) break;
        }
        return result;
    }

    private static Dictionary<byte[], double> Diff(Source[] sources)
    {
        var result = new Dictionary<byte[], double>(ByteArrayComparer.Instance);
        foreach (var (member, score) in sources[0].Elements)
            if (!sources.Skip(1).Any(s => s.TryGetScore(member, out _)))
                result[member] = score;
        return result;
    }
}
