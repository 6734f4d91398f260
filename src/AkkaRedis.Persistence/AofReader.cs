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

    /// <summary>The next command with its arguments copied out; see <see cref="NextRaw"/>.</summary>
    public AofRead Next(out byte[][] args)
    {
        var status = NextRaw(out var command);
        args = status == AofRead.Command ? command.ToArgs() : [];
        return status;
    }

    /// <summary>
    /// The offsets of the last raw command's arguments relative to its first byte, two per argument (start, length);
    /// reused from one command to the next.
    /// </summary>
    private int[] _bounds = new int[16];

    /// <summary>
    /// The next command where it lies in the read buffer, valid until the next call: loading routes and copies most
    /// commands by their bytes without making an array per argument (measured: that was most of reading a large AOF).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public AofRead NextRaw(out AofRawCommand command)
    {
        command = default;
        while (true)
        {
            CommandStart = Offset;
            _mark = _position;
            if (!Ensure(1)) return AofRead.End;
            byte first = _buffer[_position];
            if (first == (byte)'#')
            {
                if (!TryLine(out _)) return AofRead.Truncated;
                continue;
            }
            if (first != (byte)'*') return AofRead.Corrupt;
            if (!TryLine(out var header)) return AofRead.Truncated;
            if (!Utf8Parser.TryParse(header[1..], out long argc, out int used) || used != header.Length - 1 || argc < 1 || argc > int.MaxValue / 2)
                return AofRead.Corrupt;
            if (_bounds.Length < argc * 2) _bounds = new int[Math.Max(argc * 2, _bounds.Length * 2)];
            for (int i = 0; i < argc; i++)
            {
                if (!Ensure(1)) return AofRead.Truncated;
                if (_buffer[_position] != (byte)'$') return AofRead.Corrupt;
                if (!TryLine(out var lengthLine)) return AofRead.Truncated;
                if (!Utf8Parser.TryParse(lengthLine[1..], out long length, out used) || used != lengthLine.Length - 1 || length < 0 || length > int.MaxValue - 2)
                    return AofRead.Corrupt;
                if (!Ensure((int)length + 2)) return AofRead.Truncated;
                if (_buffer[_position + (int)length] != (byte)'\r' || _buffer[_position + (int)length + 1] != (byte)'\n') return AofRead.Corrupt;
                _bounds[2 * i] = _position - _mark;
                _bounds[2 * i + 1] = (int)length;
                _position += (int)length + 2;
            }
            command = new AofRawCommand(_buffer.AsSpan(_mark, _position - _mark), _bounds.AsSpan(0, (int)argc * 2));
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

    /// <summary>Where the command being read starts in the buffer: a refill keeps it, so the command stays whole there.</summary>
    private int _mark;

    /// <summary>Makes at least <paramref name="count"/> unread bytes available; false when the file ends first.</summary>
    private bool Ensure(int count)
    {
        while (_end - _position < count)
        {
            if (_eof) return false;
            if (_mark > 0)
            {
                Buffer.BlockCopy(_buffer, _mark, _buffer, 0, _end - _mark);
                _bufferOffset += _mark;
                _end -= _mark;
                _position -= _mark;
                _mark = 0;
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

/// <summary>A command as it lies in the AOF's bytes: the whole of it, and where each argument is in it.</summary>
public readonly ref struct AofRawCommand(ReadOnlySpan<byte> bytes, ReadOnlySpan<int> bounds)
{
    /// <summary>The command's RESP, from '*' to the last argument's "\r\n".</summary>
    public ReadOnlySpan<byte> Bytes { get; } = bytes;
    private readonly ReadOnlySpan<int> _bounds = bounds;

    public int Argc => _bounds.Length / 2;
    public ReadOnlySpan<byte> Arg(int index) => Bytes.Slice(_bounds[2 * index], _bounds[2 * index + 1]);

    public byte[][] ToArgs()
    {
        var args = new byte[Argc][];
        for (int i = 0; i < args.Length; i++) args[i] = Arg(i).ToArray();
        return args;
    }
}
