using System.Text;
using AkkaRedis.Keyspace.Data;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>The sorted set's skiplist against a plain sorted list, through many random adds, moves and removes.</summary>
public class SortedSetDataTests
{
    private static readonly Comparison<(double Score, byte[] Member)> ByScoreThenMember = (a, b) =>
        a.Score != b.Score ? a.Score.CompareTo(b.Score) : a.Member.AsSpan().SequenceCompareTo(b.Member);

    [Fact]
    public void RanksRangesAndCountsMatchASortedListThroughRandomChanges()
    {
        var random = new Random(42);
        var zset = new RedisSortedSet();
        var model = new Dictionary<string, double>();
        for (int step = 0; step < 20000; step++)
        {
            string member = "m" + random.Next(600);
            if (random.Next(3) == 0)
            {
                Assert.Equal(model.Remove(member), zset.Remove(Encoding.UTF8.GetBytes(member)));
            }
            else
            {
                // Few distinct scores, so that many members share one and the member order matters.
                double score = random.Next(40) - 20 + (random.Next(4) == 0 ? 0.5 : 0);
                model[member] = score;
                zset.Set(Encoding.UTF8.GetBytes(member), score);
            }
            if (step % 500 == 0) AssertSame(model, zset, random);
        }
        AssertSame(model, zset, random);
    }

    private static void AssertSame(Dictionary<string, double> model, RedisSortedSet zset, Random random)
    {
        var expected = model.Select(p => (p.Value, Encoding.UTF8.GetBytes(p.Key))).ToList();
        expected.Sort(ByScoreThenMember);
        Assert.Equal(expected.Count, zset.Count);
        Assert.Equal(expected.Select(e => e.Item2), zset.Ascending().Select(n => n.Member));
        Assert.Equal(expected.AsEnumerable().Reverse().Select(e => e.Item2), zset.Range(0, zset.Count - 1, reverse: true).Select(n => n.Member));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(i, zset.RankOf(expected[i].Item2));
            Assert.Equal(expected[i].Item2, zset.At(i)!.Member);
        }
        Assert.Equal(-1, zset.RankOf("absent"u8.ToArray()));
        Assert.Null(zset.At(expected.Count));
        for (int probe = 0; probe < 20; probe++)
        {
            double bound = random.Next(44) - 22;
            Assert.Equal(expected.Count(e => e.Value < bound), zset.CountBefore(n => n.Score < bound));
            Assert.Equal(expected.Count(e => e.Value <= bound), zset.CountBefore(n => n.Score <= bound));
            int start = random.Next(Math.Max(1, expected.Count)), end = start + random.Next(10);
            Assert.Equal(expected.Skip(start).Take(end - start + 1).Select(e => e.Item2), zset.Range(start, end, reverse: false).Select(n => n.Member));
        }
    }

    [Fact]
    public void AMovedMemberKeepsOnePlaceAndItsNewScore()
    {
        var zset = new RedisSortedSet();
        zset.Set("a"u8.ToArray(), 1);
        zset.Set("b"u8.ToArray(), 2);
        zset.Set("a"u8.ToArray(), 3);
        Assert.Equal(2, zset.Count);
        Assert.Equal(["b", "a"], zset.Ascending().Select(n => Encoding.UTF8.GetString(n.Member)));
        Assert.True(zset.TryGetScore("a"u8.ToArray(), out double score));
        Assert.Equal(3, score);
        Assert.Equal("a", Encoding.UTF8.GetString(zset.Last!.Member));
        Assert.Equal("b", Encoding.UTF8.GetString(zset.First!.Member));
    }

    [Fact]
    public void TheEncodingFollowsRedissListpackLimitsAndNeverGoesBack()
    {
        var small = RedisSortedSet.For(size: 2, firstMemberLength: 3, maxListpackEntries: 2, maxListpackValue: 64);
        Assert.True(small.IsListpack);
        small.Set("abc"u8.ToArray(), 1);
        small.CheckEncoding(3, 2, 64);
        small.Set("abd"u8.ToArray(), 1);
        small.CheckEncoding(3, 2, 64);
        Assert.True(small.IsListpack);
        small.Set("abe"u8.ToArray(), 1);
        small.CheckEncoding(3, 2, 64);
        Assert.False(small.IsListpack);
        small.Remove("abe"u8.ToArray());
        Assert.False(small.IsListpack);
        Assert.False(RedisSortedSet.For(1, 65, 128, 64).IsListpack);
        Assert.False(RedisSortedSet.For(1, 1, 0, 64).IsListpack);
    }
}
