using AkkaRedis.Keyspace.Server;

namespace AkkaRedis.Server;

/// <summary>pidfile: the process id written at start and removed at a clean exit, as redis-server does.</summary>
public static class PidFile
{
    /// <summary>Writes it; a failure is logged and the server goes on, as Redis's createPidFile.</summary>
    public static void Write(ServerConfig config)
    {
        if (config.PidFile.Length == 0) return;
        try
        {
            File.WriteAllText(config.PidFile, $"{Environment.ProcessId}\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.WriteLine($"Failed to write PID file: {e.Message}");
        }
    }

    public static void Remove(ServerConfig config)
    {
        if (config.PidFile.Length == 0) return;
        try
        {
            File.Delete(config.PidFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Exiting anyway.
        }
    }
}
