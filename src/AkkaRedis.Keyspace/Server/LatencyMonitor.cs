using System.Collections.Concurrent;

namespace AkkaRedis.Keyspace.Server;

/// <summary>
/// LATENCY (latency.c): commands that took at least latency-monitor-threshold milliseconds, as the events "command" and
/// "fast-command" (for commands flagged fast). Each event keeps its latest 160 samples, at most one per second (the
/// slowest of that second), and its maximum. Only commands past the threshold get here.
/// </summary>
public sealed class LatencyMonitor
{
    private const int HistoryLength = 160;

    private sealed class Series
    {
        public readonly (long Time, long Latency)[] Samples = new (long, long)[HistoryLength];
        public int Next, Count;
        public long Max;
    }

    private readonly ConcurrentDictionary<string, Series> _events = new(StringComparer.Ordinal);

    public static bool Exceeds(ServerConfig config, long milliseconds) =>
        config.LatencyMonitorThreshold is > 0 and var threshold && milliseconds >= threshold;

    public void Add(string name, long milliseconds, long nowSeconds)
    {
        var series = _events.GetOrAdd(name, _ => new Series());
        // Shards and connections add concurrently, and only for commands already past the threshold.
        lock (series)
        {
            series.Max = Math.Max(series.Max, milliseconds);
            int previous = (series.Next + HistoryLength - 1) % HistoryLength;
            if (series.Count > 0 && series.Samples[previous].Time == nowSeconds)
            {
                series.Samples[previous].Latency = Math.Max(series.Samples[previous].Latency, milliseconds);
                return;
            }
            series.Samples[series.Next] = (nowSeconds, milliseconds);
            series.Next = (series.Next + 1) % HistoryLength;
            series.Count = Math.Min(series.Count + 1, HistoryLength);
        }
    }

    /// <summary>LATENCY LATEST: per event, the time and latency of its latest sample, and its maximum.</summary>
    public List<(string Event, long Time, long Latest, long Max)> Latest()
    {
        var latest = new List<(string, long, long, long)>();
        foreach (var (name, series) in _events)
            lock (series)
            {
                if (series.Count == 0) continue;
                var sample = series.Samples[(series.Next + HistoryLength - 1) % HistoryLength];
                latest.Add((name, sample.Time, sample.Latency, series.Max));
            }
        return latest;
    }

    /// <summary>LATENCY HISTORY: an event's samples, oldest first (none for an event never seen).</summary>
    public List<(long Time, long Latency)> History(string name)
    {
        if (!_events.TryGetValue(name, out var series)) return [];
        lock (series)
        {
            var samples = new List<(long, long)>(series.Count);
            for (int i = 0; i < series.Count; i++) samples.Add(series.Samples[(series.Next - series.Count + i + HistoryLength) % HistoryLength]);
            return samples;
        }
    }

    /// <summary>LATENCY RESET: the named events (all when none are named); how many were reset.</summary>
    public int Reset(IReadOnlyList<string> names)
    {
        if (names.Count == 0)
        {
            int count = _events.Count;
            _events.Clear();
            return count;
        }
        return names.Distinct().Count(name => _events.TryRemove(name, out _));
    }
}
