using System.Runtime.InteropServices;

namespace AkkaRedis.Keyspace.Server;

/// <summary>
/// key-load-delay (a hidden testing knob of Redis's, debugDelay): loading waits this many microseconds after each key of
/// an RDB file and each command of an AOF, so tests can meet a server while it is loading. A negative value waits one
/// microsecond, once in that many.
/// </summary>
public static class LoadDelay
{
    [DllImport("libc", EntryPoint = "usleep")]
    private static extern int USleep(uint microseconds);

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
