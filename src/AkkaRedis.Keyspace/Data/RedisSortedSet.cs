using System.Runtime.InteropServices;

namespace AkkaRedis.Keyspace.Data;

/// <summary>
/// A sorted set, as Redis's skiplist encoding keeps it (t_zset.c): a dictionary from member to score for ZSCORE and
/// membership, and a skiplist ordered by (score, member) whose links carry spans, so that a rank is found, and an
/// element found by rank, in O(log n). Members with equal scores are ordered as bytes (memcmp, then length).
///
/// <see cref="IsListpack"/> follows Redis's rules for when a sorted set is small enough for a listpack
/// (zset-max-listpack-entries, zset-max-listpack-value), so OBJECT ENCODING answers what Redis would; the storage is
/// this one structure at every size.
/// </summary>
public sealed class RedisSortedSet
{
    private const int MaxLevel = 32;

    /// <summary>Redis's ZSKIPLIST_P: a node reaches the next level with probability 1/4.</summary>
    private const int LevelOdds = 4;

    /// <summary>
    /// An element. Its lowest link is a field and only the higher ones (a quarter of the nodes have any) an array:
    /// the walk along level 0, most of every search, then reads one object per step instead of two (measured: ZADD
    /// moving members of a 100k sorted set spent 45% of its time in the two searches).
    /// </summary>
    public sealed class Node(byte[] member, double score, int levels)
    {
        public readonly byte[] Member = member;
        public readonly double Score = score;
        public Node? Backward;
        public Link Level0;
        /// <summary>Links of levels 1 and up (null for a node of one level); the header's grows with the list's level.</summary>
        public Link[]? Upper = levels > 1 ? new Link[levels - 1] : null;

        public int Levels => 1 + (Upper?.Length ?? 0);

        /// <summary>The link at <paramref name="level"/>, which the node must have.</summary>
        public ref Link this[int level] => ref level == 0 ? ref Level0 : ref Upper![level - 1];

        /// <summary>The next node in order, or null.</summary>
        public Node? Next => Level0.Forward;
    }

    /// <summary>A forward link and how many level-0 steps it skips.</summary>
    public struct Link
    {
        public Node? Forward;
        public int Span;
    }

    private readonly Dictionary<byte[], double> _scores = new(ByteArrayComparer.Instance);
    private readonly Node _header = new([], 0, 4);
    private Node? _tail;
    private int _level = 1;

    // Scratch for an insert's or delete's search path, per thread rather than per sorted set (which would cost a small
    // one more than its elements): a command runs on one thread from start to end, and these never outlive a call.
    [ThreadStatic] private static Node[]? t_update;
    [ThreadStatic] private static int[]? t_rank;

    public int Count => _scores.Count;
    public bool IsListpack { get; private set; } = true;

    /// <summary>A new sorted set that will hold <paramref name="size"/> members, the first <paramref name="firstMemberLength"/> bytes long (zsetTypeCreate).</summary>
    public static RedisSortedSet For(int size, int firstMemberLength, int maxListpackEntries, int maxListpackValue) =>
        new() { IsListpack = maxListpackEntries > 0 && size <= maxListpackEntries && firstMemberLength <= maxListpackValue };

    /// <summary>Converts to a skiplist for good when a limit is passed (zsetTypeMaybeConvert), as Redis does.</summary>
    public void CheckEncoding(int memberLength, int maxListpackEntries, int maxListpackValue)
    {
        if (IsListpack && (Count > maxListpackEntries || memberLength > maxListpackValue)) IsListpack = false;
    }

    /// <summary>SORT converts a sorted set it reads to a skiplist (sortCommandGeneric's zsetConvert).</summary>
    public void ConvertToSkiplist() => IsListpack = false;

    public bool TryGetScore(byte[] member, out double score) => _scores.TryGetValue(member, out score);

    public IEnumerable<byte[]> Members => _scores.Keys;

    /// <summary>Adds a member or moves it to a new score, then converts the encoding as Redis would (zsetAdd).</summary>
    public void Set(byte[] member, double score, int maxListpackEntries, int maxListpackValue)
    {
        Set(member, score);
        CheckEncoding(member.Length, maxListpackEntries, maxListpackValue);
    }

    /// <summary>Adds a member or moves it to a new score.</summary>
    public void Set(byte[] member, double score)
    {
        // A listpack keeps scores as text, where Redis 7.0 writes -0 as "0": only a skiplist keeps the sign of zero.
        if (IsListpack && score == 0) score = 0;
        ref double stored = ref CollectionsMarshal.GetValueRefOrAddDefault(_scores, member, out bool exists);
        if (exists)
        {
            if (stored == score) return;
            Delete(stored, member);
        }
        stored = score;
        Insert(score, member);
    }

    public bool Remove(byte[] member)
    {
        if (!_scores.Remove(member, out double score)) return false;
        Delete(score, member);
        return true;
    }

    /// <summary>Orders as the skiplist does: by score, then by member bytes.</summary>
    private static int Compare(double score, byte[] member, Node node)
    {
        if (score != node.Score) return score < node.Score ? -1 : 1;
        return member.AsSpan().SequenceCompareTo(node.Member);
    }

    private static int RandomLevel()
    {
        int level = 1;
        while (level < MaxLevel && Random.Shared.Next(LevelOdds) == 0) level++;
        return level;
    }

    private void Insert(double score, byte[] member)
    {
        var update = t_update ??= new Node[MaxLevel];
        var rank = t_rank ??= new int[MaxLevel];
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
        {
            rank[i] = i == _level - 1 ? 0 : rank[i + 1];
            while (x[i].Forward is { } next && Compare(score, member, next) > 0)
            {
                rank[i] += x[i].Span;
                x = next;
            }
            update[i] = x;
        }
        int level = RandomLevel();
        if (level > _level)
        {
            if (level > _header.Levels) Array.Resize(ref _header.Upper, MaxLevel - 1);
            for (int i = _level; i < level; i++)
            {
                rank[i] = 0;
                update[i] = _header;
                _header[i].Span = Count - 1; // Count already includes the new member
            }
            _level = level;
        }
        var node = new Node(member, score, level);
        for (int i = 0; i < level; i++)
        {
            node[i].Forward = update[i][i].Forward;
            update[i][i].Forward = node;
            node[i].Span = update[i][i].Span - (rank[0] - rank[i]);
            update[i][i].Span = rank[0] - rank[i] + 1;
        }
        for (int i = level; i < _level; i++) update[i][i].Span++;
        node.Backward = update[0] == _header ? null : update[0];
        if (node[0].Forward is { } after) after.Backward = node;
        else _tail = node;
        Array.Clear(update);
    }

    private void Delete(double score, byte[] member)
    {
        var update = t_update ??= new Node[MaxLevel];
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
        {
            while (x[i].Forward is { } next && Compare(score, member, next) > 0) x = next;
            update[i] = x;
        }
        var node = x[0].Forward!;
        for (int i = 0; i < _level; i++)
        {
            if (update[i][i].Forward == node)
            {
                update[i][i].Span += node[i].Span - 1;
                update[i][i].Forward = node[i].Forward;
            }
            else update[i][i].Span--;
        }
        if (node[0].Forward is { } after) after.Backward = node.Backward;
        else _tail = node.Backward;
        while (_level > 1 && _header[_level - 1].Forward == null) _level--;
        Array.Clear(update);
    }

    /// <summary>The 0-based rank of a member in ascending order, or -1 when absent.</summary>
    public long RankOf(byte[] member)
    {
        if (!_scores.TryGetValue(member, out double score)) return -1;
        return CountBefore(node => Compare(score, member, node) > 0);
    }

    /// <summary>
    /// How many elements come before the first one for which <paramref name="isBefore"/> is false; it must hold for a
    /// prefix of the order (a score or member bound). That count is the rank of the first element past the prefix.
    /// </summary>
    public int CountBefore(Func<Node, bool> isBefore)
    {
        var x = _header;
        int rank = 0;
        for (int i = _level - 1; i >= 0; i--)
        {
            while (x[i].Forward is { } next && isBefore(next))
            {
                rank += x[i].Span;
                x = next;
            }
        }
        return rank;
    }

    /// <summary>The element at a 0-based rank in ascending order (null past the end).</summary>
    public Node? At(long rank)
    {
        if (rank < 0 || rank >= Count) return null;
        long target = rank + 1, traversed = 0;
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
        {
            while (x[i].Forward is { } next && traversed + x[i].Span <= target)
            {
                traversed += x[i].Span;
                x = next;
            }
            if (traversed == target) return x;
        }
        return null;
    }

    /// <summary>The elements of ranks <paramref name="start"/>..<paramref name="end"/> (0-based, inclusive, in range), walking down when <paramref name="reverse"/>.</summary>
    public IEnumerable<Node> Range(long start, long end, bool reverse)
    {
        if (start > end) yield break;
        var node = At(reverse ? Count - 1 - start : start);
        for (long i = start; i <= end && node != null; i++)
        {
            yield return node;
            node = reverse ? node.Backward : node.Next;
        }
    }

    /// <summary>Every element in ascending order.</summary>
    public IEnumerable<Node> Ascending()
    {
        for (var node = _header[0].Forward; node != null; node = node.Next) yield return node;
    }

    public Node? First => _header[0].Forward;
    public Node? Last => _tail;

    public RedisSortedSet Clone()
    {
        var copy = new RedisSortedSet { IsListpack = IsListpack };
        foreach (var node in Ascending()) copy.Set(node.Member, node.Score);
        return copy;
    }
}
