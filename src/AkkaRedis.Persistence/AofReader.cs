using System.Runtime.CompilerServices;
using System.Buffers.Text;

namespace AkkaRedis.Persistence;

/// <summary>What <see cref="AofReader.Next"/> found.</summary>
public enum AofRead
{
    /// <summary>A whole command; it is in the out parameter.</summary>
    Command,
    /// <summary>The file ended cleanly between commands.</summary>
    End,
    /// <summary>The file ended inside a command: a crash mid-write (Redis's "short read").</summary>
    Truncated,
    /// <summary>Bytes that are not a RESP command: damage in the file.</summary>
    Corrupt,
}

/// <summary>
/// Reads RESP commands from an AOF file as Redis's loadSingleAppendOnlyFile does: "*argc", then argc bulk
/// strings; lines starting with '#' are annotations and skipped. <see cref="CommandStart"/> is the offset of
/// the last command's first byte, so a truncated or damaged tail can be reported and cut off exactly.
/// </summary>
public sealed class AofReader : IDisposable
{
    private readonly Stream? _stream;
    private byte[] _buffer;
    private int _position;
    private int _end;
    private long _bufferOffset;
    private bool _eof;

    public AofReader(Stream stream)
    {
        _stream = stream;
        _buffer = new byte[1 << 20];
    }

    /// <summary>Reads commands from bytes already in memory, without copying them.</summary>
    public AofReader(byte[] data)
    {
        _buffer = data;
        _end = data.Length;
        _eof = true;
    }

    /// <summary>File offset where the command last returned (or the damage) starts.</summary>
    public long CommandStart { get; private set; }

    /// <summary>File offset of the next unread byte.</summary>
    public long Offset => _bufferOffset + _position;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public AofRead Next(out byte[][] args)
    {
        args = [];
        while (true)
        {
            CommandStart = Offset;
            if (!Ensure(1)) return AofRead.End;
            byte first = _buffer[_position];
            if (first == (byte)'#')
            {
                if (!TryLine(out _)) return AofRead.Truncated;
                continue;
            }
            if (first != (byte)'*') return AofRead.Corrupt;
            if (!TryLine(out var header)) return AofRead.Truncated;
            if (!Utf8Parser.TryParse(header[1..], out long argc, out int used) || used != header.Length - 1 || argc < 1 || argc > int.MaxValue)
                return AofRead.Corrupt;
            args = new byte[argc][];
            for (int i = 0; i < argc; i++)
            {
                if (!Ensure(1)) return AofRead.Truncated;
                if (_buffer[_position] != (byte)'$') return AofRead.Corrupt;
                if (!TryLine(out var lengthLine)) return AofRead.Truncated;
                if (!Utf8Parser.TryParse(lengthLine[1..], out long length, out used) || used != lengthLine.Length - 1 || length < 0 || length > int.MaxValue - 2)
                    return AofRead.Corrupt;
                var status = ReadBulk((int)length, out args[i]);
                if (status != AofRead.Command) return status;
            }
            return AofRead.Command;
        }
    }

    /// <summary>A "\r\n"-terminated line without the terminator; false when the file ends first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryLine(out ReadOnlySpan<byte> line)
    {
        int scanned = 0;
        while (true)
        {
            int newline = _buffer.AsSpan(_position + scanned, _end - _position - scanned).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                int length = scanned + newline;
                line = _buffer.AsSpan(_position, length > 0 && _buffer[_position + length - 1] == (byte)'\r' ? length - 1 : length);
                _position += length + 1;
                return true;
            }
            scanned = _end - _position;
            if (!Ensure(scanned + 1))
            {
                line = default;
                return false;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private AofRead ReadBulk(int length, out byte[] value)
    {
        value = new byte[length];
        int filled = 0;
        while (filled < length)
        {
            if (!Ensure(1)) return AofRead.Truncated;
            int take = Math.Min(length - filled, _end - _position);
            _buffer.AsSpan(_position, take).CopyTo(value.AsSpan(filled));
            _position += take;
            filled += take;
        }
        if (!Ensure(2)) return AofRead.Truncated;
        if (_buffer[_position] != (byte)'\r' || _buffer[_position + 1] != (byte)'\n') return AofRead.Corrupt;
        _position += 2;
        return AofRead.Command;
    }

    /// <summary>Makes at least <paramref name="count"/> unread bytes available; false when the file ends first.</summary>
    private bool Ensure(int count)
    {
        while (_end - _position < count)
        {
            if (_eof) return false;
            if (_position > 0)
            {
                Buffer.BlockCopy(_buffer, _position, _buffer, 0, _end - _position);
                _bufferOffset += _position;
                _end -= _position;
                _position = 0;
            }
            if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
            int read = _stream!.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0) _eof = true;
            _end += read;
        }
        return true;
    }

    public void Dispose() => _stream?.Dispose();
}
