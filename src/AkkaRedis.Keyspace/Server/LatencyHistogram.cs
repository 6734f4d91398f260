using System.Numerics;

namespace AkkaRedis.Keyspace.Server;

/// <summary>
/// A command's latencies in nanoseconds, as Redis 7.0 keeps them (an HDR histogram from 1 ns to 1 s with two significant
/// digits, latency-tracking): INFO latencystats reads percentiles from it and LATENCY HISTOGRAM its power-of-two
/// buckets, so the figures are bucketed exactly as Redis's are. The layout is HdrHistogram's: 23 buckets, each the next
/// power of two, split into 128 sub-buckets (the first into 256).
/// </summary>
public sealed class LatencyHistogram
{
    private const long Highest = 1_000_000_000;
    private const int SubBucketHalfCountMagnitude = 7;
    private const int SubBucketHalfCount = 1 << SubBucketHalfCountMagnitude;
    private const int SubBucketCount = 2 * SubBucketHalfCount;
    private const long SubBucketMask = SubBucketCount - 1;
    private const int BucketCount = 23; // the first bucket holding 1e9: 256 << 22 > 1e9

    private readonly long[] _counts = new long[(BucketCount + 1) * SubBucketHalfCount];

    private long _total;

    public long TotalCount => Volatile.Read(ref _total);

    /// <summary>Records one latency (clamped into 1 ns .. 1 s). For the one thread that owns this histogram.</summary>
    public void Record(long nanoseconds)
    {
        _counts[IndexOf(Math.Clamp(nanoseconds, 1, Highest))]++;
        _total++;
    }

    /// <summary>As <see cref="Record"/>, for a histogram several threads record into (connection commands).</summary>
    public void RecordConcurrently(long nanoseconds)
    {
        Interlocked.Increment(ref _counts[IndexOf(Math.Clamp(nanoseconds, 1, Highest))]);
        Interlocked.Increment(ref _total);
    }

    /// <summary>The sum of several histograms (a command's on every shard and on the connections).</summary>
    public static LatencyHistogram Sum(IEnumerable<LatencyHistogram> histograms)
    {
        var sum = new LatencyHistogram();
        foreach (var histogram in histograms)
        {
            for (int i = 0; i < sum._counts.Length; i++) sum._counts[i] += Volatile.Read(ref histogram._counts[i]);
        }
        sum._total = sum._counts.Sum();
        return sum;
    }

    /// <summary>hdr_value_at_percentile: the highest value equivalent to the one at <paramref name="percentile"/> (0..100).</summary>
    public long ValueAtPercentile(double percentile)
    {
        long target = Math.Max(1, (long)(Math.Min(percentile, 100) / 100 * TotalCount + 0.5));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= target) return HighestEquivalent(ValueAt(i));
        }
        return 0;
    }

    /// <summary>
    /// LATENCY HISTOGRAM's buckets (hdr_iter_log_init from 1024 ns, doubling): each bucket's highest value in
    /// microseconds and how many latencies are at most that, for the buckets where that count grew.
    /// </summary>
    public List<(long Micros, long Cumulative)> PowerOfTwoBuckets()
    {
        var buckets = new List<(long, long)>();
        long cumulative = 0, previous = 0;
        int index = 0;
        for (long level = 1024; cumulative < TotalCount && level <= Highest * 2; level *= 2)
        {
            long highest = HighestEquivalent(level);
            while (index < _counts.Length && ValueAt(index) <= highest) cumulative += _counts[index++];
            if (cumulative > previous) buckets.Add((highest / 1000, cumulative));
            previous = cumulative;
        }
        return buckets;
    }

    public void Clear()
    {
        Array.Clear(_counts);
        _total = 0;
    }

    private static int BucketIndex(long value) =>
        64 - BitOperations.LeadingZeroCount((ulong)(value | SubBucketMask)) - (SubBucketHalfCountMagnitude + 1);

    private static int IndexOf(long value)
    {
        int bucket = BucketIndex(value);
        int subBucket = (int)(value >> bucket);
        return ((bucket + 1) << SubBucketHalfCountMagnitude) + (subBucket - SubBucketHalfCount);
    }

    /// <summary>The lowest value counted at <paramref name="index"/>.</summary>
    private static long ValueAt(int index)
    {
        int bucket = (index >> SubBucketHalfCountMagnitude) - 1;
        int subBucket = (index & (SubBucketHalfCount - 1)) + SubBucketHalfCount;
        if (bucket < 0)
        {
            subBucket -= SubBucketHalfCount;
            bucket = 0;
        }
        return (long)subBucket << bucket;
    }

    private static long HighestEquivalent(long value)
    {
        int bucket = BucketIndex(value);
        long lowest = (value >> bucket) << bucket;
        return lowest + (1L << bucket) - 1;
    }
}
