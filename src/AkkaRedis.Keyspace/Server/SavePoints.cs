using System.Globalization;

namespace AkkaRedis.Keyspace.Server;

/// <summary>
/// Redis's save points: "save 3600 1 300 100" starts a BGSAVE when at least 1 change is older than 3600 s, or 100
/// changes older than 300 s, counted since the last successful save (serverCron in server.c).
/// </summary>
public sealed class SavePoints
{
    /// <summary>serverCron waits this long after a failed background save before trying again (CONFIG_BGSAVE_RETRY_DELAY).</summary>
    public const long RetryDelaySeconds = 5;

    public static readonly SavePoints None = new([]);

    public IReadOnlyList<(long Seconds, long Changes)> Points { get; }

    private SavePoints(IReadOnlyList<(long Seconds, long Changes)> points) => Points = points;

    /// <summary>Pairs of seconds and changes separated by spaces; "" means no automatic saves.</summary>
    public static bool TryParse(string text, out SavePoints points)
    {
        points = None;
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length % 2 != 0) return false;
        var list = new List<(long, long)>();
        for (int i = 0; i < words.Length; i += 2)
        {
            if (!long.TryParse(words[i], NumberStyles.None, CultureInfo.InvariantCulture, out long seconds) ||
                !long.TryParse(words[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out long changes))
                return false;
            list.Add((seconds, changes));
        }
        points = list.Count == 0 ? None : new SavePoints(list);
        return true;
    }

    /// <summary>Whether a save is due now, with <paramref name="changes"/> writes since the last successful one.</summary>
    public bool Due(long changes, long nowSeconds, long lastSaveSeconds, long lastTrySeconds, bool lastOk) =>
        Points.Any(p => changes >= p.Changes && nowSeconds - lastSaveSeconds > p.Seconds &&
                        (lastOk || nowSeconds - lastTrySeconds > RetryDelaySeconds));

    public override string ToString() =>
        string.Join(' ', Points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Seconds} {p.Changes}")));
}
