namespace AkkaRedis.Persistence;

/// <summary>
/// The journal's state as INFO persistence reports it. Written by the journal's writer, read by INFO and by the
/// shards (which refuse writes while the disk fails, as Redis answers MISCONF).
/// </summary>
public sealed class AofStatus
{
    private volatile string? _writeError;
    private int _rewriting;
    private volatile bool _lastRewriteOk = true;
    private long _currentSize, _baseSize, _rewrites, _lastRewriteMs = -1, _rewriteStartedMs;

    /// <summary>Null while writes succeed; the error of the last failed write otherwise.</summary>
    public string? WriteError { get => _writeError; set => _writeError = value; }

    public bool RewriteInProgress { get => Volatile.Read(ref _rewriting) == 1; set => Volatile.Write(ref _rewriting, value ? 1 : 0); }
    public bool LastRewriteOk { get => _lastRewriteOk; set => _lastRewriteOk = value; }
    public long CurrentSize { get => Interlocked.Read(ref _currentSize); set => Interlocked.Exchange(ref _currentSize, value); }
    public long BaseSize { get => Interlocked.Read(ref _baseSize); set => Interlocked.Exchange(ref _baseSize, value); }
    public long Rewrites => Interlocked.Read(ref _rewrites);
    public long LastRewriteMs { get => Interlocked.Read(ref _lastRewriteMs); set => Interlocked.Exchange(ref _lastRewriteMs, value); }
    public long RewriteStartedMs { get => Interlocked.Read(ref _rewriteStartedMs); set => Interlocked.Exchange(ref _rewriteStartedMs, value); }

    public void AddCurrentSize(long bytes) => Interlocked.Add(ref _currentSize, bytes);
    public void CountRewrite() => Interlocked.Increment(ref _rewrites);

    /// <summary>Takes the rewrite flag; false when a rewrite is already running (BGREWRITEAOF's "already in progress").</summary>
    public bool TryStartRewrite()
    {
        if (Interlocked.CompareExchange(ref _rewriting, 1, 0) != 0) return false;
        RewriteStartedMs = Environment.TickCount64;
        _abandoning = false;
        return true;
    }

    private volatile bool _abandoning;

    /// <summary>BGREWRITEAOF came while a background save ran: the server's cron starts the rewrite once it is done (aof_rewrite_scheduled).</summary>
    public bool RewriteScheduled { get => _scheduled; set => _scheduled = value; }
    private volatile bool _scheduled;

    /// <summary>
    /// CONFIG SET appendonly no while a rewrite runs (Redis's killAppendOnlyChild): the rewrite's background work stops at
    /// its next step and its new base is not installed; the AOF stays as it was. False when no rewrite runs.
    /// </summary>
    public bool AbandonRewrite()
    {
        if (!RewriteInProgress) return false;
        _abandoning = true;
        return true;
    }

    /// <summary>Whether the running rewrite was abandoned (see <see cref="AbandonRewrite"/>).</summary>
    public bool RewriteAbandoned => _abandoning;
}
