namespace AkkaRedis.Keyspace.Snapshot;

/// <summary>RDB saving as INFO persistence and LASTSAVE report it. Written by SAVE/BGSAVE (and the background write), read by INFO.</summary>
public sealed class SaveStatus(long startSeconds)
{
    private long _lastSaveSeconds = startSeconds;
    private int _inProgress;
    private volatile bool _lastOk = true;
    private long _lastTrySeconds;

    public long LastSaveSeconds => Interlocked.Read(ref _lastSaveSeconds);
    public bool InProgress => Volatile.Read(ref _inProgress) == 1;
    public bool LastOk => _lastOk;

    /// <summary>When the last save started, successful or not (lastbgsave_try): save points wait after a failure.</summary>
    public long LastTrySeconds => Interlocked.Read(ref _lastTrySeconds);

    /// <summary>BGSAVE SCHEDULE came while an AOF rewrite ran: the server's cron starts the save once it is done.</summary>
    public bool Scheduled { get => _scheduled; set => _scheduled = value; }
    private volatile bool _scheduled;

    public bool TryStart(long nowSeconds)
    {
        if (Interlocked.CompareExchange(ref _inProgress, 1, 0) != 0) return false;
        Interlocked.Exchange(ref _lastTrySeconds, nowSeconds);
        return true;
    }

    public void Finish(bool ok, long nowSeconds)
    {
        _lastOk = ok;
        if (ok) Interlocked.Exchange(ref _lastSaveSeconds, nowSeconds);
        Volatile.Write(ref _inProgress, 0);
    }
}
