using System.Diagnostics;
using System.Text.RegularExpressions;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// The real server process, started from the build output with --port 0 (it prints the port it got, so no
/// two tests can race for one), and killed with its whole process tree when disposed. Its data directory is a
/// fresh temporary one, removed on dispose, unless the test gives --dir itself.
/// </summary>
public sealed partial class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output;
    private readonly string? _ownedDirectory;

    public int Port { get; }

    /// <summary>Everything the server printed so far.</summary>
    public IReadOnlyList<string> Output
    {
        get { lock (_output) return _output.ToList(); }
    }

    private ServerProcess(Process process, int port, List<string> output, string? ownedDirectory)
    {
        _process = process;
        Port = port;
        _output = output;
        _ownedDirectory = ownedDirectory;
    }

    /// <summary>A new empty directory for a server's data; the caller removes it.</summary>
    public static string NewDataDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "akkaredis-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    public static string ServerDll => Path.Combine(AppContext.BaseDirectory, "akkaredis-server.dll");

    public static ServerProcess Start(params string[] args) => StartWithConfigFile(null, args);

    /// <summary>Starts the server as redis-server is started with a configuration file: its path first, then the options.</summary>
    public static ServerProcess StartWithConfigFile(string? configFile, params string[] args)
    {
        var (process, lines, ready, owned) = Launch("0", args, configFile);
        if (Task.WhenAny(ready, Task.Delay(TimeSpan.FromSeconds(60))).GetAwaiter().GetResult() != ready)
        {
            process.Kill(entireProcessTree: true);
            if (owned != null) Directory.Delete(owned, recursive: true);
            throw new TimeoutException("server did not start: " + string.Join("\n", lines));
        }
        try
        {
            return new ServerProcess(process, ready.GetAwaiter().GetResult(), lines, owned) { Ready = ready };
        }
        catch
        {
            if (owned != null) Directory.Delete(owned, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Starts the server on <paramref name="port"/> and returns at once, while it may still be loading its data;
    /// <see cref="Ready"/> completes when it prints that it is ready.
    /// </summary>
    public static ServerProcess StartEarly(int port, params string[] args)
    {
        var (process, lines, ready, owned) = Launch(port.ToString(), args);
        return new ServerProcess(process, port, lines, owned) { Ready = ready };
    }

    /// <summary>Completes with the port once the server says it is ready to accept connections.</summary>
    public Task<int> Ready { get; private init; } = Task.FromResult(0);

    private static (Process Process, List<string> Lines, Task<int> Ready, string? Owned) Launch(string port, string[] args, string? configFile = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(ServerDll);
        if (configFile != null) info.ArgumentList.Add(configFile);
        info.ArgumentList.Add("--port");
        info.ArgumentList.Add(port);
        string? owned = null;
        if (!args.Contains("--dir"))
        {
            owned = NewDataDirectory();
            info.ArgumentList.Add("--dir");
            info.ArgumentList.Add(owned);
        }
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var lines = new List<string>();
        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line == null) return;
            lock (lines) lines.Add(line);
            var match = ReadyLine().Match(line);
            if (match.Success) ready.TrySetResult(int.Parse(match.Groups[1].Value));
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            process.WaitForExit(); // the output read to its end
            lock (lines) ready.TrySetException(new InvalidOperationException("server exited: " + string.Join("\n", lines)));
        };
        return (process, lines, ready.Task, owned);
    }

    [GeneratedRegex(@"Ready to accept connections on [^:]+:(\d+)")]
    private static partial Regex ReadyLine();

    public bool HasExited => _process.HasExited;

    public int ProcessId => _process.Id;

    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        if (_ownedDirectory != null && Directory.Exists(_ownedDirectory)) Directory.Delete(_ownedDirectory, recursive: true);
    }
}

/// <summary>One server shared by a test class (tests in a class run one at a time).</summary>
public sealed class SharedServer : IDisposable
{
    public ServerProcess Server { get; } = ServerProcess.Start("--shards", "4");
    public int Port => Server.Port;
    public void Dispose() => Server.Dispose();
}
