using System.Text;
using AkkaRedis.Protocol;

namespace AkkaRedis.Protocol.Tests;

public class RespWriterTests
{
    private static string Write(bool resp3, Action<RespWriter> write)
    {
        var writer = new RespWriter(4) { Resp3 = resp3 };
        write(writer);
        return Encoding.UTF8.GetString(writer.Written);
    }

    [Fact]
    public void Resp2Encodings()
    {
        Assert.Equal("+OK\r\n", Write(false, w => w.WriteOk()));
        Assert.Equal(":-42\r\n", Write(false, w => w.WriteInteger(-42)));
        Assert.Equal("$5\r\nhello\r\n", Write(false, w => w.WriteBulk("hello"u8)));
        Assert.Equal("$0\r\n\r\n", Write(false, w => w.WriteBulk(ReadOnlySpan<byte>.Empty)));
        Assert.Equal("$-1\r\n", Write(false, w => w.WriteNull()));
        Assert.Equal("*-1\r\n", Write(false, w => w.WriteNullArray()));
        Assert.Equal("*4\r\n", Write(false, w => w.WriteMapHeader(2)));
        Assert.Equal("*2\r\n", Write(false, w => w.WriteSetHeader(2)));
        Assert.Equal(":1\r\n", Write(false, w => w.WriteBoolean(true)));
        Assert.Equal("$3\r\n1.5\r\n", Write(false, w => w.WriteDouble(1.5)));
        Assert.Equal("$2\r\nhi\r\n", Write(false, w => w.WriteVerbatim("hi")));
    }

    [Fact]
    public void Resp3Encodings()
    {
        Assert.Equal("_\r\n", Write(true, w => w.WriteNull()));
        Assert.Equal("_\r\n", Write(true, w => w.WriteNullArray()));
        Assert.Equal("%2\r\n", Write(true, w => w.WriteMapHeader(2)));
        Assert.Equal("~2\r\n", Write(true, w => w.WriteSetHeader(2)));
        Assert.Equal("#t\r\n", Write(true, w => w.WriteBoolean(true)));
        Assert.Equal(",1.5\r\n", Write(true, w => w.WriteDouble(1.5)));
        Assert.Equal(",inf\r\n", Write(true, w => w.WriteDouble(double.PositiveInfinity)));
        Assert.Equal("=6\r\ntxt:hi\r\n", Write(true, w => w.WriteVerbatim("hi")));
    }

    [Fact]
    public void ErrorsNeverBreakFraming() =>
        Assert.Equal("-ERR a  b\r\n", Write(false, w => w.WriteError("ERR a\r\nb")));

    [Theory]
    [InlineData(1.1, "1.1000000000000001")]
    [InlineData(0.1, "0.10000000000000001")]
    [InlineData(3.0, "3")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(1e20, "1e+20")]
    [InlineData(1.5e-7, "1.4999999999999999e-07")]
    [InlineData(123456789012345678.0, "1.2345678901234568e+17")]
    public void DoublesFormatLikePrintfG17(double value, string expected) => Assert.Equal(expected, DoubleFormat.Format(value));

    [Fact]
    public void UnknownCommandErrorQuotesFirstArguments()
    {
        Assert.Equal("ERR unknown command 'foo', with args beginning with: 'a' 'b' ", RespErrors.UnknownCommand("foo", ["a", "b"]));
        var longArgs = RespErrors.UnknownCommand("foo", [new string('x', 200), "y"]);
        Assert.Equal(184, longArgs.Length);
        Assert.Equal("ERR unknown command 'foo', with args beginning with: '" + new string('x', 128) + "' ", longArgs);
    }
}
