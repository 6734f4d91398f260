using System.Text;
using AkkaRedis.Keyspace.Data;

namespace AkkaRedis.Keyspace.Tests;

public class DataTests
{
    [Theory]
    [InlineData("foo", 12182)]
    [InlineData("bar", 5061)]
    [InlineData("{user1000}.following", 3443)]
    [InlineData("{user1000}.followers", 3443)]
    [InlineData("foo{}{bar}", 8363)]
    [InlineData("foo{{bar}}zap", 4015)]
    [InlineData("foo{bar}{zap}", 5061)]
    public void HashSlotsMatchRedisCluster(string key, int slot) => Assert.Equal(slot, HashSlot.Of(Encoding.UTF8.GetBytes(key)));

    [Fact]
    public void Crc16IsXmodemAtEveryLength()
    {
        // crc16.c's check value, then random data of every length against the bit-at-a-time definition.
        Assert.Equal(0x31C3, HashSlot.Crc16("123456789"u8));
        var random = new Random(16);
        for (int length = 0; length <= 70; length++)
        {
            for (int round = 0; round < 20; round++)
            {
                var data = new byte[length];
                random.NextBytes(data);
                Assert.Equal(BitwiseCrc16(data), HashSlot.Crc16(data));
            }
        }
    }

    private static ushort BitwiseCrc16(byte[] data)
    {
        int crc = 0;
        foreach (var b in data)
        {
            crc ^= b << 8;
            for (int bit = 0; bit < 8; bit++) crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x1021) & 0xFFFF : (crc << 1) & 0xFFFF;
        }
        return (ushort)crc;
    }

    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("h?llo", "hello", true)]
    [InlineData("h*llo", "heeeello", true)]
    [InlineData("h[ae]llo", "hallo", true)]
    [InlineData("h[^e]llo", "hello", false)]
    [InlineData("h[a-b]llo", "hbllo", true)]
    [InlineData("h\\*llo", "h*llo", true)]
    [InlineData("h\\*llo", "hello", false)]
    [InlineData("a*b", "acb", true)]
    [InlineData("a*b", "acbd", false)]
    [InlineData("*a*b*c", "xxaybzc", true)]
    [InlineData("a*b*c", "abcbc", true)]
    // Exponential without Redis's skipLongerMatches (keyspace.tcl's "pattern matching long nested loops"): it ran for
    // hours and held the shard; now it ends at once.
    [InlineData("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    public void GlobMatchesLikeStringmatchlen(string pattern, string text, bool expected) =>
        Assert.Equal(expected, Glob.Match(Encoding.UTF8.GetBytes(pattern), Encoding.UTF8.GetBytes(text)));

    [Theory]
    [InlineData("10.5", "0.1", "10.6")]
    [InlineData("10.52", "1000", "1010.52000000000000002")]
    [InlineData("3.0e3", "1.5", "3001.5")]
    [InlineData("0.1", "0.2", "0.3")]
    [InlineData("1e20", "-1e20", "0")]
    [InlineData("-5", "2", "-3")]
    [InlineData("0x10", "1", "17")]
    [InlineData("0x1.8p1", "-0X.8", "2.5")]
    [InlineData("0e5000", "1", "1")]
    [InlineData("0.02439024390243902", "-0.024390243902439025", "0")]
    public void LongDoubleSumsPrintLikeRedis(string a, string b, string expected)
    {
        Assert.True(LongDouble.TryParse(Encoding.ASCII.GetBytes(a), out var x));
        Assert.True(LongDouble.TryParse(Encoding.ASCII.GetBytes(b), out var y));
        Assert.Equal(expected, (x + y).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("nan")]
    [InlineData("1.2.3")]
    [InlineData("abc")]
    [InlineData("0x")]
    [InlineData("0xg")]
    [InlineData("1e4933")]
    [InlineData("1e-5000")]
    [InlineData("0x1p-16500")]
    public void LongDoubleRejectsWhatStrtoldRejects(string text) => Assert.False(LongDouble.TryParse(Encoding.ASCII.GetBytes(text), out _));

    [Fact]
    public void Crc64IsRedisCrc64Jones() =>
        // Redis's crc64.c test vector.
        Assert.Equal(0xe9c6d914c4b8d9caUL, Snapshot.Crc64.Compute("123456789"u8));

    [Fact]
    public void LzfDecompressesBackReferences()
    {
        // "abcabcabc": three literals, then a back reference of length 6 at distance 3.
        byte[] compressed = [2, (byte)'a', (byte)'b', (byte)'c', (4 << 5) | 0, 2];
        Assert.Equal("abcabcabc", System.Text.Encoding.ASCII.GetString(Snapshot.Lzf.Decompress(compressed, 9)!));
        Assert.Null(Snapshot.Lzf.Decompress(compressed, 8));
    }
}
