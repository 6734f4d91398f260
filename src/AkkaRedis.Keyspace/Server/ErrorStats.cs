using System.Collections.Concurrent;
using System.Text;

namespace AkkaRedis.Keyspace.Server;

/// <summary>
/// INFO errorstats and total_error_replies: every error reply counted by its code, the first word after '-' (ERR,
/// WRONGTYPE, MOVED...), as Redis's afterErrorReply counts them. Shards and connections count concurrently; errors are
/// off the hot path.
/// </summary>
public sealed class ErrorStats
{
    /// <summary>Redis stops tracking new codes past 128 (ERRORSTATS_LIMIT), so odd errors cannot grow the table.</summary>
    private const int Limit = 128;

    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private long _total;

    public long Total => Interlocked.Read(ref _total);

    /// <summary>Counts the error reply that starts at <paramref name="reply"/> ("-CODE message\r\n").</summary>
    public void Count(ReadOnlySpan<byte> reply)
    {
        Interlocked.Increment(ref _total);
        var text = reply.Length > 0 && reply[0] == (byte)'-' ? reply[1..] : reply;
        int end = text.IndexOfAny((byte)' ', (byte)'\r');
        var code = Encoding.UTF8.GetString(end < 0 ? text : text[..end]);
        if (_counts.Count >= Limit && !_counts.ContainsKey(code)) return;
        _counts.AddOrUpdate(code, 1, (_, n) => n + 1);
    }

    public void Count(string error) => Count(Encoding.UTF8.GetBytes(error));

    public IEnumerable<(string Code, long Count)> ByCode => _counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value));

    public void Reset()
    {
        _counts.Clear();
        Interlocked.Exchange(ref _total, 0);
    }
}
