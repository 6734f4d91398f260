using System.Text;

namespace AkkaRedis.Keyspace.Scripting;

/// <summary>
/// An EVAL script's first line, "#!lua flags=no-writes,allow-oom", as Redis 7 reads it (evalExtractShebangFlags): a
/// script without one runs in compatibility mode (it may write, and is judged by EVAL's own command flags); with one,
/// its declared flags decide, as a function's do.
/// </summary>
public readonly record struct ScriptShebang(bool Declared, string[] Flags, int Length)
{
    /// <summary>The flags a script or a function may declare (scripts_flags_def).</summary>
    public static readonly string[] KnownFlags = ["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"];

    public bool NoWrites => Declared && Array.IndexOf(Flags, "no-writes") >= 0;
    public bool NoCluster => Declared && Array.IndexOf(Flags, "no-cluster") >= 0;
    public bool AllowOom => Declared && Array.IndexOf(Flags, "allow-oom") >= 0;

    /// <summary>
    /// Whether running the script may write: a script without a shebang may, as may one that does not declare no-writes
    /// (scriptFlagsToCmdFlags; CLIENT PAUSE WRITE holds those).
    /// </summary>
    public bool MayWrite => !NoWrites;

    /// <summary>Reads the shebang of <paramref name="body"/>; null, or Redis's error (without "ERR ").</summary>
    public static string? TryRead(ReadOnlySpan<byte> body, out ScriptShebang shebang)
    {
        shebang = new ScriptShebang(false, [], 0);
        if (!body.StartsWith("#!"u8)) return null;
        int end = body.IndexOf((byte)'\n');
        if (end < 0) return "Invalid script shebang";
        // sdssplitargs, quotes and all (flags="no-writes" is the flag no-writes).
        var split = Protocol.InlineSplitter.Split(body[..end]);
        if (split is not { Length: > 0 }) return "Invalid engine in script shebang";
        var parts = split.Select(Encoding.UTF8.GetString).ToArray();
        if (parts[0] != "#!lua") return $"Unexpected engine in script shebang: {parts[0]}";
        var flags = new List<string>();
        foreach (var part in parts.Skip(1))
        {
            if (!part.StartsWith("flags=", StringComparison.Ordinal)) return $"Unknown lua shebang option: {part}";
            var list = part["flags=".Length..];
            if (list.Length == 0) continue; // sdssplitlen of nothing is no flags
            foreach (var flag in list.Split(','))
            {
                if (Array.IndexOf(KnownFlags, flag) < 0) return $"Unexpected flag in script shebang: {flag}";
                flags.Add(flag);
            }
        }
        shebang = new ScriptShebang(true, [.. flags], end);
        return null;
    }

    /// <summary>The shebang of a script already known to be valid (cached or just compiled).</summary>
    public static ScriptShebang Of(ReadOnlySpan<byte> body) => TryRead(body, out var shebang) == null ? shebang : default;
}
