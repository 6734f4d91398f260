using AkkaRedis.Keyspace.Commands;

namespace AkkaRedis.Keyspace.Acl;

/// <summary>
/// A user: its name, and its current rules. Connections hold the user, so ACL SETUSER's new rules apply to the
/// connections already authenticated as it, as in Redis. <see cref="Removed"/> once ACL DELUSER (or ACL LOAD) drops it.
/// </summary>
public sealed class AclUser(string name, AclRules rules)
{
    public string Name { get; } = name;
    private volatile AclRules _rules = rules;
    private volatile bool _removed;

    public AclRules Rules
    {
        get => _rules;
        internal set => _rules = value;
    }

    public bool Removed
    {
        get => _removed;
        internal set => _removed = value;
    }
}

/// <summary>
/// The node's ACL users (acl.c's Users), by name in byte order as ACL LIST shows them, with the default user every
/// connection starts as. Names, rules and patterns are held as Latin-1 strings, one character per byte, so binary
/// passwords and patterns round-trip. Changed only by ACL commands, CONFIG SET requirepass and the ACL file, under
/// a lock that no data command takes; connections read a user's rules without it.
/// </summary>
public sealed class AclUsers
{
    public const string DefaultName = "default";

    private readonly object _lock = new();
    private readonly CommandTable _table;
    private SortedDictionary<string, AclUser> _users = new(StringComparer.Ordinal);

    public AclUser Default { get; }
    public AclLog Log { get; }

    /// <summary>Some user may not run everything: only then do scripts look up their caller to check its calls.</summary>
    public bool AnyRestricted => _anyRestricted;
    private volatile bool _anyRestricted;

    /// <summary>Called under the lock after any change.</summary>
    private void Changed() => _anyRestricted = _users.Values.Any(u => !u.Rules.Unrestricted);

    private readonly Server.ServerConfig _config;

    /// <summary>acl-pubsub-default: whether new users (and reset ones) may use every channel; Redis 7's default is no.</summary>
    private bool AllChannelsByDefault => _config.AclPubsubDefault == "allchannels";

    public AclUsers(CommandTable table, Server.ServerConfig config)
    {
        _table = table;
        _config = config;
        Log = new AclLog(config);
        Default = new AclUser(DefaultName, DefaultRules());
        _users[DefaultName] = Default;
        SetDefaultPassword(config.RequirePass);
    }

    /// <summary>ACLCreateDefaultUser: every command, key and channel, on, nopass.</summary>
    private AclRules DefaultRules() => AclRules.New(_table, false).With(["+@all", "~*", "&*", "on", "nopass"], false).Rules!;

    /// <summary>authRequired's test of the default user: a new connection must AUTH unless it is on and nopass.</summary>
    public bool DefaultRequiresAuth
    {
        get
        {
            var rules = Default.Rules;
            return !rules.NoPass || !rules.Enabled;
        }
    }

    public AclUser? Find(string name)
    {
        lock (_lock) return _users.GetValueOrDefault(name);
    }

    /// <summary>The users in byte order of their names.</summary>
    public List<AclUser> All()
    {
        lock (_lock) return _users.Values.ToList();
    }

    /// <summary>
    /// ACL SETUSER: creates the user, or changes it, with all of <paramref name="ops"/> or none. Returns the error to
    /// answer (without its ERR code), or null; <paramref name="previous"/> is the rules the user had (null when new).
    /// </summary>
    public string? SetUser(string name, IReadOnlyList<string> ops, out AclUser? user, out AclRules? previous)
    {
        lock (_lock)
        {
            _users.TryGetValue(name, out user);
            previous = user?.Rules;
            var (rules, error) = (previous ?? AclRules.New(_table, AllChannelsByDefault)).With(ops, AllChannelsByDefault);
            if (error != null) return error;
            if (user == null) _users[name] = user = new AclUser(name, rules!);
            else user.Rules = rules!;
            Changed();
            return null;
        }
    }

    /// <summary>
    /// ACLCheckAllPerm with its log entry: whether <paramref name="client"/>'s user may run the command, and if not, why
    /// (logged in ACL LOG under <paramref name="context"/>).
    /// </summary>
    public AclDenial Check(IAclClient client, CommandSpec spec, byte[][] args, AclLogContext context, long nowMs)
    {
        var user = client.User;
        var rules = user.Rules;
        if (rules.Unrestricted) return AclDenial.None;
        var denial = rules.Check(spec, args, out int at);
        if (denial != AclDenial.None)
            Log.Add(denial, context, denial == AclDenial.Command ? spec.Name : System.Text.Encoding.Latin1.GetString(args[at]), user.Name, nowMs,
                client.Describe(nowMs));
        return denial;
    }

    /// <summary>ACL DELUSER: the users removed (their connections are to be closed).</summary>
    public List<AclUser> Delete(IEnumerable<string> names)
    {
        var removed = new List<AclUser>();
        lock (_lock)
        {
            foreach (var name in names)
            {
                if (!_users.Remove(name, out var user)) continue;
                user.Removed = true;
                removed.Add(user);
            }
            Changed();
        }
        return removed;
    }

    /// <summary>ACLCheckUserCredentials: the user, when it exists, is on, and takes the password.</summary>
    public AclUser? Authenticate(string name, byte[] password)
    {
        var user = Find(name);
        return user != null && user.Rules.Accepts(password) ? user : null;
    }

    /// <summary>ACLUpdateDefaultUserPassword (requirepass): the default user's only password, or nopass when empty.</summary>
    public void SetDefaultPassword(string password)
    {
        lock (_lock)
        {
            Default.Rules = Default.Rules.With(password.Length == 0 ? ["resetpass", "nopass"] : ["resetpass", ">" + password], false).Rules!;
            Changed();
        }
    }

    /// <summary>
    /// ACLLoadFromFile from the file's text: every user it defines, replacing all others, or (on any error) nothing.
    /// Returns the errors in Redis's words, or null; <paramref name="dropped"/> are the users replaced, whose
    /// connections are to be closed (the default user is updated in place and keeps its connections).
    /// </summary>
    public string? Load(string fileName, string text, out List<AclUser> dropped)
    {
        dropped = [];
        var loaded = new SortedDictionary<string, AclRules>(StringComparer.Ordinal);
        var errors = new System.Text.StringBuilder();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int number = i + 1;
            var line = lines[i].Trim(' ', '\t', '\r', '\n');
            if (line.Length == 0) continue;
            var argv = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (argv.Length == 0) continue;
            if (argv[0] != "user" || argv.Length < 2)
            {
                errors.Append($"{fileName}:{number} should start with user keyword followed by the username. ");
                continue;
            }
            if (AclErrors.HasSpaces(argv[1]))
            {
                errors.Append($"'{fileName}:{number}: username '{argv[1]}' contains invalid characters. ");
                continue;
            }
            if (loaded.ContainsKey(argv[1]))
            {
                errors.Append($"WARNING: Duplicate user '{argv[1]}' found on line {number}. ");
                continue;
            }
            var (rules, failedOp, reason) = AclRules.New(_table, AllChannelsByDefault).TryWith(argv[2..], AllChannelsByDefault);
            if (rules == null)
            {
                // A missing command is named; for other errors only the reason, as the rule may hold a password.
                errors.Append(failedOp == null ? $"{fileName}:{number}: Unmatched parenthesis in selector definition."
                    : reason == AclErrors.UnknownCommand ? $"{fileName}:{number}: Error in applying operation '{failedOp}': {reason}. "
                    : $"{fileName}:{number}: {reason}. ");
                continue;
            }
            loaded[argv[1]] = rules!;
        }
        if (errors.Length > 0)
            return errors.Append("WARNING: ACL errors detected, no change to the previously active ACL rules was performed").ToString();
        lock (_lock)
        {
            var users = new SortedDictionary<string, AclUser>(StringComparer.Ordinal);
            foreach (var (name, rules) in loaded) users[name] = name == DefaultName ? Default : new AclUser(name, rules);
            Default.Rules = loaded.GetValueOrDefault(DefaultName) ?? DefaultRules();
            users[DefaultName] = Default;
            foreach (var user in _users.Values.Where(u => u != Default))
            {
                user.Removed = true;
                dropped.Add(user);
            }
            _users = users;
            Changed();
        }
        return null;
    }

    /// <summary>ACLSaveToFile's text: one "user name rules" line per user.</summary>
    public string Save() => string.Concat(All().Select(u => $"user {u.Name} {u.Rules.Describe()}\n"));
}
