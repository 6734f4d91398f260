using System.Text;
using AkkaRedis.Keyspace.Snapshot;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>LZF as RDB uses it: what the compressor writes, lzf_d (our reader, and redis-server's) reads back.</summary>
public class LzfTests
{
    public static TheoryData<string> Inputs => new()
    {
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        string.Concat(Enumerable.Repeat("hello world, ", 50)),
        string.Concat(Enumerable.Range(0, 2000).Select(i => $"key:{i % 37}:value:{i % 11};")),
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void CompressedTextDecompressesToItself(string text)
    {
        var input = Encoding.ASCII.GetBytes(text);
        var output = new byte[input.Length + input.Length / 16 + 64];
        int length = Lzf.Compress(input, output);
        Assert.True(length > 0);
        Assert.Equal(input, Lzf.Decompress(output.AsSpan(0, length), input.Length));
    }

    [Fact]
    public void RepeatsFartherThanTheWindowAndLongMatchesRoundTrip()
    {
        var random = new Random(7);
        var block = new byte[9000];
        random.NextBytes(block);
        // The same 9000 random bytes twice: a repeat 9000 bytes back is out of LZF's 8 KB reach, so it stays literal.
        var input = block.Concat(block).Concat(new byte[3000]).ToArray();
        var output = new byte[input.Length * 2];
        int length = Lzf.Compress(input, output);
        Assert.Equal(input, Lzf.Decompress(output.AsSpan(0, length), input.Length));
    }

    [Fact]
    public void WhatDoesNotFitIsNotCompressed()
    {
        var random = new byte[100];
        new Random(1).NextBytes(random);
        Assert.Equal(0, Lzf.Compress(random, new byte[96]));
    }

    [Fact]
    public void RdbStringsLongerThan20BytesAreCompressedWhenThatSavesRoomAndReadBack()
    {
        var repetitive = Encoding.ASCII.GetBytes(new string('x', 100));
        var output = new List<byte>();
        RdbEncoding.WriteString(output, repetitive, compress: true);
        Assert.Equal(RdbEncoding.LzfString, output[0]);
        Assert.True(output.Count < 20);
        Assert.Equal(repetitive, new RdbReader([.. output], 0).String());

        var plain = new List<byte>();
        RdbEncoding.WriteString(plain, repetitive, compress: false);
        Assert.Equal(2 + 100, plain.Count); // a two-byte length (64 or more), then the bytes
        var shortValue = new List<byte>();
        RdbEncoding.WriteString(shortValue, Encoding.ASCII.GetBytes(new string('y', 20)), compress: true);
        Assert.Equal(21, shortValue.Count); // 20 bytes or fewer: never compressed
    }
}
