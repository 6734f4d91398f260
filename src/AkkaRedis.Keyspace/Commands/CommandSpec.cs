namespace AkkaRedis.Keyspace.Commands;

/// <summary>Where a command runs.</summary>
public enum CommandRoute
{
    /// <summary>In the connection's session (PING, SELECT, CLIENT, HELLO...): never reaches a shard.</summary>
    Session,
    /// <summary>On the shard(s) owning its keys; one shard takes the fast path, several are held together.</summary>
    Keyed,
    /// <summary>With every shard held (DBSIZE, FLUSHALL, SCAN, KEYS, INFO...).</summary>
    AllShards,
}

public delegate void CommandHandler(CommandContext context);

/// <summary>A command this server supports: Redis's facts, where it runs, and its handler.</summary>
public sealed class CommandSpec
{
    public CommandSpec(CommandFacts facts, CommandRoute route, CommandHandler? handler, Func<byte[][], List<int>>? findKeys = null)
    {
        Facts = facts;
        Route = route;
        Handler = handler;
        Name = facts.Name;
        NameBytes = System.Text.Encoding.ASCII.GetBytes(facts.Name);
        IsWrite = facts.HasFlag("write");
        IsBlocking = facts.HasFlag("blocking");
        IsFast = facts.HasFlag("fast");
        DenyOom = facts.HasFlag("denyoom");
        RunsUserCode = Array.IndexOf(facts.AclCategories, "scripting") >= 0;
        MayRunLong = RunsUserCode || facts.Name == "migrate";
        _findKeys = findKeys;
        SimpleKeys = findKeys == null && facts.FirstKey > 0 && facts.KeySpecs.All(k => k.Search.Position > 0 && k.Find.IsRange && k.Find.Limit == 0);
    }

    /// <summary>For a command whose key specs cannot say where all its keys are (Redis's getkeys_proc, as SORT's STORE).</summary>
    private readonly Func<byte[][], List<int>>? _findKeys;
    public bool FindsOwnKeys => _findKeys != null;

    /// <summary>True when the keys are exactly Facts.FirstKey..LastKey by Step (no count argument, no keyword):
    /// routing then finds them without allocating.</summary>
    public bool SimpleKeys { get; }

    /// <summary>Lower case; subcommands as "config|get".</summary>
    public string Name { get; }
    public CommandFacts Facts { get; }
    public CommandRoute Route { get; }
    public CommandHandler? Handler { get; }
    public bool IsWrite { get; }

    /// <summary><see cref="Name"/> as bytes, for matching what a client sent.</summary>
    public byte[] NameBytes { get; }

    /// <summary>Flagged blocking (BLPOP, BZPOPMIN, ...): asked for every command routed, so not a flag search.</summary>
    public bool IsBlocking { get; }

    /// <summary>Flagged denyoom (may add data): refused over maxmemory; asked for every command while a limit is set.</summary>
    public bool DenyOom { get; }

    /// <summary>Flagged fast (O(1) or O(log N)): asked for every command a shard times.</summary>
    public bool IsFast { get; }

    /// <summary>In ACL category scripting (EVAL, FCALL, SCRIPT, FUNCTION...): may run a script, for as long as it likes.</summary>
    public bool RunsUserCode { get; }

    /// <summary>May run for long: user code (a script may loop until SCRIPT KILL), or MIGRATE waiting for its target.</summary>
    public bool MayRunLong { get; }

    /// <summary>Index into per-shard statistics arrays.</summary>
    public int Id { get; internal set; }

    /// <summary>For containers (CONFIG, CLIENT, OBJECT...): the supported subcommands by lower-case name.</summary>
    public Dictionary<string, CommandSpec>? Subcommands { get; internal set; }

    /// <summary>Argument positions of the keys, from the key specs.</summary>
    public List<int> KeyPositions(byte[][] args)
    {
        if (_findKeys != null) return _findKeys(args);
        var positions = new List<int>(2);
        foreach (var spec in Facts.KeySpecs) spec.AddKeyPositions(args, positions);
        return positions;
    }

    /// <summary>doesCommandHaveKeys: some key spec names real keys (not only shard channels, flagged not_key).</summary>
    public bool HasKeys => FindsOwnKeys || Facts.KeySpecs.Any(k => !k.IsNotKey);

    /// <summary>
    /// The keys with their key-spec flags ("RW access update"), as getKeysFromCommandWithSpecs finds them: COMMAND
    /// GETKEYSANDFLAGS answers them and ACLs check them. <paramref name="valid"/> is false when a count is out of range.
    /// </summary>
    public List<(int Position, string Flags)> KeysWithFlags(byte[][] args, out bool valid)
    {
        var keys = new List<(int Position, string Flags)>();
        valid = true;
        var specs = Facts.KeySpecs;
        if (FindsOwnKeys)
        {
            // sortGetKeys: the sorted key is read (the first spec's flags), the STORE destination written (the last's).
            keys.AddRange(KeyPositions(args).Select((p, i) => (p, (i == 0 ? specs[0] : specs[^1]).Flags)));
            return keys;
        }
        var positions = new List<int>();
        foreach (var keySpec in specs)
        {
            // GET_KEYSPEC_DEFAULT: a shard channel (SPUBLISH's) is routed like a key but is none.
            if (keySpec.IsNotKey) continue;
            positions.Clear();
            valid &= keySpec.AddKeyPositions(args, positions);
            var flags = keySpec.Flags.Contains("variable_flags") ? KeyFlags.Variable(Name, args) : keySpec.Flags;
            foreach (int position in positions) keys.Add((position, flags));
        }
        return keys;
    }

    /// <summary>The keys and what the command does to each, for ACL checks.</summary>
    public List<(int Position, Acl.KeyAccess Access)> KeysWithAccess(byte[][] args) =>
        KeysWithFlags(args, out _).Select(k => (k.Position, KeyFlags.Access(k.Flags))).ToList();

    public override string ToString() => Name;
}
