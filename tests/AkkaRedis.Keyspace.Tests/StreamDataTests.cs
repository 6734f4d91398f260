using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Snapshot;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>The stream type's ranges, deletions and trims against a sorted model; its IDs; and the listpack bytes its RDB form uses.</summary>
public sealed class StreamDataTests
{
    private static RedisStream Build(int entries, int nodeMaxEntries)
    {
        var stream = new RedisStream();
        for (int i = 1; i <= entries; i++) stream.Append(new StreamId((ulong)i, 0), ["f"u8.ToArray(), [(byte)i]], nodeMaxEntries, 4096);
        return stream;
    }

    [Fact]
    public void RangesAndDeletionsMatchASortedModel()
    {
        var random = new Random(7);
        var stream = Build(300, 7);
        var model = new SortedSet<ulong>(Enumerable.Range(1, 300).Select(i => (ulong)i));
        for (int round = 0; round < 2000; round++)
        {
            ulong a = (ulong)random.Next(0, 320), b = (ulong)random.Next(0, 320);
            if (random.Next(3) == 0 && stream.Delete(new StreamId(a, 0))) Assert.True(model.Remove(a));
            var start = new StreamId(Math.Min(a, b), 0);
            var end = new StreamId(Math.Max(a, b), 0);
            var expected = model.Where(x => x >= start.Ms && x <= end.Ms).ToList();
            Assert.Equal(expected, stream.Range(start, end).Select(e => e.Id.Ms).ToList());
            expected.Reverse();
            Assert.Equal(expected, stream.Range(start, end, reverse: true).Select(e => e.Id.Ms).ToList());
        }
        Assert.Equal(model.Count, stream.Length);
        Assert.Equal(model.Min, stream.FirstId.Ms);
        Assert.Equal(model.Max, stream.LastLiveId().Ms);
        Assert.DoesNotContain(stream.Nodes, n => n.Live == 0);
    }

    [Fact]
    public void ApproximateTrimsRemoveWholeNodesOnlyAndExactOnesTrimTheRest()
    {
        // 1000 entries in nodes of 100, MAXLEN ~ 555: whole nodes go while 555 stay, so 600 are left (Redis's stream.tcl).
        var stream = Build(1000, 100);
        Assert.Equal(400, stream.Trim(555, null, approximate: true, limit: 10_000));
        Assert.Equal(600, stream.Length);
        Assert.Equal(new StreamId(401, 0), stream.FirstId);
        // LIMIT counts whole nodes: a limit below one node's entries removes nothing.
        Assert.Equal(0, stream.Trim(10, null, approximate: true, limit: 50));
        Assert.Equal(45, stream.Trim(555, null, approximate: false, limit: 0));
        Assert.Equal(555, stream.Length);
        Assert.Equal(new StreamId(446, 0), stream.FirstId);
        Assert.Equal(55, stream.Trim(null, new StreamId(501, 0), approximate: false, limit: 0));
        Assert.Equal(new StreamId(501, 0), stream.FirstId);
    }

    [Theory]
    [InlineData("5-3", true, 5ul, 3ul)]
    [InlineData("5", true, 5ul, 0ul)]
    [InlineData("18446744073709551615-18446744073709551615", true, ulong.MaxValue, ulong.MaxValue)]
    [InlineData("18446744073709551616-0", false, 0ul, 0ul)]
    [InlineData("-1-0", false, 0ul, 0ul)]
    [InlineData("5-", false, 0ul, 0ul)]
    [InlineData("a-1", false, 0ul, 0ul)]
    [InlineData("", false, 0ul, 0ul)]
    public void IdsParseAsRedisParsesThem(string text, bool valid, ulong ms, ulong seq)
    {
        Assert.Equal(valid, StreamId.TryParse(System.Text.Encoding.ASCII.GetBytes(text), out var id));
        if (valid) Assert.Equal(new StreamId(ms, seq), id);
    }

    [Fact]
    public void IdsStepPastTheirEdges()
    {
        Assert.True(new StreamId(1, ulong.MaxValue).TryIncrement(out var next));
        Assert.Equal(new StreamId(2, 0), next);
        Assert.False(StreamId.Max.TryIncrement(out _));
        Assert.True(new StreamId(2, 0).TryDecrement(out var previous));
        Assert.Equal(new StreamId(1, ulong.MaxValue), previous);
        Assert.False(StreamId.Zero.TryDecrement(out _));
    }

    [Fact]
    public void ListpackElementsCarryTheirBacklensAsRedisWritesThem()
    {
        var writer = new ListpackWriter();
        writer.Add(5);
        writer.Add(-2);
        writer.Add(new byte[200]);
        var bytes = writer.ToArray();
        // Header: total bytes, 3 elements.
        Assert.Equal(bytes.Length, BitConverter.ToInt32(bytes, 0));
        Assert.Equal(3, BitConverter.ToUInt16(bytes, 4));
        // 5: 7-bit unsigned, backlen 1. -2: 13-bit signed (0xDF 0xFE), backlen 2.
        Assert.Equal(new byte[] { 0x05, 0x01, 0xDF, 0xFE, 0x02 }, bytes[6..11]);
        // 200 bytes: 12-bit string header (0xE0 0xC8), then the element's 202 bytes as backlen 0x01 0xCA (lpEncodeBacklen).
        Assert.Equal(new byte[] { 0xE0, 0xC8 }, bytes[11..13]);
        Assert.Equal(new byte[] { 0x01, 0xCA, 0xFF }, bytes[^3..]);
    }
}
