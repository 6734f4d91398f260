using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// A real redis-server (Debian's package, installed by .ci/run) on a free loopback port: without persistence, or
/// with its data in <paramref name="aofDirectory"/>: the appendonlydir there (appendonly yes) or its dump.rdb (appendonly no);
/// <paramref name="extraArgs"/> are more of its flags. Without a directory it gets an empty one of its own, so what it
/// saves (DEBUG RELOAD, SAVE) is never loaded by another test's redis-server.
/// </summary>
public sealed class RedisServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly string? _ownedDirectory;
    public int Port { get; }

    public RedisServerProcess(string? aofDirectory = null, bool appendOnly = true, string extraArgs = "")
    {
        if (aofDirectory == null)
        {
            _ownedDirectory = aofDirectory = ServerProcess.NewDataDirectory();
            appendOnly = false;
        }
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        _process = Process.Start(new ProcessStartInfo("redis-server",
            $"--port {Port} --bind 127.0.0.1 --save \"\" --daemonize no --loglevel warning " +
            $"--appendonly {(appendOnly ? "yes" : "no")} --dir {aofDirectory} " + extraArgs)
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        for (int i = 0; i < 100; i++)
        {
            try
            {
                using var probe = new RespClient(Port);
                // Up when it answers, PONG or NOAUTH (with --requirepass).
                var reply = probe.Call("PING");
                if (reply is "PONG" || reply is RespClient.RespError error && error.Message.StartsWith("NOAUTH", StringComparison.Ordinal)) return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        Dispose();
        throw new InvalidOperationException("redis-server did not start");
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit(5000);
        _process.Dispose();
        if (_ownedDirectory != null) Directory.Delete(_ownedDirectory, recursive: true);
    }
}
