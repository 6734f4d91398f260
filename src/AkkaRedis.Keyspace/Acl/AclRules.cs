using System.Security.Cryptography;
using System.Text;
using AkkaRedis.Keyspace.Commands;

namespace AkkaRedis.Keyspace.Acl;

/// <summary>Whether RESTORE payloads are checked deeply for this user (ACL's sanitize-payload flags); unset until a rule says.</summary>
public enum PayloadSanitizing
{
    Unset,
    Sanitize,
    Skip,
}

/// <summary>
/// One version of a user's ACL (acl.c's user struct minus its name): flags, password hashes, selectors. Never changed
/// once published: ACL SETUSER builds a new one from a copy (so a bad rule changes nothing) and swaps it in, and
/// connections read the current one without a lock.
/// </summary>
public sealed class AclRules
{
    public bool Enabled { get; private set; }
    public bool NoPass { get; private set; }
    public PayloadSanitizing Sanitizing { get; private set; }
    private readonly List<string> _passwords = [];
    private readonly List<AclSelector> _selectors = [];

    public IReadOnlyList<string> Passwords => _passwords;
    /// <summary>The root selector first, then the others in the order they were added.</summary>
    public IReadOnlyList<AclSelector> Selectors => _selectors;
    public AclSelector Root => _selectors[0];

    /// <summary>Runs any command on any key and channel (the default user's rules): the hot path skips the check.</summary>
    public bool Unrestricted { get; private set; }

    private readonly CommandTable _table;

    private AclRules(CommandTable table) => _table = table;

    /// <summary>A new user's rules (ACLCreateUser): off, no password, no commands, keys or channels (unless acl-pubsub-default says allchannels).</summary>
    public static AclRules New(CommandTable table, bool allChannels)
    {
        var rules = new AclRules(table);
        rules._selectors.Add(new AclSelector(table, isRoot: true, allChannels));
        return rules.Seal();
    }

    private AclRules Copy()
    {
        var copy = new AclRules(_table) { Enabled = Enabled, NoPass = NoPass, Sanitizing = Sanitizing };
        copy._passwords.AddRange(_passwords);
        copy._selectors.AddRange(_selectors.Select(s => s.Clone()));
        return copy;
    }

    private AclRules Seal()
    {
        Unrestricted = _selectors.Any(s => s.Unrestricted);
        return this;
    }

    /// <summary>
    /// ACLStringSetUser: these rules with <paramref name="ops"/> applied, all or nothing. Returns the new rules, or the
    /// error ACL SETUSER answers (without the ERR code).
    /// </summary>
    public (AclRules? Rules, string? Error) With(IReadOnlyList<string> ops, bool allChannelsByDefault)
    {
        var (rules, failedOp, reason) = TryWith(ops, allChannelsByDefault);
        if (rules != null) return (rules, null);
        return (null, failedOp == null ? $"Unmatched parenthesis in acl selector starting at '{reason}'." : $"Error in ACL SETUSER modifier '{failedOp}': {reason}");
    }

    /// <summary>
    /// These rules with <paramref name="ops"/> applied, or the rule refused and why (ACLSetUserStringError's words);
    /// for a selector whose parenthesis never closes, no rule and the argument it starts at.
    /// </summary>
    public (AclRules? Rules, string? FailedOp, string? Reason) TryWith(IReadOnlyList<string> ops, bool allChannelsByDefault)
    {
        var merged = MergeSelectorArguments(ops, out var unmatched);
        if (merged == null) return (null, null, unmatched);
        var copy = Copy();
        foreach (var op in merged)
            if (copy.Apply(op, allChannelsByDefault) is { } reason)
                return (null, op, reason);
        return (copy.Seal(), null, null);
    }

    /// <summary>ACLMergeSelectorArguments: a selector "(...)" given over several arguments becomes one.</summary>
    private static List<string>? MergeSelectorArguments(IReadOnlyList<string> ops, out string? unmatched)
    {
        var merged = new List<string>();
        StringBuilder? selector = null;
        unmatched = null;
        foreach (var op in ops)
        {
            if (selector == null && op.Length > 0 && op[0] == '(' && op[^1] != ')')
            {
                selector = new StringBuilder(op);
                unmatched = op;
                continue;
            }
            if (selector != null)
            {
                selector.Append(' ').Append(op);
                if (op.Length > 0 && op[^1] == ')')
                {
                    merged.Add(selector.ToString());
                    selector = null;
                }
                continue;
            }
            merged.Add(op);
        }
        return selector == null ? merged : null;
    }

    /// <summary>ACLSetUser: one rule; null, or why it is refused.</summary>
    private string? Apply(string op, bool allChannelsByDefault)
    {
        if (op.Length == 0) return null;
        if (Is(op, "on")) Enabled = true;
        else if (Is(op, "off")) Enabled = false;
        else if (Is(op, "skip-sanitize-payload")) Sanitizing = PayloadSanitizing.Skip;
        else if (Is(op, "sanitize-payload")) Sanitizing = PayloadSanitizing.Sanitize;
        else if (Is(op, "nopass"))
        {
            NoPass = true;
            _passwords.Clear();
        }
        else if (Is(op, "resetpass"))
        {
            NoPass = false;
            _passwords.Clear();
        }
        else if (op[0] is '>' or '#')
        {
            var hash = op[0] == '>' ? Hash(op[1..]) : op[1..];
            if (op[0] == '#' && !IsHash(hash)) return AclErrors.BadHash;
            if (!_passwords.Contains(hash)) _passwords.Add(hash);
            NoPass = false;
        }
        else if (op[0] is '<' or '!')
        {
            var hash = op[0] == '<' ? Hash(op[1..]) : op[1..];
            if (op[0] == '!' && !IsHash(hash)) return AclErrors.BadHash;
            if (!_passwords.Remove(hash)) return AclErrors.NoSuchPassword;
        }
        else if (op[0] == '(' && op[^1] == ')')
        {
            var selector = new AclSelector(_table, isRoot: false, allChannelsByDefault);
            var inner = Protocol.InlineSplitter.Split(Encoding.Latin1.GetBytes(op[1..^1]));
            if (inner == null) return AclErrors.Syntax;
            foreach (var part in inner)
                if (selector.Apply(Encoding.Latin1.GetString(part)) is { } reason) return reason;
            _selectors.Add(selector);
        }
        else if (Is(op, "clearselectors")) _selectors.RemoveRange(1, _selectors.Count - 1);
        else if (Is(op, "reset"))
        {
            NoPass = false;
            _passwords.Clear();
            Enabled = false;
            Sanitizing = PayloadSanitizing.Sanitize;
            _selectors.Clear();
            _selectors.Add(new AclSelector(_table, isRoot: true, allChannelsByDefault));
        }
        else return Root.Apply(op);
        return null;
    }

    private static bool Is(string op, string word) => op.Equals(word, StringComparison.OrdinalIgnoreCase);

    /// <summary>ACLHashPassword: SHA-256 in lower-case hex.</summary>
    public static string Hash(string password) => Hash(Encoding.Latin1.GetBytes(password));

    public static string Hash(byte[] password) => Convert.ToHexStringLower(SHA256.HashData(password));

    /// <summary>ACLCheckPasswordHash: 64 lower-case hex digits.</summary>
    private static bool IsHash(string text) => text.Length == 64 && text.All(ch => ch is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>ACLCheckUserCredentials for this user: enabled, and nopass or one of its passwords.</summary>
    public bool Accepts(byte[] password)
    {
        if (!Enabled) return false;
        if (NoPass) return true;
        var hash = Encoding.ASCII.GetBytes(Hash(password));
        bool match = false;
        // Every hash is compared in full, as time_independent_strcmp does: timing tells nothing about which matched.
        foreach (var candidate in _passwords)
            match |= CryptographicOperations.FixedTimeEquals(hash, Encoding.ASCII.GetBytes(candidate));
        return match;
    }

    /// <summary>
    /// ACLCheckAllUserCommandPerm: None when one selector allows the command; else the refusal to report: the command
    /// when no selector runs it, else the key or channel refused at the last position.
    /// </summary>
    public AclDenial Check(CommandSpec spec, byte[][] args, out int position)
    {
        position = 0;
        var denial = AclDenial.Command;
        List<(int, KeyAccess)>? keys = null;
        foreach (var selector in _selectors)
        {
            var result = selector.Check(spec, args, ref keys, out int at);
            if (result == AclDenial.None) return AclDenial.None;
            if (result > denial || (result == denial && at > position))
            {
                denial = result;
                position = at;
            }
        }
        return denial;
    }

    /// <summary>ACLUserCheckChannelPerm: some selector allows the channel (or the pattern, literally).</summary>
    public bool MayUseChannel(ReadOnlySpan<byte> channel, bool isPattern)
    {
        foreach (var selector in _selectors)
            if (selector.MayUseChannel(channel, isPattern)) return true;
        return false;
    }

    /// <summary>ACLDescribeUser: flags, password hashes, the root selector's rules, then the other selectors in parentheses.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        foreach (var flag in Flags) text.Append(flag).Append(' ');
        foreach (var hash in _passwords) text.Append('#').Append(hash).Append(' ');
        text.Append(Root.Describe());
        foreach (var selector in _selectors.Skip(1)) text.Append(" (").Append(selector.Describe()).Append(')');
        return text.ToString();
    }

    /// <summary>The user's flags in ACLUserFlags' order: on|off, nopass, skip-sanitize-payload|sanitize-payload.</summary>
    public IEnumerable<string> Flags
    {
        get
        {
            yield return Enabled ? "on" : "off";
            if (NoPass) yield return "nopass";
            if (Sanitizing == PayloadSanitizing.Skip) yield return "skip-sanitize-payload";
            if (Sanitizing == PayloadSanitizing.Sanitize) yield return "sanitize-payload";
        }
    }
}
