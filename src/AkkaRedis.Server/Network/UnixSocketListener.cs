using System.Net.Sockets;
using Akka;
using Akka.IO;
using Akka.Streams.Dsl;
using Akka.Util;

namespace AkkaRedis.Server.Network;

/// <summary>
/// unixsocket: a listener on a Unix domain socket beside the TCP one, as redis-server has. Akka.IO's TCP listener binds
/// IP endpoints only, so this accepts on a socket of its own and hands each connection to <paramref name="serve"/>,
/// which runs it through the same connection stage as a TCP one. The file is replaced at start and removed at stop, and
/// takes unixsocketperm's mode.
/// </summary>
public sealed class UnixSocketListener : IDisposable
{
    private readonly Socket _socket;
    private readonly string _path;
    private readonly Action<Socket> _serve;

    private UnixSocketListener(Socket socket, string path, Action<Socket> serve) => (_socket, _path, _serve) = (socket, path, serve);

    /// <param name="permissions">unixsocketperm, octal as in redis.conf (700); 0 leaves the mode the umask gives.</param>
    public static UnixSocketListener Start(string path, int permissions, Action<Socket> serve)
    {
        File.Delete(path); // a stale socket from an earlier run, as anetUnixServer unlinks it
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            socket.Listen(511);
            if (permissions != 0 && !OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)permissions);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var listener = new UnixSocketListener(socket, path, serve);
        _ = listener.AcceptLoop();
        return listener;
    }

    private async Task AcceptLoop()
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await _socket.AcceptAsync();
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                return; // stopped
            }
            _serve(connection);
        }
    }

    /// <summary>What a connection sends, read with ReceiveAsync; it ends when the peer closes. Stopping it only stops reading.</summary>
    public static Source<ByteString, NotUsed> Reads(Socket socket) => Source.UnfoldResourceAsync<ByteString, Socket>(
        () => Task.FromResult(socket),
        async s =>
        {
            var buffer = new byte[16 * 1024];
            int read;
            try
            {
                read = await s.ReceiveAsync(buffer, SocketFlags.None);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                read = 0;
            }
            return read == 0 ? Option<ByteString>.None : Option<ByteString>.Create(ByteString.FromBytes(buffer, 0, read));
        },
        s =>
        {
            // The replies may still be on their way out (QUIT's +OK): only reading stops; the writer closes the socket.
            try
            {
                s.Shutdown(SocketShutdown.Receive);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
            return Task.FromResult(Done.Instance);
        });

    /// <summary>Writes the replies in order with SendAsync, and closes the socket once they are all out.</summary>
    public static Sink<ByteString, Task> Writes(Socket socket) =>
        Sink.ForEachAsync<ByteString>(1, async bytes =>
            {
                var data = bytes.ToArray();
                for (int sent = 0; sent < data.Length;) sent += await socket.SendAsync(data.AsMemory(sent), SocketFlags.None);
            })
            .MapMaterializedValue(done => done.ContinueWith(_ => socket.Dispose()));

    public void Dispose()
    {
        _socket.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // Stopping anyway.
        }
    }
}
