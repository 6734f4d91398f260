using System.Runtime.InteropServices;

namespace AkkaRedis.Keyspace.Server;

/// <summary>
/// key-load-delay and rdb-key-save-delay (hidden testing knobs of Redis's, debugDelay): loading waits this many
/// microseconds after each key of an RDB file and each command of an AOF, and a background save or AOF rewrite after
/// each key it writes, so tests can meet a server while it loads or saves. A negative value waits one microsecond, once
/// in that many.
/// </summary>
public static class LoadDelay
{
    [DllImport("libc", EntryPoint = "usleep")]
    private static extern int USleep(uint microseconds);

    /// <summary>
    /// The wait a background save of <paramref name="keys"/> keys makes (Redis's child waits after each key it writes):
    /// the delay is read again for every key, so setting it to 0 ends the wait, as killing the child would; it stops
    /// early too once <paramref name="stop"/> says so.
    /// </summary>
    public static void PerKey(long keys, Func<int> microseconds, Func<bool> stop)
    {
        for (long i = 0; i < keys && !stop(); i++)
        {
            int delay = microseconds();
            if (delay == 0) return;
            Wait(delay);
        }
    }

    public static void Wait(int microseconds)
    {
        if (microseconds == 0) return;
        if (microseconds < 0) microseconds = Random.Shared.Next(-microseconds) == 0 ? 1 : 0;
        if (microseconds == 0) return;
        // usleep, as Redis: its granularity (tens of microseconds at least) is part of what tests rely on.
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) USleep((uint)microseconds);
        else Thread.Sleep(Math.Max(1, microseconds / 1000));
    }
}
