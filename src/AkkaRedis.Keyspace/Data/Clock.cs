namespace AkkaRedis.Keyspace.Data;

/// <summary>The time every expiry, timeout and statistic reads. Tests replace it so they never sleep.</summary>
public interface IClock
{
    /// <summary>Unix time in milliseconds.</summary>
    long NowMs { get; }
}

public sealed class SystemClock : IClock
{
    public static readonly SystemClock Instance = new();
    public long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}

/// <summary>A clock that moves only when told to.</summary>
public sealed class ManualClock(long startMs = 1_700_000_000_000) : IClock
{
    private long _now = startMs;
    public long NowMs => Interlocked.Read(ref _now);
    public void Advance(long ms) => Interlocked.Add(ref _now, ms);
    public void Set(long ms) => Interlocked.Exchange(ref _now, ms);
}
