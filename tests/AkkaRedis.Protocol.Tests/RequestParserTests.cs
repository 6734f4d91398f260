using System.Text;
using AkkaRedis.Protocol;

namespace AkkaRedis.Protocol.Tests;

public class RequestParserTests
{
    /// <summary>Parses all of <paramref name="input"/> fed in pieces of <paramref name="chunk"/> bytes; returns the commands and the error, if any.</summary>
    private static (List<string[]> Commands, string? Error) Parse(string input, int chunk)
    {
        var bytes = Encoding.Latin1.GetBytes(input);
        var parser = new RequestParser();
        var commands = new List<string[]>();
        for (int at = 0; at < bytes.Length; at += chunk)
        {
            ReadOnlySpan<byte> span = bytes.AsSpan(at, Math.Min(chunk, bytes.Length - at));
            while (true)
            {
                var result = parser.Read(ref span, out var args);
                if (result == ParseResult.NeedMore) break;
                if (result == ParseResult.Error) return (commands, parser.Error);
                commands.Add(args!.Select(a => Encoding.Latin1.GetString(a)).ToArray());
            }
            Assert.True(span.IsEmpty, "NeedMore must mean every byte was consumed");
        }
        return (commands, null);
    }

    /// <summary>Every case is checked whole, in 1-byte pieces, and in 3-byte pieces.</summary>
    private static void Check(string input, string?[][] expected, string? error = null)
    {
        foreach (int chunk in new[] { int.MaxValue / 2, 1, 3 })
        {
            var (commands, actualError) = Parse(input, Math.Min(chunk, Math.Max(1, input.Length)));
            Assert.Equal(expected.Length, commands.Count);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], commands[i]);
            Assert.Equal(error, actualError);
        }
    }

    [Fact]
    public void Multibulk() => Check("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", [["GET", "key"]]);

    [Fact]
    public void PipelinedCommands() =>
        Check("*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$0\r\n\r\n", [["PING"], ["SET", "a", ""]]);

    [Fact]
    public void RepeatedCommandNamesParseAsSent() =>
        Check("*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n*2\r\n$3\r\nSET\r\n$1\r\nc\r\n*1\r\n$3\r\nGET\r\n*1\r\n$3\r\nGEX\r\n",
            [["GET", "a"], ["GET", "b"], ["SET", "c"], ["GET"], ["GEX"]]);

    [Fact]
    public void ARepeatedCommandNameIsNotAllocatedAgain()
    {
        var parser = new RequestParser();
        ReadOnlySpan<byte> input = "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n"u8;
        Assert.Equal(ParseResult.Command, parser.Read(ref input, out var first));
        Assert.Equal(ParseResult.Command, parser.Read(ref input, out var second));
        Assert.Same(first![0], second![0]);
        Assert.NotSame(first[1], second[1]);
    }

    [Fact]
    public void BinarySafeBulk() => Check("*1\r\n$4\r\na\r\nb\r\n", [["a\r\nb"]]);

    [Fact]
    public void EmptyMultibulksAreSkipped() => Check("*0\r\n*-1\r\n*1\r\n$1\r\nx\r\n", [["x"]]);

    [Fact]
    public void Inline() => Check("SET a b\r\nGET a\n", [["SET", "a", "b"], ["GET", "a"]]);

    [Fact]
    public void InlineEmptyLinesAreSkipped() => Check("\r\n\n  \r\nPING\r\n", [["PING"]]);

    [Fact]
    public void InlineQuotes() =>
        Check("SET \"a b\" 'c d' \"\\x41\\n\" 'it\\'s'\r\n", [["SET", "a b", "c d", "A\n", "it's"]]);

    [Fact]
    public void InlineUnbalancedQuotes() => Check("SET \"a b\r\n", [], "Protocol error: unbalanced quotes in request");

    [Fact]
    public void InlineQuoteMustEndArgument() => Check("SET \"a\"b c\r\n", [], "Protocol error: unbalanced quotes in request");

    [Fact]
    public void ExpectedDollar() => Check("*1\r\n:5\r\n", [], "Protocol error: expected '$', got ':'");

    [Fact]
    public void ExpectedDollarOnAnEmptyLine() => Check("*1\r\n\r\n", [], "Protocol error: expected '$', got ' '");

    /// <summary>Redis judges a bulk header only once its line is whole: a partial one waits for more input.</summary>
    [Fact]
    public void APartialBulkHeaderIsNotAnErrorYet() => Check("*3\r\n0", []);

    [Fact]
    public void InvalidBulkLength() => Check("*1\r\n$-1\r\n", [], "Protocol error: invalid bulk length");

    [Fact]
    public void BulkLengthNotANumber() => Check("*1\r\n$x\r\n", [], "Protocol error: invalid bulk length");

    [Fact]
    public void InvalidMultibulkLength() => Check("*x\r\n", [], "Protocol error: invalid multibulk length");

    [Fact]
    public void MultibulkLengthOverflow() => Check("*99999999999\r\n", [], "Protocol error: invalid multibulk length");

    [Fact]
    public void BulkLongerThanLimit()
    {
        var parser = new RequestParser { MaxBulkLength = 10 };
        ReadOnlySpan<byte> input = "*1\r\n$11\r\n"u8;
        Assert.Equal(ParseResult.Error, parser.Read(ref input, out _));
        Assert.Equal("Protocol error: invalid bulk length", parser.Error);
    }

    [Fact]
    public void TooBigInlineRequest() =>
        Check(new string('a', RequestParser.MaxLineLength + 10), [], "Protocol error: too big inline request");

    [Fact]
    public void TooBigMultibulkCountString() =>
        Check("*" + new string('1', RequestParser.MaxLineLength + 10), [], "Protocol error: too big mbulk count string");

    [Fact]
    public void TooBigBulkCountString() =>
        Check("*1\r\n$" + new string('1', RequestParser.MaxLineLength + 10), [], "Protocol error: too big bulk count string");

    [Fact]
    public void PartialFrameConsumesAndWaits()
    {
        var parser = new RequestParser();
        ReadOnlySpan<byte> first = "*2\r\n$3\r\nGE"u8;
        Assert.Equal(ParseResult.NeedMore, parser.Read(ref first, out _));
        Assert.True(parser.InsideRequest);
        ReadOnlySpan<byte> second = "T\r\n$1\r\nk\r\n"u8;
        Assert.Equal(ParseResult.Command, parser.Read(ref second, out var args));
        Assert.Equal(["GET", "k"], args!.Select(a => Encoding.ASCII.GetString(a)));
    }

    [Fact]
    public void LargeBulkArrivesInPieces()
    {
        var value = new string('v', 1_000_000);
        Check($"*2\r\n$3\r\nSET\r\n${value.Length}\r\n{value}\r\n", [["SET", value]]);
    }

    [Fact]
    public void RandomCommandsRoundTrip()
    {
        var random = new Random(1234);
        for (int round = 0; round < 200; round++)
        {
            var commands = new List<string[]>();
            var wire = new StringBuilder();
            for (int c = random.Next(1, 6); c > 0; c--)
            {
                var args = Enumerable.Range(0, random.Next(1, 5))
                    .Select(_ => new string(Enumerable.Range(0, random.Next(0, 20)).Select(_ => (char)random.Next(0, 256)).ToArray()))
                    .ToArray();
                commands.Add(args);
                wire.Append('*').Append(args.Length).Append("\r\n");
                foreach (var a in args) wire.Append('$').Append(a.Length).Append("\r\n").Append(a).Append("\r\n");
            }
            var (parsed, error) = Parse(wire.ToString(), random.Next(1, 40));
            Assert.Null(error);
            Assert.Equal(commands, parsed);
        }
    }

    [Theory]
    [InlineData("0", true, 0)]
    [InlineData("-1", true, -1)]
    [InlineData("9223372036854775807", true, long.MaxValue)]
    [InlineData("-9223372036854775808", true, long.MinValue)]
    [InlineData("9223372036854775808", false, 0)]
    [InlineData("01", false, 0)]
    [InlineData("+1", false, 0)]
    [InlineData(" 1", false, 0)]
    [InlineData("1 ", false, 0)]
    [InlineData("-0", false, 0)]
    [InlineData("", false, 0)]
    public void IntegersFollowString2ll(string text, bool ok, long value)
    {
        Assert.Equal(ok, RequestParser.TryParseInteger(Encoding.ASCII.GetBytes(text), out long parsed));
        if (ok) Assert.Equal(value, parsed);
    }
}
