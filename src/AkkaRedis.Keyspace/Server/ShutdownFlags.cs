namespace AkkaRedis.Keyspace.Server;

/// <summary>
/// What a shutdown does about saving (SHUTDOWN's SAVE / NOSAVE, and shutdown-on-sigterm / shutdown-on-sigint, whose
/// values are words of "default save nosave now force", as Redis's multi-argument enum config).
/// </summary>
public static class ShutdownFlags
{
    private static readonly string[] Words = ["save", "nosave", "now", "force"];

    /// <summary>The canonical form of <paramref name="value"/> ("default" for none), or null with the reason in <paramref name="error"/>.</summary>
    public static string? Parse(string value, out string? error)
    {
        error = null;
        var given = new HashSet<string>();
        foreach (var word in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var lower = word.ToLowerInvariant();
            if (lower != "default" && Array.IndexOf(Words, lower) < 0)
            {
                error = "argument(s) must be one of the following: default, save, nosave, now, force";
                return null;
            }
            given.Add(lower);
        }
        if (given.Contains("save") && given.Contains("nosave"))
        {
            error = "shutdown options SAVE and NOSAVE can't be used simultaneously";
            return null;
        }
        var flags = Words.Where(given.Contains).ToList();
        return flags.Count == 0 ? "default" : string.Join(' ', flags);
    }

    /// <summary>Whether a shutdown with these flags saves dump.rdb: SAVE, or neither SAVE nor NOSAVE with save points set.</summary>
    public static bool Saves(string flags, SavePoints points)
    {
        var words = flags.Split(' ');
        return words.Contains("save") || (!words.Contains("nosave") && points.Points.Count > 0);
    }
}
