using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// A PostgreSQL server of its own for a test class (Debian's postgresql package, installed by .ci/run): a new
/// cluster in a temporary directory on a free loopback port, fsync off, stopped and removed on dispose.
/// As root it runs as the postgres user, since PostgreSQL refuses to run as root.
/// </summary>
public sealed class PostgresInstance : IDisposable
{
    private readonly string _directory;
    private readonly string? _runAs = Environment.UserName == "root" ? "postgres" : null;

    public int Port { get; }
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=akkaredis;Pooling=true";

    public PostgresInstance()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d).Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)");
        _directory = Path.Combine(Path.GetTempPath(), "akkaredis-pg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        if (_runAs != null) Run("chown", _runAs, _directory);
        Port = FreePort();
        RunAsOwner(Path.Combine(bin, "initdb"), "-D", Path.Combine(_directory, "data"), "-A", "trust", "-U", "postgres", "--no-sync");
        RunAsOwner(Path.Combine(bin, "pg_ctl"), "-D", Path.Combine(_directory, "data"), "-l", Path.Combine(_directory, "log"), "-w",
            "-o", $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -F -c max_connections=200", "start");
        RunAsOwner(Path.Combine(bin, "createdb"), "-h", "127.0.0.1", "-p", Port.ToString(), "-U", "postgres", "akkaredis");
        _pgCtl = Path.Combine(bin, "pg_ctl");
    }

    private readonly string _pgCtl;

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void RunAsOwner(string program, params string[] args)
    {
        if (_runAs == null) Run(program, args);
        else Run("runuser", ["-u", _runAs, "--", program, .. args]);
    }

    private static void Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed: {output.Result}{error}");
    }

    public void Dispose()
    {
        try
        {
            RunAsOwner(_pgCtl, "-D", Path.Combine(_directory, "data"), "-m", "immediate", "stop");
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
