using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;

namespace AkkaRedis.Protocol;

/// <summary>
/// Writes RESP2 or RESP3 replies into one growable buffer. Where the two protocols differ
/// (null, maps, sets, doubles, booleans, verbatim strings) the writer follows <see cref="Resp3"/>,
/// as Redis's addReply* functions do for the client's negotiated protocol.
/// </summary>
public sealed class RespWriter
{
    private byte[] _buffer;
    private int _length;

    public RespWriter(int capacity = 256) => _buffer = new byte[capacity];

    /// <summary>True when the client negotiated RESP3 with HELLO 3.</summary>
    public bool Resp3 { get; set; }

    public int Length => _length;
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);
    public byte[] Buffer => _buffer;

    public void Clear() => _length = 0;

    /// <summary>Removes what was written after <paramref name="length"/> (used to replace a partly written reply).</summary>
    public void Truncate(int length) => _length = length;

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length) Grow(count);
        return _buffer.AsSpan(_length);
    }

    private void Grow(int count)
    {
        int size = Math.Max(_buffer.Length * 2, _length + count);
        Array.Resize(ref _buffer, size);
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _length += bytes.Length;
    }

    private void WritePrefixed(byte prefix, long value)
    {
        var span = Reserve(24);
        span[0] = prefix;
        Utf8Formatter.TryFormat(value, span[1..], out int written);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        _length += 3 + written;
    }

    private void WriteCrlf()
    {
        var span = Reserve(2);
        span[0] = (byte)'\r';
        span[1] = (byte)'\n';
        _length += 2;
    }

    public void WriteOk() => WriteRaw("+OK\r\n"u8);
    public void WriteQueued() => WriteRaw("+QUEUED\r\n"u8);

    public void WriteSimple(string text) => WriteLine((byte)'+', text);

    public void WriteSimple(ReadOnlySpan<byte> text)
    {
        var span = Reserve(text.Length + 3);
        span[0] = (byte)'+';
        text.CopyTo(span[1..]);
        span[1 + text.Length] = (byte)'\r';
        span[2 + text.Length] = (byte)'\n';
        _length += text.Length + 3;
    }

    /// <summary>An error reply; <paramref name="message"/> starts with its code (ERR, WRONGTYPE, ...), without the '-'.
    /// Newlines are replaced by spaces, as Redis does, so an error can never break the framing.</summary>
    /// <summary>A whole error reply as bytes (the same in RESP2 and RESP3).</summary>
    public static byte[] ErrorReply(string message)
    {
        var writer = new RespWriter(message.Length + 8);
        writer.WriteError(message);
        return writer.ToArray();
    }

    public void WriteError(string message) => WriteError(message, Encoding.UTF8);

    /// <summary>
    /// An error whose text stands for bytes one to one (characters 0-255), as a protocol error quoting the byte it met
    /// ("expected '$', got '\xfe'"): written as those bytes, as Redis writes them, where UTF-8 would make two of 0xfe.
    /// </summary>
    public void WriteErrorOfBytes(string message) => WriteError(message, Encoding.Latin1);

    /// <summary>An error is one line: a line break in the text becomes a space, as Redis's addReplyError makes it.</summary>
    private void WriteError(string message, Encoding encoding)
    {
        if (message.AsSpan().IndexOfAny('\r', '\n') >= 0) message = message.Replace('\r', ' ').Replace('\n', ' ');
        WriteLine((byte)'-', message, encoding);
    }

    /// <summary>A one-line reply: the type byte, the text as UTF-8 (or <paramref name="encoding"/>), CRLF.</summary>
    private void WriteLine(byte prefix, string text, Encoding? encoding = null)
    {
        encoding ??= Encoding.UTF8;
        int max = encoding.GetMaxByteCount(text.Length) + 3;
        var span = Reserve(max);
        span[0] = prefix;
        int n = encoding.GetBytes(text, span[1..]);
        span[1 + n] = (byte)'\r';
        span[2 + n] = (byte)'\n';
        _length += n + 3;
    }

    public void WriteInteger(long value) => WritePrefixed((byte)':', value);

    public void WriteBulk(ReadOnlySpan<byte> value)
    {
        var span = Reserve(value.Length + 24);
        span[0] = (byte)'$';
        Utf8Formatter.TryFormat(value.Length, span[1..], out int written);
        int at = 1 + written;
        span[at++] = (byte)'\r';
        span[at++] = (byte)'\n';
        value.CopyTo(span[at..]);
        at += value.Length;
        span[at++] = (byte)'\r';
        span[at++] = (byte)'\n';
        _length += at;
    }

    public void WriteBulk(string value) => WriteBulk(Encoding.UTF8.GetBytes(value));

    /// <summary>An integer sent as a bulk string (for example CONFIG GET values).</summary>
    public void WriteBulk(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out int n);
        WriteBulk(digits[..n]);
    }

    /// <summary>The null bulk string ($-1) in RESP2, the null (_) in RESP3.</summary>
    public void WriteNull() => WriteRaw(Resp3 ? "_\r\n"u8 : "$-1\r\n"u8);

    /// <summary>The null array (*-1) in RESP2, the null (_) in RESP3.</summary>
    public void WriteNullArray() => WriteRaw(Resp3 ? "_\r\n"u8 : "*-1\r\n"u8);

    public void WriteArrayHeader(long count) => WritePrefixed((byte)'*', count);

    /// <summary>A map of <paramref name="pairs"/> entries: %n in RESP3, a flat array of 2n elements in RESP2.</summary>
    /// <summary>An out-of-band push (pub/sub messages and replies): '&gt;' in RESP3, an array in RESP2.</summary>
    public void WritePushHeader(long count) => WritePrefixed(Resp3 ? (byte)'>' : (byte)'*', count);

    public void WriteMapHeader(long pairs)
    {
        if (Resp3) WritePrefixed((byte)'%', pairs);
        else WritePrefixed((byte)'*', pairs * 2);
    }

    public void WriteSetHeader(long count) => WritePrefixed(Resp3 ? (byte)'~' : (byte)'*', count);

    /// <summary>The attributes (|) of the reply that follows: RESP3 only, nothing at all in RESP2.</summary>
    public void WriteAttributeHeader(long pairs)
    {
        if (Resp3) WritePrefixed((byte)'|', pairs);
    }

    /// <summary>A big number: '(' and its digits in RESP3, a bulk string in RESP2.</summary>
    public void WriteBigNumber(string digits)
    {
        if (Resp3) WriteLine((byte)'(', digits);
        else WriteBulk(Encoding.ASCII.GetBytes(digits));
    }

    public void WriteBoolean(bool value)
    {
        if (Resp3) WriteRaw(value ? "#t\r\n"u8 : "#f\r\n"u8);
        else WriteInteger(value ? 1 : 0);
    }

    /// <summary>A double: ',' in RESP3, a bulk string in RESP2, formatted as Redis 7.0 does (%.17g, inf, -inf, nan).</summary>
    public void WriteDouble(double value)
    {
        var text = DoubleFormat.Format(value);
        if (Resp3)
        {
            var span = Reserve(text.Length + 3);
            span[0] = (byte)',';
            Encoding.ASCII.GetBytes(text, span[1..]);
            span[1 + text.Length] = (byte)'\r';
            span[2 + text.Length] = (byte)'\n';
            _length += text.Length + 3;
        }
        else WriteBulk(Encoding.ASCII.GetBytes(text));
    }

    /// <summary>A verbatim string (=) in RESP3 with the "txt" format, a bulk string in RESP2 (INFO, CLIENT LIST).</summary>
    public void WriteVerbatim(string text) => WriteVerbatim(Encoding.UTF8.GetBytes(text), "txt"u8);

    /// <summary>A verbatim string with its three-letter <paramref name="format"/> (a script's verbatim_string reply).</summary>
    public void WriteVerbatim(ReadOnlySpan<byte> text, ReadOnlySpan<byte> format)
    {
        if (!Resp3)
        {
            WriteBulk(text);
            return;
        }
        WritePrefixed((byte)'=', text.Length + 4);
        WriteRaw(format[..Math.Min(3, format.Length)]);
        WriteRaw(":"u8);
        WriteRaw(text);
        WriteCrlf();
    }
}
