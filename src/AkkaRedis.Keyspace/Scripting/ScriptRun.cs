namespace AkkaRedis.Keyspace.Scripting;

/// <summary>
/// The script running now, as other connections see it: since when (for -BUSY after busy-reply-threshold),
/// whether it has written (then SCRIPT KILL answers UNKILLABLE), and whether SCRIPT KILL asked it to stop.
/// Written by the shard running the script and by SCRIPT KILL; read by every connection.
/// </summary>
public sealed class ScriptRun
{
    private volatile bool _wrote;
    private volatile bool _killRequested;
    private volatile RunningScript? _current;

    /// <summary>What runs: a function (FCALL) or a script (EVAL), its name, and the command that started it.</summary>
    public sealed record RunningScript(bool IsFunction, string Name, byte[][] Command, long StartedMs);

    /// <summary>The script or function running now, or null (FUNCTION STATS's running_script).</summary>
    public RunningScript? Current => _current;

    /// <summary>The -BUSY error while this runs: each kind names the KILL that stops it (slowscripterr, slowevalerr).</summary>
    public string BusyError => _current is { IsFunction: true } ? FunctionBusy : ScriptBusy;

    public const string ScriptBusy = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
    public const string FunctionBusy = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

    public bool Wrote => _wrote;
    public bool KillRequested => _killRequested;

    public void Begin(long nowMs, bool isFunction, string name, byte[][] command)
    {
        _wrote = false;
        _killRequested = false;
        _current = new RunningScript(isFunction, name, command, nowMs);
    }

    public void MarkWrite() => _wrote = true;

    public void End()
    {
        _current = null;
        _killRequested = false;
    }

    public enum KillResult { NotBusy, Unkillable, Killed, OtherKind }

    /// <summary>
    /// SCRIPT KILL (<paramref name="function"/> false) or FUNCTION KILL: each stops only its own kind (scriptKill);
    /// OtherKind when the other kind runs.
    /// </summary>
    public KillResult RequestKill(bool function)
    {
        if (_current is not { } current) return KillResult.NotBusy;
        if (_wrote) return KillResult.Unkillable;
        if (current.IsFunction != function) return KillResult.OtherKind;
        _killRequested = true;
        return KillResult.Killed;
    }

    /// <summary>True when a script has run for at least <paramref name="thresholdMs"/>: other commands answer -BUSY.</summary>
    public bool IsBusy(long nowMs, long thresholdMs)
    {
        return _current is { } current && nowMs - current.StartedMs >= thresholdMs;
    }
}
