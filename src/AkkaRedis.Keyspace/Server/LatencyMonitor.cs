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
    public List<(long Time, long Latency)> History(string name) => Snapshot(name).Samples;

    /// <summary>An event's samples, oldest first, and its all-time maximum, read together.</summary>
    private (List<(long Time, long Latency)> Samples, long Max) Snapshot(string name)
    {
        if (!_events.TryGetValue(name, out var series)) return ([], 0);
        lock (series)
        {
            var samples = new List<(long, long)>(series.Count);
            for (int i = 0; i < series.Count; i++) samples.Add(series.Samples[(series.Next - series.Count + i + HistoryLength) % HistoryLength]);
            return (samples, series.Max);
        }
    }

    /// <summary>
    /// LATENCY GRAPH: the event's samples as a sparkline under a header, each labelled with how long ago it was
    /// (latencyCommandGenSparkeline); null for an event never seen.
    /// </summary>
    public string? Graph(string name, long nowSeconds)
    {
        var (history, max) = Snapshot(name);
        if (history.Count == 0) return null;
        var samples = history.Select(s => ((double)s.Latency, Ago(nowSeconds - s.Time))).ToList();
        return $"{name} - high {history.Max(s => s.Latency)} ms, low {history.Min(s => s.Latency)} ms (all time high {max} ms)\n"
               + new string('-', GraphColumns) + "\n" + Sparkline.Render(samples, GraphColumns, 4);
    }

    private const int GraphColumns = 80;

    private static string Ago(long seconds) =>
        seconds < 60 ? $"{seconds}s" : seconds < 3600 ? $"{seconds / 60}m" : seconds < 86400 ? $"{seconds / 3600}h" : $"{seconds / 86400}d";

    /// <summary>
    /// LATENCY DOCTOR: createLatencyReport's analysis of each event (spikes, average, mean deviation, period) and its
    /// advice, in its words. <paramref name="anonHugePagesBytes"/>: the process's transparent huge pages, which Redis
    /// warns about.
    /// </summary>
    public string Doctor(ServerConfig config, long nowSeconds, long anonHugePagesBytes)
    {
        if (_events.IsEmpty && config.LatencyMonitorThreshold == 0)
            return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
        var report = new System.Text.StringBuilder();
        bool slowlogEnabled = false, slowlogTuning = false, slowlogInspect = false, largeObjects = false, scheduler = false, disableThp = false;
        int events = 0, advices = 0;
        foreach (var name in _events.Keys)
        {
            var (samples, max) = Snapshot(name);
            if (samples.Count == 0) continue;
            if (++events == 1) report.Append("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
            long average = samples.Sum(s => s.Latency) / samples.Count;
            long deviation = samples.Sum(s => Math.Abs(average - s.Latency)) / samples.Count;
            long period = Math.Max(1, nowSeconds - samples.Min(s => s.Time));
            report.Append(System.FormattableString.Invariant(
                $"{events}. {name}: {samples.Count} latency spikes (average {average}ms, mean deviation {deviation}ms, period {(double)period / samples.Count:0.00} sec). Worst all time event {max}ms."));
            if (name == "command")
            {
                if (config.SlowlogLogSlowerThan < 0)
                {
                    slowlogEnabled = true;
                    advices++;
                }
                else if (config.SlowlogLogSlowerThan / 1000 > config.LatencyMonitorThreshold)
                {
                    slowlogTuning = true;
                    advices++;
                }
                slowlogInspect = largeObjects = true;
                advices += 2;
            }
            else if (name == "fast-command")
            {
                scheduler = true;
                advices++;
            }
            report.Append('\n');
        }
        if (anonHugePagesBytes > 0)
        {
            disableThp = true;
            advices++;
        }
        if (events == 0 && advices == 0)
            return report.Append("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n").ToString();
        if (advices == 0)
            return report.Append("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n").ToString();
        report.Append("\nI have a few advices for you:\n\n");
        long suggested = (long)config.LatencyMonitorThreshold * 1000;
        if (slowlogEnabled)
            report.Append($"- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {suggested}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n");
        if (slowlogTuning)
            report.Append($"- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {suggested}'.\n");
        if (slowlogInspect)
            report.Append("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
        if (scheduler)
            report.Append("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n"
                          + "  1) Lower the system load.\n"
                          + "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
                          + "  3) Check if you have a \"noisy neighbour\" problem.\n"
                          + "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n"
                          + "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
        if (largeObjects)
            report.Append("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
        if (disableThp)
            report.Append("- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n");
        return report.ToString();
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
