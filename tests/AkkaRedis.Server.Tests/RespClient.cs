using System.Net.Sockets;
using System.Text;

namespace AkkaRedis.Server.Tests;

/// <summary>A raw socket client: sends bytes as given and reads replies as RESP values (string, long, null, List, or RespError).</summary>
public sealed class RespClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;

    public sealed record RespError(string Message);

    /// <summary>While set, bulk replies are returned as byte[] (for binary payloads such as FUNCTION DUMP).</summary>
    private bool _binary;

    public RespClient(int port)
    {
        _tcp = new TcpClient();
        _tcp.Connect("127.0.0.1", port);
        _tcp.NoDelay = true;
        _stream = _tcp.GetStream();
        _stream.ReadTimeout = 20_000;
    }

    /// <summary>The next reply if one starts arriving within <paramref name="wait"/>, else null (for pushes that may not come).</summary>
    public object? ReadWithin(TimeSpan wait)
    {
        if (_start == _end && !_tcp.Client.Poll(wait, SelectMode.SelectRead)) return null;
        return Read();
    }

    public void SendRaw(string text) => SendRaw(Encoding.Latin1.GetBytes(text));
    public void SendRaw(byte[] bytes) => _stream.Write(bytes);

    public static byte[] Encode(params string[] args)
    {
        var text = new StringBuilder();
        text.Append('*').Append(args.Length).Append("\r\n");
        foreach (var arg in args)
        {
            int length = Encoding.UTF8.GetByteCount(arg);
            text.Append('$').Append(length).Append("\r\n").Append(arg).Append("\r\n");
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>A request whose arguments are strings or byte arrays; bulk replies come back as byte[].</summary>
    public object? CallBinary(params object[] args)
    {
        var request = new List<byte>(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (var arg in args)
        {
            var bytes = arg as byte[] ?? Encoding.UTF8.GetBytes((string)arg);
            request.AddRange(Encoding.ASCII.GetBytes($"${bytes.Length}\r\n"));
            request.AddRange(bytes);
            request.AddRange("\r\n"u8.ToArray());
        }
        SendRaw(request.ToArray());
        _binary = true;
        try
        {
            return Read();
        }
        finally
        {
            _binary = false;
        }
    }

    public object? Call(params string[] args)
    {
        SendRaw(Encode(args));
        return Read();
    }

    /// <summary>Sends a command and returns its reply's bytes as they came (a push and an array differ in their first byte).</summary>
    public string CallRaw(params string[] args)
    {
        SendRaw(Encode(args));
        return ReadRaw();
    }

    /// <summary>The next reply's bytes as they came, as Latin-1 text.</summary>
    public string ReadRaw()
    {
        _capture = [];
        try
        {
            Read();
            return Encoding.Latin1.GetString(_capture.ToArray());
        }
        finally
        {
            _capture = null;
        }
    }

    /// <summary><see cref="ReadRaw"/> if a reply starts arriving within <paramref name="wait"/>, else null.</summary>
    public string? ReadRawWithin(TimeSpan wait) =>
        _start == _end && !_tcp.Client.Poll(wait, SelectMode.SelectRead) ? null : ReadRaw();

    private List<byte>? _capture;

    private int ReadByte()
    {
        if (_start == _end)
        {
            _start = 0;
            _end = _stream.Read(_buffer, 0, _buffer.Length);
            if (_end == 0) throw new EndOfStreamException("connection closed");
        }
        _capture?.Add(_buffer[_start]);
        return _buffer[_start++];
    }

    private string ReadLine()
    {
        var line = new List<byte>();
        while (true)
        {
            int b = ReadByte();
            if (b == '\r')
            {
                ReadByte();
                return Encoding.UTF8.GetString(line.ToArray());
            }
            line.Add((byte)b);
        }
    }

    public object? Read()
    {
        int type = ReadByte();
        var line = ReadLine();
        switch (type)
        {
            case '+': return line;
            case '-': return new RespError(line);
            case ':': return long.Parse(line);
            case '_': return null;
            case ',': return line;
            case '(': return line;
            case '#': return line == "t";
            case '$':
            case '=':
            {
                int length = int.Parse(line);
                if (length < 0) return null;
                var data = new byte[length];
                for (int i = 0; i < length; i++) data[i] = (byte)ReadByte();
                ReadByte();
                ReadByte();
                return _binary ? data : Encoding.UTF8.GetString(data);
            }
            case '*':
            case '~':
            case '>':
            case '%':
            {
                int count = int.Parse(line);
                if (count < 0) return null;
                if (type == '%') count *= 2;
                var items = new List<object?>();
                for (int i = 0; i < count; i++) items.Add(Read());
                return items;
            }
            default:
                throw new InvalidDataException($"unexpected reply type '{(char)type}'");
        }
    }

    /// <summary>True when the server has closed the connection (reads 0 bytes).</summary>
    public bool IsClosedByServer()
    {
        try
        {
            if (_start < _end) return false;
            return _stream.Read(_buffer, 0, _buffer.Length) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose() => _tcp.Dispose();
}
