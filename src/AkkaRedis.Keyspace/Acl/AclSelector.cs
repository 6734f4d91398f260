using System.Text;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;

namespace AkkaRedis.Keyspace.Acl;

/// <summary>What a key pattern grants: reading (%R~), writing (%W~), or both (~).</summary>
[Flags]
public enum KeyAccess
{
    None = 0,
    Read = 1,
    Write = 2,
    All = Read | Write,
}

/// <summary>Why a command is refused, with Redis's numbering (ACL_DENIED_*): the higher one wins when selectors disagree.</summary>
public enum AclDenial
{
    None = 0,
    Command = 1,
    Key = 2,
    Auth = 3,
    Channel = 4,
}

/// <summary>A key pattern and what it grants.</summary>
public sealed record KeyPattern(string Pattern, KeyAccess Access)
{
    public byte[] Bytes { get; } = Encoding.Latin1.GetBytes(Pattern);

    /// <summary>sdsCatPatternString: ~ for both, %R~ or %W~ for one.</summary>
    public override string ToString() => Access switch
    {
        KeyAccess.Read => "%R~" + Pattern,
        KeyAccess.Write => "%W~" + Pattern,
        _ => "~" + Pattern,
    };
}

/// <summary>
/// One set of permissions of an ACL user (acl.c's aclSelector): the commands it may run, the keys and channels it may
/// name. A user has a root selector and any number of others; a command runs when one of them allows it. Mutable
/// only while a user is being built (see <see cref="AclRules"/>); once published it is read by any thread.
/// </summary>
public sealed class AclSelector
{
    private readonly CommandTable _table;
    private readonly ulong[] _allowed;
    /// <summary>+@all's reserved bit: the selector also runs commands the table does not have (yet), so it is described as +@all minus some.</summary>
    private bool _futureCommands;
    /// <summary>Allowed first arguments of otherwise refused commands ("+select|0"), by command id.</summary>
    private Dictionary<int, List<string>>? _firstArgs;
    private readonly List<KeyPattern> _keys = [];
    private readonly List<string> _channels = [];

    public bool IsRoot { get; }
    public bool AllKeys { get; private set; }
    public bool AllChannels { get; private set; }
    public bool AllCommands { get; private set; }

    public IReadOnlyList<KeyPattern> Keys => _keys;
    public IReadOnlyList<string> Channels => _channels;

    /// <summary>Runs anything on any key and channel: no command needs checking.</summary>
    public bool Unrestricted => AllCommands && AllKeys && AllChannels;

    /// <param name="allChannels">acl-pubsub-default: whether new selectors start with allchannels.</param>
    public AclSelector(CommandTable table, bool isRoot, bool allChannels)
    {
        _table = table;
        _allowed = new ulong[(table.AllSpecs.Count + 63) / 64];
        IsRoot = isRoot;
        AllChannels = allChannels;
    }

    private AclSelector(AclSelector source)
    {
        _table = source._table;
        _allowed = (ulong[])source._allowed.Clone();
        _futureCommands = source._futureCommands;
        _firstArgs = source._firstArgs?.ToDictionary(e => e.Key, e => new List<string>(e.Value));
        _keys.AddRange(source._keys);
        _channels.AddRange(source._channels);
        IsRoot = source.IsRoot;
        AllKeys = source.AllKeys;
        AllChannels = source.AllChannels;
        AllCommands = source.AllCommands;
    }

    public AclSelector Clone() => new(this);

    private bool Bit(int id) => (_allowed[id >> 6] & (1UL << (id & 63))) != 0;

    private void SetBit(int id, bool value)
    {
        if (value) _allowed[id >> 6] |= 1UL << (id & 63);
        else
        {
            _allowed[id >> 6] &= ~(1UL << (id & 63));
            AllCommands = false;
        }
    }

    /// <summary>ACLChangeSelectorPerm: a command, and a container's subcommands with it.</summary>
    private void ChangePermission(CommandSpec spec, bool allow)
    {
        SetBit(spec.Id, allow);
        _firstArgs?.Remove(spec.Id);
        if (spec.Subcommands != null)
            foreach (var sub in spec.Subcommands.Values) SetBit(sub.Id, allow);
    }

    private void ChangeCategory(string category, bool allow)
    {
        foreach (var spec in _table.Commands)
        {
            if (spec.Facts.AclCategories.Contains(category)) ChangePermission(spec, allow);
            if (spec.Subcommands == null) continue;
            foreach (var sub in spec.Subcommands.Values)
                if (sub.Facts.AclCategories.Contains(category)) ChangePermission(sub, allow);
        }
    }

    /// <summary>ACLLookupCommand: "name" or "container|subcommand".</summary>
    private CommandSpec? Lookup(string name)
    {
        var parts = name.Split('|');
        if (parts.Length > 2) return null;
        var spec = _table.Find(parts[0]);
        if (parts.Length == 1 || spec == null) return spec;
        return spec.Subcommands?.GetValueOrDefault(parts[1].ToLowerInvariant());
    }

    /// <summary>
    /// ACLSetSelector: applies one rule (allkeys, ~pattern, %RW~pattern, &amp;channel, +cmd, -cmd, +@category, ...).
    /// Returns null, or the reason it is refused in ACLSetUserStringError's words.
    /// </summary>
    public string? Apply(string op)
    {
        if (op.Length == 0) return AclErrors.Syntax;
        if (Is(op, "allkeys") || op == "~*")
        {
            AllKeys = true;
            _keys.Clear();
        }
        else if (Is(op, "resetkeys"))
        {
            AllKeys = false;
            _keys.Clear();
        }
        else if (Is(op, "allchannels") || op == "&*")
        {
            AllChannels = true;
            _channels.Clear();
        }
        else if (Is(op, "resetchannels"))
        {
            AllChannels = false;
            _channels.Clear();
        }
        else if (Is(op, "allcommands") || Is(op, "+@all"))
        {
            Array.Fill(_allowed, ulong.MaxValue);
            _futureCommands = true;
            AllCommands = true;
            _firstArgs = null;
        }
        else if (Is(op, "nocommands") || Is(op, "-@all"))
        {
            Array.Clear(_allowed);
            _futureCommands = false;
            AllCommands = false;
            _firstArgs = null;
        }
        else if (op[0] is '~' or '%') return AddKeyPattern(op);
        else if (op[0] == '&')
        {
            if (AllChannels) return AclErrors.ChannelAfterAll;
            var pattern = op[1..];
            if (AclErrors.HasSpaces(pattern)) return AclErrors.Syntax;
            if (!_channels.Contains(pattern)) _channels.Add(pattern);
            AllChannels = false;
        }
        else if (op[0] == '+' && (op.Length == 1 || op[1] != '@')) return Allow(op[1..]);
        else if (op[0] == '-' && (op.Length == 1 || op[1] != '@'))
        {
            if (Lookup(op[1..]) is not { } spec) return AclErrors.UnknownCommand;
            ChangePermission(spec, false);
        }
        else if (op.Length > 1 && op[0] is '+' or '-' && op[1] == '@')
        {
            var category = op[2..].ToLowerInvariant();
            if (Array.IndexOf(AclCategories.All, category) < 0) return AclErrors.UnknownCommand;
            ChangeCategory(category, op[0] == '+');
        }
        else return AclErrors.Syntax;
        return null;
    }

    private static bool Is(string op, string word) => op.Equals(word, StringComparison.OrdinalIgnoreCase);

    private string? AddKeyPattern(string op)
    {
        if (AllKeys) return AclErrors.KeyAfterAll;
        var access = KeyAccess.None;
        int offset = 1;
        if (op[0] == '%')
        {
            for (; offset < op.Length; offset++)
            {
                char ch = char.ToUpperInvariant(op[offset]);
                if (ch == 'R' && (access & KeyAccess.Read) == 0) access |= KeyAccess.Read;
                else if (ch == 'W' && (access & KeyAccess.Write) == 0) access |= KeyAccess.Write;
                else if (op[offset] == '~')
                {
                    offset++;
                    break;
                }
                else return AclErrors.Syntax;
            }
        }
        else access = KeyAccess.All;
        var pattern = op[offset..];
        if (AclErrors.HasSpaces(pattern)) return AclErrors.Syntax;
        int existing = _keys.FindIndex(k => k.Pattern == pattern);
        // The same pattern again widens what it grants instead of being listed twice.
        if (existing < 0) _keys.Add(new KeyPattern(pattern, access));
        else _keys[existing] = _keys[existing] with { Access = _keys[existing].Access | access };
        AllKeys = false;
        return null;
    }

    /// <summary>+command, +container|subcommand, or the deprecated +command|first-arg.</summary>
    private string? Allow(string name)
    {
        int bar = name.LastIndexOf('|');
        if (bar < 0)
        {
            if (Lookup(name) is not { } spec) return AclErrors.UnknownCommand;
            ChangePermission(spec, true);
            return null;
        }
        var command = Lookup(name[..bar]);
        if (command == null) return AclErrors.UnknownCommand;
        if (command.Name.Contains('|')) return AclErrors.FirstArgOfSubcommand;
        var sub = name[(bar + 1)..];
        if (sub.Length == 0) return AclErrors.Syntax;
        if (command.Subcommands != null)
        {
            if (Lookup(name) is not { } subcommand) return AclErrors.UnknownCommand;
            ChangePermission(subcommand, true);
            return null;
        }
        _firstArgs ??= [];
        if (!_firstArgs.TryGetValue(command.Id, out var allowed)) _firstArgs[command.Id] = allowed = [];
        if (!allowed.Contains(sub, StringComparer.OrdinalIgnoreCase)) allowed.Add(sub);
        return null;
    }

    // ------------------------------------------------------------------------------- checks

    /// <summary>
    /// ACLSelectorCheckCmd: whether this selector runs the command with these arguments; on a key or channel refusal,
    /// <paramref name="position"/> is the refused argument's.
    /// </summary>
    /// <param name="keys">The command's keys with their flags, found once for all of a user's selectors.</param>
    public AclDenial Check(CommandSpec spec, byte[][] args, ref List<(int Position, KeyAccess Access)>? keys, out int position)
    {
        position = 0;
        if (!AllCommands && !spec.Facts.HasFlag("no_auth") && !Bit(spec.Id))
        {
            if (args.Length < 2 || _firstArgs == null || !_firstArgs.TryGetValue(spec.Id, out var firstArgs)) return AclDenial.Command;
            var first = Encoding.Latin1.GetString(args[spec.Name.Contains('|') ? 2 : 1]);
            if (!firstArgs.Contains(first, StringComparer.OrdinalIgnoreCase)) return AclDenial.Command;
        }
        if (!AllKeys && spec.HasKeys)
        {
            keys ??= spec.KeysWithAccess(args);
            foreach (var (at, access) in keys)
            {
                if (MayAccess(args[at], access)) continue;
                position = at;
                return AclDenial.Key;
            }
        }
        if (!AllChannels && AclChannels.Of(spec.Name) is { } channels)
        {
            for (int at = 1; at < args.Length && at <= channels.Last(args.Length); at++)
            {
                if (MayUseChannel(args[at], channels.IsPattern)) continue;
                position = at;
                return AclDenial.Channel;
            }
        }
        return AclDenial.None;
    }

    /// <summary>ACLSelectorCheckKey: some pattern granting all of what the command does to the key matches it.</summary>
    public bool MayAccess(ReadOnlySpan<byte> key, KeyAccess access)
    {
        if (AllKeys) return true;
        foreach (var pattern in _keys)
            if ((pattern.Access & access) == access && Glob.Match(pattern.Bytes, key)) return true;
        return false;
    }

    /// <summary>ACLCheckChannelAgainstList: a channel matches the patterns; a pattern (PSUBSCRIBE) must be one of them literally.</summary>
    public bool MayUseChannel(ReadOnlySpan<byte> channel, bool isPattern)
    {
        if (AllChannels) return true;
        return MatchesChannel(_channels, channel, isPattern);
    }

    public static bool MatchesChannel(IEnumerable<string> patterns, ReadOnlySpan<byte> channel, bool isPattern)
    {
        foreach (var pattern in patterns)
        {
            var bytes = Encoding.Latin1.GetBytes(pattern);
            if (isPattern ? channel.SequenceEqual(bytes) : Glob.Match(bytes, channel)) return true;
        }
        return false;
    }

    // ------------------------------------------------------------------------------- description

    /// <summary>ACLDescribeSelector: keys, channels, then the command rules.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        if (AllKeys) text.Append("~* ");
        else foreach (var pattern in _keys) text.Append(pattern).Append(' ');
        if (AllChannels) text.Append("&* ");
        else
        {
            text.Append("resetchannels ");
            foreach (var channel in _channels) text.Append('&').Append(channel).Append(' ');
        }
        return text.Append(DescribeCommands()).ToString();
    }

    /// <summary>ACL GETUSER's keys field: the patterns, space separated.</summary>
    public string DescribeKeys() => AllKeys ? "~*" : string.Join(' ', _keys);

    /// <summary>ACL GETUSER's channels field.</summary>
    public string DescribeChannels() => AllChannels ? "&*" : string.Join(' ', _channels.Select(c => "&" + c));

    /// <summary>
    /// ACLDescribeSelectorCommandRules: +@all or -@all, then the categories that best fit what differs (greedily, as
    /// Redis picks them, so "+@all -@string" reads back as given), then single commands and first arguments.
    /// </summary>
    public string DescribeCommands()
    {
        bool additive = !_futureCommands;
        var rules = new List<string> { additive ? "-@all" : "+@all" };
        var described = new AclSelector(_table, false, false);
        described.Apply(rules[0]);
        // What is left to describe: categories are taken out of it as they are applied.
        var remaining = Clone();
        var applied = new bool[AclCategories.All.Length];
        while (true)
        {
            int best = -1;
            int minDiff = int.MaxValue, maxSame = 0;
            for (int j = 0; j < AclCategories.All.Length; j++)
            {
                if (applied[j]) continue;
                var (on, off) = remaining.Count(AclCategories.All[j]);
                int diff = additive ? off : on, same = additive ? on : off;
                if (same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)))
                {
                    best = j;
                    minDiff = diff;
                    maxSame = same;
                }
            }
            if (best < 0) break;
            var category = AclCategories.All[best];
            described.ChangeCategory(category, additive);
            remaining.ChangeCategory(category, !additive);
            rules.Add((additive ? "+@" : "-@") + category);
            applied[best] = true;
        }
        foreach (var spec in _table.Commands) DescribeSingle(spec, described, rules);
        return string.Join(' ', rules);
    }

    private void DescribeSingle(CommandSpec spec, AclSelector described, List<string> rules)
    {
        bool mine = Bit(spec.Id);
        if (mine != described.Bit(spec.Id))
        {
            rules.Add((mine ? "+" : "-") + spec.Name);
            described.ChangePermission(spec, mine);
        }
        if (spec.Subcommands != null)
            foreach (var sub in spec.Subcommands.Values) DescribeSingle(sub, described, rules);
        if (!mine && _firstArgs != null && _firstArgs.TryGetValue(spec.Id, out var firstArgs))
            rules.AddRange(firstArgs.Select(arg => "+" + spec.Name + "|" + arg));
    }

    /// <summary>ACLCountCategoryBitsForCommands: how many commands of the category this selector allows and refuses.</summary>
    private (int On, int Off) Count(string category)
    {
        int on = 0, off = 0;
        foreach (var spec in _table.AllSpecs)
        {
            if (!spec.Facts.AclCategories.Contains(category)) continue;
            if (Bit(spec.Id)) on++;
            else off++;
        }
        return (on, off);
    }
}
