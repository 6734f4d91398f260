using System.Net.Sockets;
using System.Text;

namespace AkkaRedis.Server.Tests;

/// <summary>unixsocket: the server listens on a Unix domain socket besides TCP, as redis-server does.</summary>
public sealed class UnixSocketTests : IDisposable
{
    private readonly string _directory = ServerProcess.NewDataDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void AUnixSocketClientIsServedAsALocalClientAndTheSocketGoesAtShutdown()
    {
        var path = Path.Combine(_directory, "redis.sock");
        File.WriteAllText(path, "stale"); // replaced, as Redis unlinks a stale socket
        using (var server = ServerProcess.Start("--dir", _directory, "--unixsocket", path, "--unixsocketperm", "700", "--enable-debug-command", "local"))
        {
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            Assert.Equal("+PONG\r\n", Call(socket, "*1\r\n$4\r\nPING\r\n"));
            Assert.Equal("+OK\r\n", Call(socket, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"));
            // Its address is the socket's path with port 0, and it is local: DEBUG (enable-debug-command local) runs.
            Assert.Contains($"addr={path}:0 laddr={path}:0", Call(socket, "*2\r\n$6\r\nCLIENT\r\n$4\r\nLIST\r\n"));
            Assert.Equal("+OK\r\n", Call(socket, "*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$1\r\n0\r\n"));
            using var tcp = new RespClient(server.Port);
            Assert.Equal("v", tcp.Call("GET", "k"));
            Assert.Equal(new List<object?> { "unixsocketperm", "700" }, tcp.Call("CONFIG", "GET", "unixsocketperm"));
            // QUIT's reply arrives before the socket closes.
            Assert.Equal("+OK\r\n", Call(socket, "*1\r\n$4\r\nQUIT\r\n"));
            Assert.Equal(0, socket.Receive(new byte[16]));
            tcp.SendRaw(RespClient.Encode("SHUTDOWN", "NOSAVE"));
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(20)));
        }
        Assert.False(File.Exists(path));
    }

    private static string Call(Socket socket, string request)
    {
        socket.Send(Encoding.ASCII.GetBytes(request));
        var buffer = new byte[4096];
        var reply = new StringBuilder();
        // One reply, read until it ends with CRLF and nothing more is coming at once.
        do
        {
            int read = socket.Receive(buffer);
            if (read == 0) break;
            reply.Append(Encoding.ASCII.GetString(buffer, 0, read));
        } while (!reply.ToString().EndsWith("\r\n") || socket.Poll(50_000, SelectMode.SelectRead) && socket.Available > 0);
        return reply.ToString();
    }
}
