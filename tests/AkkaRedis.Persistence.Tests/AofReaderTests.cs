using System.Text;

namespace AkkaRedis.Persistence.Tests;

public class AofReaderTests
{
    /// <summary>A stream that hands out at most one byte per read: every refill boundary is exercised.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));
    }

    private static List<string> ReadAll(string text, bool trickle, out AofRead last, out long lastStart)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        using var reader = new AofReader(trickle ? new TrickleStream(bytes) : new MemoryStream(bytes));
        var commands = new List<string>();
        while ((last = reader.Next(out var args)) == AofRead.Command) commands.Add(Aof.Text(args));
        lastStart = reader.CommandStart;
        return commands;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsCommandsAndSkipsAnnotations(bool trickle)
    {
        var text = Aof.Resp("SET", "k", "v") + "#TS:1700000000\r\n" + Aof.Resp("RPUSH", "l", "a b", "") + Aof.Resp("DEL", "k");
        var commands = ReadAll(text, trickle, out var last, out _);
        Assert.Equal(AofRead.End, last);
        Assert.Equal(["SET k v", "RPUSH l a b ", "DEL k"], commands);
    }

    [Fact]
    public void ALargeValueCrossesBufferRefills()
    {
        var value = new string('x', 3 << 20);
        var commands = ReadAll(Aof.Resp("SET", "big", value), false, out var last, out _);
        Assert.Equal(AofRead.End, last);
        Assert.Equal("SET big " + value, Assert.Single(commands));
    }

    [Fact]
    public void EveryCutInsideTheLastCommandIsTruncatedAtItsStart()
    {
        var first = Aof.Resp("SET", "a", "1");
        var second = Aof.Resp("SET", "key", "value");
        for (int cut = 1; cut < second.Length; cut++)
        {
            var commands = ReadAll(first + second[..cut], cut % 2 == 0, out var last, out long start);
            Assert.Equal(AofRead.Truncated, last);
            Assert.Equal(first.Length, start);
            Assert.Equal(["SET a 1"], commands);
        }
    }

    [Theory]
    [InlineData("SET a 1\r\n")]
    [InlineData("*2\r\n$3\r\nGET\r\n:1\r\n")]
    [InlineData("*x\r\n")]
    [InlineData("*1\r\n$3\r\nGETXX")]
    [InlineData("*1\r\n$-4\r\n")]
    public void DamageIsReportedWhereItsCommandStarts(string damage)
    {
        var good = Aof.Resp("SET", "a", "1");
        var commands = ReadAll(good + damage + Aof.Resp("SET", "b", "2"), false, out var last, out long start);
        Assert.Equal(AofRead.Corrupt, last);
        Assert.Equal(good.Length, start);
        Assert.Equal(["SET a 1"], commands);
    }
}
