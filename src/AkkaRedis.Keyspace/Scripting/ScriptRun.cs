namespace AkkaRedis.Keyspace.Scripting;

/// <summary>
/// The script running now, as other connections see it: since when (for -BUSY after busy-reply-threshold),
/// whether it has written (then SCRIPT KILL answers UNKILLABLE), and whether SCRIPT KILL asked it to stop.
/// Written by the shard running the script and by SCRIPT KILL; read by every connection.
/// </summary>
public sealed class ScriptRun
{
    private long _startedMs;
    private volatile bool _wrote;
    private volatile bool _killRequested;

    /// <summary>0 when no script runs.</summary>
    public long StartedMs => Interlocked.Read(ref _startedMs);
    public bool Wrote => _wrote;
    public bool KillRequested => _killRequested;

    public void Begin(long nowMs)
    {
        _wrote = false;
        _killRequested = false;
        Interlocked.Exchange(ref _startedMs, nowMs);
    }

    public void MarkWrite() => _wrote = true;

    public void End()
    {
        Interlocked.Exchange(ref _startedMs, 0);
        _killRequested = false;
    }

    public enum KillResult { NotBusy, Unkillable, Killed }

    public KillResult RequestKill()
    {
        if (StartedMs == 0) return KillResult.NotBusy;
        if (_wrote) return KillResult.Unkillable;
        _killRequested = true;
        return KillResult.Killed;
    }

    /// <summary>True when a script has run for at least <paramref name="thresholdMs"/>: other commands answer -BUSY.</summary>
    public bool IsBusy(long nowMs, long thresholdMs)
    {
        long started = StartedMs;
        return started != 0 && nowMs - started >= thresholdMs;
    }
}
