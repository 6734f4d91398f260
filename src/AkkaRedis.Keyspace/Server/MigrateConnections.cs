using System.Collections.Concurrent;
using System.Net.Sockets;

namespace AkkaRedis.Keyspace.Server;

/// <summary>
/// MIGRATE's connections to target instances (cluster.c migrateGetSocket): one kept per host:port for the next MIGRATE,
/// closed after <see cref="IdleSeconds"/> unused (INFO migrate_cached_sockets). A MIGRATE takes its connection out while
/// it uses it, so two shards migrating to one target at once use two connections, and one of them is closed after.
/// </summary>
public sealed class MigrateConnections
{
    public const int MaxItems = 64;
    public const int IdleSeconds = 10;

    private readonly ConcurrentDictionary<string, MigrateConnection> _idle = new();

    public int Count => _idle.Count;

    /// <summary>The cached connection to <paramref name="target"/> ("host:port"), taken out of the cache; null: none.</summary>
    public MigrateConnection? Take(string target) => _idle.TryRemove(target, out var connection) ? connection : null;

    /// <summary>Puts a connection that is still good back, to be used again.</summary>
    public void Return(string target, MigrateConnection connection, long nowSeconds)
    {
        connection.LastUseSeconds = nowSeconds;
        if (_idle.Count >= MaxItems && _idle.Keys.FirstOrDefault() is { } dropped && _idle.TryRemove(dropped, out var old)) old.Dispose();
        if (!_idle.TryAdd(target, connection)) connection.Dispose();
    }

    /// <summary>migrateCloseTimedoutSockets, from the server's cron.</summary>
    public void CloseIdle(long nowSeconds)
    {
        foreach (var (target, connection) in _idle)
            if (nowSeconds - connection.LastUseSeconds > IdleSeconds && _idle.TryRemove(new KeyValuePair<string, MigrateConnection>(target, connection)))
                connection.Dispose();
    }
}

/// <summary>A blocking connection to a MIGRATE target: writes, and reads reply lines, each within a timeout.</summary>
public sealed class MigrateConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[1024];
    private int _start, _end;

    private MigrateConnection(Socket socket) => _socket = socket;

    /// <summary>The database the target last selected for this connection; -1: unknown, SELECT again.</summary>
    public long LastDb { get; set; } = -1;

    public long LastUseSeconds { get; set; }

    /// <summary>Connects within <paramref name="timeoutMs"/>; null when it could not.</summary>
    public static MigrateConnection? Connect(string host, int port, int timeoutMs)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(timeoutMs);
            socket.ConnectAsync(host, port, timeout.Token).AsTask().GetAwaiter().GetResult();
            return new MigrateConnection(socket);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ArgumentException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>Writes everything within the timeout (per write, in 64 kB pieces, as connSyncWrite); false when it could not.</summary>
    public bool TryWrite(ReadOnlySpan<byte> bytes, int timeoutMs)
    {
        _socket.SendTimeout = timeoutMs;
        try
        {
            while (bytes.Length > 0)
            {
                int sent = _socket.Send(bytes[..Math.Min(bytes.Length, 64 * 1024)]);
                if (sent <= 0) return false;
                bytes = bytes[sent..];
            }
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads one reply line (without its CRLF) within the timeout; null when the connection failed or closed, with
    /// <paramref name="timedOut"/> set when it was the timeout.
    /// </summary>
    public string? ReadLine(int timeoutMs, out bool timedOut)
    {
        timedOut = false;
        _socket.ReceiveTimeout = timeoutMs;
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                int end = newline > _start && _buffer[newline - 1] == '\r' ? newline - 1 : newline;
                var line = System.Text.Encoding.UTF8.GetString(_buffer, _start, end - _start);
                _start = newline + 1;
                return line;
            }
            if (_start > 0)
            {
                Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) return null; // a line longer than any reply of RESTORE, SELECT or AUTH
            try
            {
                int read = _socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
                if (read <= 0) return null;
                _end += read;
            }
            catch (SocketException e)
            {
                timedOut = e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock;
                return null;
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
