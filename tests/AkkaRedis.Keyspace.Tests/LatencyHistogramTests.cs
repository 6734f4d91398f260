using AkkaRedis.Keyspace.Server;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>The latency histogram buckets values as Redis's HDR histogram does (two significant digits).</summary>
public class LatencyHistogramTests
{
    [Fact]
    public void PercentilesAreTheHighestValueOfTheirBucket()
    {
        var histogram = new LatencyHistogram();
        for (int i = 0; i < 99; i++) histogram.Record(20_000);
        histogram.Record(900_000);
        // 20,000 ns falls in a bucket of 128 ns from 19,968: Redis reports it as 20.095 µs.
        Assert.Equal(20_095, histogram.ValueAtPercentile(50));
        Assert.Equal(20_095, histogram.ValueAtPercentile(99));
        Assert.Equal(901_119, histogram.ValueAtPercentile(100));
        Assert.Equal(100, histogram.TotalCount);
    }

    [Fact]
    public void PowerOfTwoBucketsAreCumulativeAndSkipEmptyOnes()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(500);
        histogram.Record(1_500);
        histogram.Record(40_000);
        histogram.Record(5_000_000_000); // past a second: counted as a second
        Assert.Equal([(1L, 1L), (2L, 2L), (66L, 3L), (1_082_130L, 4L)], histogram.PowerOfTwoBuckets());
        var sum = LatencyHistogram.Sum([histogram, histogram]);
        Assert.Equal(8, sum.TotalCount);
        histogram.Clear();
        Assert.Empty(histogram.PowerOfTwoBuckets());
    }
}
