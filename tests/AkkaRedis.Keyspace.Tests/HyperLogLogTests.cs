using System.Text;
using AkkaRedis.Keyspace.Data;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>The HyperLogLog representation: Redis's bytes, sparse and dense agreeing, and damage detected.</summary>
public class HyperLogLogTests
{
    private static byte[] With(int sparseMaxBytes, IEnumerable<string> elements)
    {
        var hll = HyperLogLog.Create();
        foreach (var element in elements) Assert.True(HyperLogLog.Add(ref hll, Encoding.UTF8.GetBytes(element), sparseMaxBytes) >= 0);
        return hll;
    }

    [Fact]
    public void ThreeElementsGiveTheBytesRedisServerGives()
    {
        // redis-server 7.0.15: PFADD q a b c, then GET q (the cache marked stale by the add).
        var hll = With(3000, ["a", "b", "c"]);
        Assert.Equal("48594c4c01000000000000000000008060f38050b1844bfb80425a", Convert.ToHexStringLower(hll));
        Assert.Equal(3, HyperLogLog.Count(hll));
        Assert.Null(HyperLogLog.CachedCount(hll));
        Assert.Equal(0, HyperLogLog.Add(ref hll, "b"u8, 3000)); // no register grows: nothing changes
    }

    [Fact]
    public void SparseAndDenseHoldTheSameRegistersAndCount()
    {
        var elements = Enumerable.Range(0, 20_000).Select(i => "element:" + i * 7919).ToList();
        foreach (int n in new[] { 10, 300, 2000, 20_000 })
        {
            var sparse = With(1 << 20, elements.Take(n)); // never promoted (until a register passes 32)
            var dense = With(0, elements.Take(n)); // promoted at the first split
            var promoted = With(3000, elements.Take(n));
            Assert.True(HyperLogLog.IsDense(dense));
            Assert.Equal(HyperLogLog.ReadRegisters(dense), HyperLogLog.ReadRegisters(sparse));
            Assert.Equal(HyperLogLog.ReadRegisters(dense), HyperLogLog.ReadRegisters(promoted));
            long count = HyperLogLog.Count(sparse)!.Value;
            Assert.Equal(count, HyperLogLog.Count(dense));
            Assert.InRange(count, n * 0.97, n * 1.03);
            Assert.Equal(HyperLogLog.ReadRegisters(dense), HyperLogLog.ReadRegisters(HyperLogLog.ToDense(sparse)!));
        }
    }

    [Fact]
    public void TheSelfTestPasses() => Assert.Null(HyperLogLog.SelfTest(new Random(1), 3000));

    [Fact]
    public void DamagedOrForeignStringsAreRecognised()
    {
        var hll = With(3000, ["a", "b", "c"]);
        Assert.True(HyperLogLog.IsValid(hll));
        Assert.False(HyperLogLog.IsValid("HYLX\u0001"u8.ToArray()));
        Assert.False(HyperLogLog.IsValid([.. "HYLL"u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])); // dense of the wrong size
        // Opcodes that do not cover exactly 16384 registers: counting, merging and adding all refuse.
        byte[] cut = hll[..^1], extra = [.. hll, 0x05];
        foreach (var damaged in new[] { cut, extra })
        {
            Assert.Null(HyperLogLog.Count(damaged));
            Assert.False(HyperLogLog.MergeInto(new byte[HyperLogLog.Registers], damaged));
        }
        var copy = cut;
        Assert.Equal(-1, HyperLogLog.Set(ref copy, HyperLogLog.Registers - 1, 5, 3000));
    }

    [Fact]
    public void DecodeListsTheOpcodesEvenOfADamagedString()
    {
        var empty = HyperLogLog.Create(); // one XZERO covering all 16384 registers
        Assert.Equal("Z:16384", HyperLogLog.Decode(empty));
        byte[] withValue = [.. empty[..^2], 0x00, 0x84, 0x7f, 0xfe];
        Assert.Equal("z:1 v:2,1 Z:16383", HyperLogLog.Decode(withValue));
        // An XZERO cut after its first byte (an APPEND or SETRANGE made it): Redis reads the terminating NUL as the
        // second byte and still lists it (found by tests/tools/fuzz-commands.py against redis-server 7.0).
        Assert.Equal("z:1 Z:8961", HyperLogLog.Decode([.. empty[..^2], 0x00, 0x63]));
    }
}
