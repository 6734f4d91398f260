using System.Collections.Concurrent;
using System.Text;

namespace AkkaRedis.Keyspace.Server;

/// <summary>One SLOWLOG entry: its arguments already shortened as Redis keeps them, and the client that ran it.</summary>
public sealed record SlowLogEntry(long Id, long TimeSeconds, long Micros, byte[][] Args, string ClientAddress, string ClientName);

/// <summary>
/// SLOWLOG (slowlog.c): commands whose execution took at least slowlog-log-slower-than microseconds, newest kept, at most
/// slowlog-max-len. Shards and connections add to it; only commands that crossed the threshold get here, so the
/// hot path pays one comparison.
/// </summary>
public sealed class SlowLog
{
    /// <summary>Redis keeps at most 32 arguments and 128 bytes of each (SLOWLOG_ENTRY_MAX_ARGC, SLOWLOG_ENTRY_MAX_STRING).</summary>
    private const int MaxArgs = 32, MaxString = 128;

    private readonly ConcurrentQueue<SlowLogEntry> _entries = new();
    private long _nextId;

    /// <summary>A client's address and name, from what a command knows of it (its connection's actor or session); set by the host.</summary>
    public Func<object?, (string Address, string Name)> Describe { get; set; } = _ => ("", "");

    /// <summary>Whether a command that ran for <paramref name="micros"/> belongs in the log.</summary>
    public static bool IsSlow(ServerConfig config, long micros) => config.SlowlogLogSlowerThan is >= 0 and var limit && micros >= limit;

    public void Add(byte[][] args, long micros, long nowSeconds, object? client, int maxLength)
    {
        int kept = Math.Min(args.Length, MaxArgs);
        var shortened = new byte[kept][];
        for (int i = 0; i < kept; i++)
        {
            if (kept < args.Length && i == kept - 1)
                shortened[i] = Encoding.ASCII.GetBytes($"... ({args.Length - kept + 1} more arguments)");
            else if (args[i].Length > MaxString)
                shortened[i] = [.. args[i].AsSpan(0, MaxString), .. Encoding.ASCII.GetBytes($"... ({args[i].Length - MaxString} more bytes)")];
            // A copy: a stored string may be its request's argument, which SET, SETRANGE and SETBIT later change in place.
            else shortened[i] = args[i].ToArray();
        }
        var (address, name) = Describe(client);
        _entries.Enqueue(new SlowLogEntry(Interlocked.Increment(ref _nextId) - 1, nowSeconds, micros, shortened, address, name));
        while (_entries.Count > maxLength && _entries.TryDequeue(out _)) { }
    }

    /// <summary>The newest <paramref name="count"/> entries (all when negative), newest first.</summary>
    public List<SlowLogEntry> Newest(long count)
    {
        var all = _entries.ToArray();
        Array.Reverse(all);
        return count < 0 ? [.. all] : all.Take((int)Math.Min(count, all.Length)).ToList();
    }

    public int Length => _entries.Count;

    public void Reset() => _entries.Clear();
}
