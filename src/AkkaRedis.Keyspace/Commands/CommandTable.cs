using System.Collections.Frozen;
using System.Text;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>
/// The commands this server supports, built once at start-up from <see cref="CommandCatalog"/> (Redis's facts)
/// and the handlers registered by each command family. COMMAND, arity errors and routing all read it.
/// </summary>
public sealed class CommandTable
{
    private readonly FrozenDictionary<string, CommandSpec> _byName;
    private readonly CommandSpec[] _byId;

    /// <summary>Top-level commands by <see cref="BucketOf"/> of their name, for looking up the bytes a client sent.</summary>
    private readonly CommandSpec[][] _buckets = new CommandSpec[BucketCount][];
    private const int BucketCount = 1024;

    private CommandTable(Dictionary<string, CommandSpec> commands, List<CommandSpec> all)
    {
        _byName = commands.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _byId = all.ToArray();
        for (int i = 0; i < _byId.Length; i++) _byId[i].Id = i;
        foreach (var group in _byName.Values.GroupBy(spec => BucketOf(spec.NameBytes)))
            _buckets[group.Key] = group.ToArray();
        for (int i = 0; i < BucketCount; i++) _buckets[i] ??= [];
    }

    /// <summary>A hash of a name's length and its first and last letters, whatever their case.</summary>
    private static int BucketOf(ReadOnlySpan<byte> name) =>
        (name.Length * 97 + (name[0] | 0x20) * 31 + (name[^1] | 0x20)) & (BucketCount - 1);

    /// <summary>Top-level commands.</summary>
    public IEnumerable<CommandSpec> Commands => _byName.Values;

    /// <summary>Every command and subcommand, indexed by <see cref="CommandSpec.Id"/>.</summary>
    public IReadOnlyList<CommandSpec> AllSpecs => _byId;

    public CommandSpec? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// Looks up by the raw name bytes, without allocating: the hot path's lookup (the frozen dictionary's, through
    /// chars, showed as 3% of the CPU at -P 16; a bucket holds one or two names).
    /// </summary>
    public CommandSpec? Find(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty) return null;
        foreach (var spec in _buckets[BucketOf(name)])
            if (System.Text.Ascii.EqualsIgnoreCase(name, spec.NameBytes)) return spec;
        return null;
    }

    /// <summary>The command (or subcommand, for containers such as FUNCTION) that <paramref name="args"/> names; no arity check.</summary>
    public CommandSpec? FindCommand(byte[][] args)
    {
        var spec = Find(args[0]);
        if (spec?.Subcommands != null && args.Length >= 2)
            return spec.Subcommands.GetValueOrDefault(Encoding.UTF8.GetString(args[1]).ToLowerInvariant());
        return spec;
    }

    /// <summary>The outcome of resolving a request to a command.</summary>
    public readonly record struct Resolution(CommandSpec? Spec, string? Error);

    /// <summary>
    /// Resolves the name (and subcommand), then checks arity, answering with Redis's exact error words
    /// (server.c processCommand / lookupCommand).
    /// </summary>
    public Resolution Resolve(byte[][] args)
    {
        var spec = Find(args[0]);
        if (spec == null)
        {
            // Request bytes one per character: the connection writes them back as the bytes they were.
            var rest = args.Skip(1).Select(a => Encoding.Latin1.GetString(a)).ToList();
            return new(null, RespErrors.UnknownCommand(Encoding.Latin1.GetString(args[0]), rest));
        }
        if (spec.Subcommands != null && args.Length >= 2)
        {
            var sub = spec.Subcommands.GetValueOrDefault(Encoding.UTF8.GetString(args[1]).ToLowerInvariant());
            if (sub == null)
                return new(null, RespErrors.UnknownSubcommand(Encoding.Latin1.GetString(args[1]), spec.Name));
            spec = sub;
        }
        int arity = spec.Facts.Arity;
        if ((arity > 0 && args.Length != arity) || args.Length < -arity)
            return new(spec, RespErrors.WrongArgs(spec.Name));
        return new(spec, null);
    }

    /// <summary>Collects handlers and builds the table.</summary>
    public sealed class Builder
    {
        private readonly Dictionary<string, (CommandRoute Route, CommandHandler? Handler, Func<byte[][], List<int>>? FindKeys)> _handlers =
            new(StringComparer.OrdinalIgnoreCase);

        /// <summary>Registers a command or subcommand ("client|id") under Redis's facts for that name.</summary>
        public Builder Add(string name, CommandRoute route, CommandHandler? handler, Func<byte[][], List<int>>? findKeys = null)
        {
            if (CommandCatalog.Find(name) == null) throw new ArgumentException($"No Redis command is named '{name}'");
            _handlers.Add(name, (route, handler, findKeys));
            return this;
        }

        public Builder Keyed(string name, CommandHandler handler) => Add(name, CommandRoute.Keyed, handler);
        public Builder AllShards(string name, CommandHandler handler) => Add(name, CommandRoute.AllShards, handler);

        public CommandTable Build()
        {
            var top = new Dictionary<string, CommandSpec>(StringComparer.OrdinalIgnoreCase);
            var all = new List<CommandSpec>();
            // Containers get a spec of their own (for arity and COMMAND), with no handler.
            foreach (var (name, (route, handler, findKeys)) in _handlers.OrderBy(h => h.Key, StringComparer.Ordinal))
            {
                int bar = name.IndexOf('|');
                if (bar < 0)
                {
                    var spec = new CommandSpec(CommandCatalog.Find(name)!, route, handler, findKeys);
                    top[spec.Name] = spec;
                    all.Add(spec);
                    continue;
                }
                string parentName = name[..bar];
                if (!top.TryGetValue(parentName, out var parent))
                {
                    parent = new CommandSpec(CommandCatalog.Find(parentName)!, CommandRoute.Session, null);
                    top[parentName] = parent;
                    all.Add(parent);
                }
                parent.Subcommands ??= new Dictionary<string, CommandSpec>(StringComparer.Ordinal);
                var sub = new CommandSpec(CommandCatalog.Find(name)!, route, handler);
                parent.Subcommands[name[(bar + 1)..]] = sub;
                all.Add(sub);
            }
            return new CommandTable(top, all);
        }
    }
}
