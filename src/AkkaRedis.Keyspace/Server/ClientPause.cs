using AkkaRedis.Keyspace.Commands;

namespace AkkaRedis.Keyspace.Server;

/// <summary>
/// CLIENT PAUSE on this node (pauseClients): until when clients' commands wait, and whether all of them or only those
/// that may write (WRITE mode: writes, and commands flagged may_replicate such as EVAL and PUBLISH, or an EXEC of them).
/// Set by CLIENT PAUSE and UNPAUSE, read by every connection before each command.
/// </summary>
public sealed class ClientPause
{
    private long _untilMs;
    private volatile bool _all;

    /// <summary>One read per command while nothing is paused.</summary>
    public bool Active(long nowMs) => Volatile.Read(ref _untilMs) > nowMs;

    /// <summary>A later end extends the pause, and ALL wins over WRITE while it lasts.</summary>
    public void Pause(long untilMs, bool all, long nowMs)
    {
        _all = all || Active(nowMs) && _all;
        long current;
        do current = Volatile.Read(ref _untilMs);
        while (untilMs > current && Interlocked.CompareExchange(ref _untilMs, untilMs, current) != current);
    }

    public void Unpause()
    {
        Volatile.Write(ref _untilMs, 0);
        _all = false;
    }

    /// <summary>Whether the pause holds this command (<paramref name="queued"/>: the transaction EXEC would run).</summary>
    public bool Holds(CommandSpec spec, byte[][] args, IReadOnlyList<QueuedCommand> queued, ServerState state) =>
        _all || MayWrite(spec, args, state) || spec.Name == "exec" && queued.Any(q => MayWrite(q.Spec, q.Args, state));

    /// <summary>
    /// getCommandFlags: a script that declares its flags (a shebang, or a function's flags) may write unless it says
    /// no-writes; any other command by its own flags (EVAL without a shebang is may_replicate).
    /// </summary>
    private static bool MayWrite(CommandSpec spec, byte[][] args, ServerState state) =>
        Scripting.DeclaredFlags.Of(spec, args, state) is { Declared: true } declared
            ? declared.MayWrite
            : spec.IsWrite || spec.Facts.HasFlag("may_replicate");
}
