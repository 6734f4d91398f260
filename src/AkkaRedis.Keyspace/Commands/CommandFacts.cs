namespace AkkaRedis.Keyspace.Commands;

/// <summary>Redis's facts about one command or subcommand, as in its command JSON (see tools/generate-catalog.py).</summary>
public sealed record CommandFacts(
    string Name,
    int Arity,
    string[] Flags,
    string[] AclCategories,
    int FirstKey,
    int LastKey,
    int Step,
    KeySpec[] KeySpecs,
    string Group,
    string Since,
    string[] Tips)
{
    public bool HasFlag(string flag) => Array.IndexOf(Flags, flag) >= 0;

    /// <summary>The position of the last key among <paramref name="argc"/> arguments (a negative LastKey counts from the end).</summary>
    public int LastKeyIndex(int argc) => LastKey >= 0 ? LastKey : argc + LastKey;
}

public static partial class CommandCatalog
{
    private static readonly Dictionary<string, CommandFacts> ByName =
        All.Concat(Newer).ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);

    public static CommandFacts? Find(string name) => ByName.GetValueOrDefault(name);
}
