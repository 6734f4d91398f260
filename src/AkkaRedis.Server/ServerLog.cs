using AkkaRedis.Keyspace.Server;

namespace AkkaRedis.Server;

/// <summary>Where the server's log goes (logfile) and how it begins, as redis-server's does.</summary>
public static class ServerLog
{
    public static string Version => typeof(ServerLog).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>
    /// With a logfile, standard output and error are appended to it from here on, as Redis logs to its logfile; false
    /// (and the reason) when it cannot be opened, which stops the start as it stops Redis's.
    /// </summary>
    public static bool TryOpen(ServerConfig config, out string? problem)
    {
        problem = null;
        if (config.LogFile.Length == 0) return true;
        try
        {
            var log = new StreamWriter(new FileStream(config.LogFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { AutoFlush = true };
            var writer = TextWriter.Synchronized(log);
            Console.SetOut(writer);
            Console.SetError(writer);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"Can't open the log file: {e.Message}";
            return false;
        }
    }

    /// <summary>The first lines: what starts, with its process id; with always-show-logo, the banner Redis's test suite looks for (" PID: ").</summary>
    public static void Starting(ServerConfig config)
    {
        int pid = Environment.ProcessId;
        Console.WriteLine("oO0OoO0OoO0Oo AkkaRedis is starting oO0OoO0OoO0Oo");
        Console.WriteLine($"AkkaRedis version={Version}, Redis {ServerState.Version} compatible, bits=64, pid={pid}, just started");
        Console.WriteLine(config.ConfigFile == null
            ? "No config file specified, using the defaults of hocon/akkaredis.conf and the command line"
            : $"Configuration loaded from {config.ConfigFile}");
        if (!config.AlwaysShowLogo) return;
        Console.WriteLine();
        Console.WriteLine($"    AkkaRedis {Version} (Redis {ServerState.Version} compatible) 64 bit");
        Console.WriteLine($"    Running in {(config.Cluster ? "cluster" : "standalone")} mode");
        Console.WriteLine($"    Port: {config.Port}");
        Console.WriteLine($"    PID: {pid}");
        Console.WriteLine();
    }
}
