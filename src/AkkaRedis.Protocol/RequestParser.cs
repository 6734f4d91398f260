using System.Buffers.Text;

namespace AkkaRedis.Protocol;

/// <summary>What one call of <see cref="RequestParser.Read"/> produced.</summary>
public enum ParseResult
{
    /// <summary>A whole request was parsed; it is in the out parameter.</summary>
    Command,
    /// <summary>Every byte given was consumed (buffered or copied); call again with more input.</summary>
    NeedMore,
    /// <summary>The input is malformed; <see cref="RequestParser.Error"/> holds Redis's reply text. The connection must close.</summary>
    Error,
}

/// <summary>
/// Incremental RESP request parser, multibulk and inline, with Redis's limits and error words
/// (networking.c: processMultibulkBuffer / processInlineBuffer).
/// It keeps its own state between reads, so a frame split at any byte boundary parses the same as whole,
/// and a large bulk is copied once into its argument as it arrives instead of being re-scanned.
/// </summary>
public sealed class RequestParser
{
    /// <summary>Redis's PROTO_INLINE_MAX_SIZE: the longest inline request or header line.</summary>
    public const int MaxLineLength = 64 * 1024;

    /// <summary>proto-max-bulk-len: the largest bulk argument accepted.</summary>
    public long MaxBulkLength { get; set; } = 512L * 1024 * 1024;

    /// <summary>
    /// The client has yet to authenticate: as Redis limits such clients, a request of more than 10 arguments or a bulk
    /// of more than 16384 bytes is a protocol error.
    /// </summary>
    public bool Unauthenticated { get; set; }

    /// <summary>Set when <see cref="Read"/> returns <see cref="ParseResult.Error"/>: the error reply without the leading '-'.</summary>
    public string? Error { get; private set; }

    // A header or inline line that arrived in pieces.
    private byte[] _line = new byte[256];
    private int _lineLength;

    // Multibulk state: arguments still expected, those read so far, the bulk being filled.
    private long _expected;
    private byte[][] _args = [];
    private int _argCount;
    private byte[]? _bulk;
    private int _bulkFilled;
    private int _crlfToSkip;

    /// <summary>
    /// The last request's first argument, which the next request shares when it names the same command. Requests'
    /// arguments are never changed in place, so sharing the array is safe.
    /// </summary>
    private byte[]? _lastName;
    private const int MaxSharedNameLength = 32;

    /// <summary>True while part of a request has been read.</summary>
    public bool InsideRequest => _expected > 0 || _lineLength > 0;

    /// <summary>
    /// Reads at most one request from <paramref name="input"/>, advancing it past what was consumed.
    /// Empty requests (an empty inline line, <c>*0</c>, <c>*-1</c>) are skipped, as Redis skips them.
    /// </summary>
    public ParseResult Read(ref ReadOnlySpan<byte> input, out byte[][]? command)
    {
        command = null;
        while (true)
        {
            if (_expected == 0)
            {
                if (input.IsEmpty && _lineLength == 0) return ParseResult.NeedMore;
                byte first = _lineLength > 0 ? _line[0] : input[0];
                if (first == (byte)'*')
                {
                    var header = ReadHeaderLine(ref input, "Protocol error: too big mbulk count string");
                    if (header.Status != ParseResult.Command) return header.Status;
                    if (!TryParseInteger(header.Line[1..], out long count) || count > int.MaxValue)
                        return Fail("Protocol error: invalid multibulk length");
                    if (count > 10 && Unauthenticated) return Fail("Protocol error: unauthenticated multibulk length");
                    _lineLength = 0;
                    if (count <= 0) continue;
                    _expected = count;
                    _args = new byte[Math.Min(count, 1024)][];
                    _argCount = 0;
                }
                else
                {
                    var status = ReadInline(ref input, out command);
                    if (status == ParseResult.Command && command!.Length == 0) continue;
                    return status;
                }
            }

            var bulkStatus = ReadBulks(ref input);
            if (bulkStatus != ParseResult.Command) return bulkStatus;
            command = _argCount == _args.Length ? _args : _args[.._argCount];
            _args = [];
            _expected = 0;
            _argCount = 0;
            return ParseResult.Command;
        }
    }

    private ParseResult ReadBulks(ref ReadOnlySpan<byte> input)
    {
        while (_argCount < _expected)
        {
            if (_bulk == null)
            {
                // As Redis, the line is read whole before its first byte is judged: a partial line is not an error yet.
                var header = ReadHeaderLine(ref input, "Protocol error: too big bulk count string");
                if (header.Status != ParseResult.Command) return header.Status;
                if (header.Line.IsEmpty || header.Line[0] != (byte)'$')
                    return Fail($"Protocol error: expected '$', got '{(header.Line.IsEmpty ? ' ' : (char)header.Line[0])}'");
                if (!TryParseInteger(header.Line[1..], out long length) || length < 0 || length > MaxBulkLength)
                    return Fail("Protocol error: invalid bulk length");
                if (length > 16384 && Unauthenticated) return Fail("Protocol error: unauthenticated bulk length");
                _lineLength = 0;
                _crlfToSkip = 2;
                if (_argCount == 0 && _lastName is { } name && name.Length == length && input.StartsWith(name))
                {
                    // The same command name as the last request's (a pipeline of GETs): share its array, allocate nothing.
                    _bulk = name;
                    _bulkFilled = name.Length;
                    input = input[name.Length..];
                }
                else
                {
                    _bulk = length == 0 ? [] : GC.AllocateUninitializedArray<byte>((int)length);
                    _bulkFilled = 0;
                }
            }

            int take = Math.Min(_bulk.Length - _bulkFilled, input.Length);
            input[..take].CopyTo(_bulk.AsSpan(_bulkFilled));
            _bulkFilled += take;
            input = input[take..];
            if (_bulkFilled < _bulk.Length) return ParseResult.NeedMore;

            // Like Redis, the two bytes after the data are skipped, not checked.
            int skip = Math.Min(_crlfToSkip, input.Length);
            _crlfToSkip -= skip;
            input = input[skip..];
            if (_crlfToSkip > 0) return ParseResult.NeedMore;

            if (_argCount == _args.Length) Array.Resize(ref _args, (int)Math.Min(_expected, (long)_args.Length * 2));
            if (_argCount == 0 && _bulk.Length <= MaxSharedNameLength) _lastName = _bulk;
            _args[_argCount++] = _bulk;
            _bulk = null;
        }
        return ParseResult.Command;
    }

    private readonly ref struct HeaderLine(ParseResult status, ReadOnlySpan<byte> line)
    {
        public readonly ParseResult Status = status;
        public readonly ReadOnlySpan<byte> Line = line;
    }

    /// <summary>Reads a "*N\r\n" or "$N\r\n" line (without its CRLF), buffering it when it arrives in pieces.</summary>
    private HeaderLine ReadHeaderLine(ref ReadOnlySpan<byte> input, string tooBig)
    {
        if (_lineLength == 0)
        {
            int cr = input.IndexOf((byte)'\r');
            if (cr >= 0 && cr + 1 < input.Length)
            {
                var line = input[..cr];
                input = input[(cr + 2)..];
                return new HeaderLine(ParseResult.Command, line);
            }
        }
        // Slow path: the line is split across reads.
        int crInBuffer = _line.AsSpan(0, _lineLength).IndexOf((byte)'\r');
        while (true)
        {
            if (crInBuffer >= 0 && crInBuffer + 1 < _lineLength)
            {
                // The buffered line holds its CR and the byte after it; anything after that was never copied.
                return new HeaderLine(ParseResult.Command, _line.AsSpan(0, crInBuffer));
            }
            if (input.IsEmpty)
            {
                if (_lineLength > MaxLineLength) return new HeaderLine(Fail(tooBig), default);
                return new HeaderLine(ParseResult.NeedMore, default);
            }
            byte b = input[0];
            input = input[1..];
            AppendLine(b);
            if (crInBuffer >= 0) continue;
            if (b == (byte)'\r') crInBuffer = _lineLength - 1;
            else if (_lineLength > MaxLineLength) return new HeaderLine(Fail(tooBig), default);
        }
    }

    private void AppendLine(byte b)
    {
        if (_lineLength == _line.Length) Array.Resize(ref _line, _line.Length * 2);
        _line[_lineLength++] = b;
    }

    private ParseResult ReadInline(ref ReadOnlySpan<byte> input, out byte[][]? command)
    {
        command = null;
        ReadOnlySpan<byte> line;
        int nl = input.IndexOf((byte)'\n');
        if (_lineLength == 0 && nl >= 0)
        {
            line = input[..nl];
            input = input[(nl + 1)..];
        }
        else
        {
            int take = nl >= 0 ? nl + 1 : input.Length;
            foreach (var b in input[..take]) AppendLine(b);
            input = input[take..];
            if (nl < 0)
            {
                if (_lineLength > MaxLineLength) return Fail("Protocol error: too big inline request");
                return ParseResult.NeedMore;
            }
            line = _line.AsSpan(0, _lineLength - 1);
        }
        if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
        var args = InlineSplitter.Split(line);
        _lineLength = 0;
        if (args == null) return Fail("Protocol error: unbalanced quotes in request");
        command = args;
        return ParseResult.Command;
    }

    private ParseResult Fail(string message)
    {
        Error = message;
        return ParseResult.Error;
    }

    /// <summary>Redis's string2ll: optional '-', digits, no '+', no leading zeros, no spaces.</summary>
    public static bool TryParseInteger(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20) return false;
        if (text[0] == (byte)'+' || text[0] == (byte)' ') return false;
        if (text.Length > 1 && text[0] == (byte)'0') return false;
        if (text.Length > 2 && text[0] == (byte)'-' && text[1] == (byte)'0') return false;
        if (text.Length == 2 && text[0] == (byte)'-' && text[1] == (byte)'0') return false;
        return Utf8Parser.TryParse(text, out value, out int used) && used == text.Length;
    }
}
