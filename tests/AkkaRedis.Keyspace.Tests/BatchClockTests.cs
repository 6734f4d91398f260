using System.Diagnostics;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Shards;
using Xunit;

namespace AkkaRedis.Keyspace.Tests;

public class BatchClockTests
{
    [Fact]
    public void BatchSharesOneWallClockReadingUntilACommandRunsAMillisecond()
    {
        var wall = new ManualClock(1_000);
        var clock = BatchClock.Read(wall);
        wall.Set(9_000);

        long quick = clock.Advance(wall);
        // A quick command leaves the batch's time alone (the wall clock moved, but is not read again).
        if (quick < Stopwatch.Frequency / 1000) Assert.Equal(1_000, clock.NowMs);

        long began = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() - began < Stopwatch.Frequency / 500) Thread.SpinWait(100);
        long slow = clock.Advance(wall);
        Assert.True(slow >= Stopwatch.Frequency / 500);
        Assert.Equal(9_000, clock.NowMs);
    }

    [Fact]
    public void EachCommandIsTimedFromWhereThePreviousOneEnded()
    {
        var wall = new ManualClock();
        var clock = BatchClock.Read(wall);
        long start = clock.Timestamp;
        long first = clock.Advance(wall);
        long second = clock.Advance(wall);
        Assert.Equal(clock.Timestamp - start, first + second);
    }
}
