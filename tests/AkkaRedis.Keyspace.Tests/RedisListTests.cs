using AkkaRedis.Keyspace.Data;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>The packed list against a plain List model: every operation, across node boundaries, splits and large elements.</summary>
public sealed class RedisListTests
{
    private static byte[] Element(Random random)
    {
        // Mostly short elements (many per node); some past 127 bytes (two-byte lengths); a few larger than a node.
        int length = random.Next(10) switch
        {
            < 7 => random.Next(0, 12),
            < 9 => random.Next(100, 400),
            _ => random.Next(0, 50) == 0 ? random.Next(RedisList.NodeBytes, 3 * RedisList.NodeBytes) : random.Next(0, 3),
        };
        var value = new byte[length];
        random.NextBytes(value);
        // A small alphabet makes LREM and LINSERT find matches.
        if (length < 3) for (int i = 0; i < length; i++) value[i] = (byte)('a' + value[i] % 2);
        return value;
    }

    private static void AssertSame(List<byte[]> model, RedisList list)
    {
        Assert.Equal(model.Count, list.Count);
        Assert.Equal(model, list.Items.ToList());
        var forwards = new List<byte[]>();
        foreach (var item in list) forwards.Add(item.ToArray());
        Assert.Equal(model, forwards);
        var backwards = new List<byte[]>();
        foreach (var item in list.Backwards(list.Count - 1, list.Count)) backwards.Add(item.ToArray());
        backwards.Reverse();
        Assert.Equal(model, backwards);
        if (model.Count == 0) return;
        Assert.Equal(model[0], list.First.ToArray());
        Assert.Equal(model[^1], list.Last.ToArray());
    }

    [Theory]
    [InlineData(1, RedisList.DefaultPackedThreshold)]
    [InlineData(2, RedisList.DefaultPackedThreshold)]
    [InlineData(3, RedisList.DefaultPackedThreshold)]
    [InlineData(4, 2)] // DEBUG QUICKLIST-PACKED-THRESHOLD: elements of 2 bytes and more are nodes of their own
    [InlineData(5, 200)]
    public void RandomOperationsMatchAPlainList(int seed, long packedThreshold)
    {
        // The threshold is the server's, as Redis's is; it changes only how nodes are laid out, so tests running beside
        // this one see the same lists.
        RedisList.PackedThreshold = packedThreshold;
        try
        {
            RandomOperations(seed);
        }
        finally
        {
            RedisList.PackedThreshold = RedisList.DefaultPackedThreshold;
        }
    }

    private static void RandomOperations(int seed)
    {
        var random = new Random(seed);
        var model = new List<byte[]>();
        var list = new RedisList();
        for (int step = 0; step < 20_000; step++)
        {
            // Lists grow and shrink in phases, so they pass through one node, many nodes and empty.
            bool grow = step / 2000 % 2 == 0;
            int op = random.Next(100);
            if (op < (grow ? 60 : 25))
            {
                var value = Element(random);
                if (random.Next(2) == 0)
                {
                    list.PushFront(value);
                    model.Insert(0, value);
                }
                else
                {
                    list.PushBack(value);
                    model.Add(value);
                }
            }
            else if (model.Count == 0) continue;
            else if (op < 70)
            {
                if (random.Next(2) == 0)
                {
                    Assert.Equal(model[0], list.PopFront());
                    model.RemoveAt(0);
                }
                else
                {
                    Assert.Equal(model[^1], list.PopBack());
                    model.RemoveAt(model.Count - 1);
                }
            }
            else if (op < 78)
            {
                int index = random.Next(model.Count);
                Assert.Equal(model[index], list.Get(index).ToArray());
            }
            else if (op < 82)
            {
                int index = random.Next(model.Count);
                var value = Element(random);
                list.Set(index, value);
                model[index] = value;
            }
            else if (op < 87)
            {
                int index = random.Next(model.Count + 1);
                var value = Element(random);
                list.Insert(index, value);
                model.Insert(index, value);
            }
            else if (op < 90)
            {
                int start = random.Next(model.Count), count = random.Next(model.Count - start + 1);
                var range = new List<byte[]>();
                foreach (var item in list.Range(start, count)) range.Add(item.ToArray());
                Assert.Equal(model.GetRange(start, count), range);
                int last = random.Next(model.Count), back = random.Next(last + 2);
                var reversed = new List<byte[]>();
                foreach (var item in list.Backwards(last, back)) reversed.Add(item.ToArray());
                var expected = model.GetRange(last - back + 1, back);
                expected.Reverse();
                Assert.Equal(expected, reversed);
            }
            else if (op < 93)
            {
                int start = random.Next(model.Count), end = random.Next(start, model.Count);
                list.Trim(start, end);
                model = model.GetRange(start, end - start + 1);
            }
            else if (op < 96)
            {
                int n = random.Next(model.Count + 1);
                if (random.Next(2) == 0)
                {
                    list.RemoveFront(n);
                    model.RemoveRange(0, n);
                }
                else
                {
                    list.RemoveBack(n);
                    model.RemoveRange(model.Count - n, n);
                }
            }
            else if (op < 99)
            {
                var value = model[random.Next(model.Count)];
                long count = random.Next(-3, 4);
                Assert.Equal(RemoveMatching(model, value, count), list.RemoveMatching(value, count));
            }
            else
            {
                var copy = list.Clone();
                list.Clear();
                Assert.Equal(0, list.Count);
                list = copy;
            }
            if (step % 97 == 0) AssertSame(model, list);
        }
        AssertSame(model, list);
    }

    private static int RemoveMatching(List<byte[]> model, byte[] value, long count)
    {
        var at = Enumerable.Range(0, model.Count).Where(i => model[i].AsSpan().SequenceEqual(value)).ToList();
        if (count > 0) at = at.Take((int)count).ToList();
        else if (count < 0) at = at.Skip(Math.Max(0, at.Count + (int)count)).ToList();
        for (int i = at.Count - 1; i >= 0; i--) model.RemoveAt(at[i]);
        return at.Count;
    }

    [Fact]
    public void ALongListIsAFewFullNodesNotAnArrayPerElement()
    {
        var list = new RedisList();
        for (int i = 0; i < 100_000; i++) list.PushFront("xxx"u8);
        // Five bytes an entry (length, three bytes, length): 1638 to an 8 KB node.
        Assert.InRange(list.NodeCount, 100_000 / (RedisList.NodeBytes / 5), 100_000 / (RedisList.NodeBytes / 5) + 2);
        Assert.InRange(list.BufferBytes, 500_000, 500_000 + 2L * RedisList.NodeBytes);
    }

    [Fact]
    public void ElementsPastThePackedThresholdAreNodesOfTheirOwn()
    {
        RedisList.PackedThreshold = 10;
        try
        {
            var list = new RedisList();
            foreach (var value in new[] { "a", "b", "xxxxxxxxxx", "c", "d" }) list.PushBack(System.Text.Encoding.ASCII.GetBytes(value));
            Assert.Equal(3, list.NodeCount); // [a b] [xxxxxxxxxx] [c d]
            list.Set(0, "yyyyyyyyyyyy"u8); // LSET of a large value cuts its node around it
            Assert.Equal(4, list.NodeCount);
            list.Insert(4, "zzzzzzzzzz"u8);
            Assert.Equal(6, list.NodeCount);
            Assert.Equal(["yyyyyyyyyyyy", "b", "xxxxxxxxxx", "c", "zzzzzzzzzz", "d"], list.Items.Select(System.Text.Encoding.ASCII.GetString));
            list.PushFront("e"u8); // nothing joins a plain node
            Assert.Equal(7, list.NodeCount);
        }
        finally
        {
            RedisList.PackedThreshold = RedisList.DefaultPackedThreshold;
        }
    }

    [Fact]
    public void LengthsReadTheSameForwardsAndBackwards()
    {
        var data = new byte[16];
        foreach (int length in new[] { 0, 1, 127, 128, 16383, 16384, int.MaxValue })
        {
            int end = PackedLength.WriteBackwards(data, 3, length);
            Assert.Equal(3 + PackedLength.Size(length), end);
            Assert.Equal(length, PackedLength.ReadBackwards(data, ref end));
            Assert.Equal(3, end);
            int at = 0;
            PackedLength.Write(data, 0, length);
            Assert.Equal(length, PackedLength.Read(data, ref at));
        }
    }
}
