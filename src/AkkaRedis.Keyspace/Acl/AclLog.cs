namespace AkkaRedis.Keyspace.Acl;

/// <summary>Where a refused command came from (ACL_LOG_CTX_*).</summary>
public enum AclLogContext
{
    Toplevel,
    Multi,
    Lua,
}

/// <summary>
/// ACL LOG's entries (acl.c addACLLogEntry): newest first, at most acllog-max-len of them; a refusal like one of the
/// last ten (same reason, context, object and user, within a minute) bumps its count instead of adding an entry.
/// Written only when a command is refused, under a lock no allowed command takes.
/// </summary>
public sealed class AclLog(Server.ServerConfig config)
{
    private const long GroupingMs = 60_000;
    private const int GroupingScan = 10;

    public sealed class Entry(AclDenial reason, AclLogContext context, string target, string user, long timeMs, string clientInfo)
    {
        public long Count { get; internal set; } = 1;
        public AclDenial Reason { get; } = reason;
        public AclLogContext Context { get; } = context;
        /// <summary>The command, key, channel, or (for AUTH) the command name the client sent.</summary>
        public string Target { get; } = target;
        public string User { get; } = user;
        public long TimeMs { get; internal set; } = timeMs;
        public string ClientInfo { get; internal set; } = clientInfo;

        public string ReasonName => Reason switch
        {
            AclDenial.Command => "command",
            AclDenial.Key => "key",
            AclDenial.Channel => "channel",
            AclDenial.Auth => "auth",
            _ => "unknown",
        };

        public string ContextName => Context switch
        {
            AclLogContext.Toplevel => "toplevel",
            AclLogContext.Multi => "multi",
            _ => "lua",
        };
    }

    private readonly object _lock = new();
    private readonly LinkedList<Entry> _entries = new();

    public void Add(AclDenial reason, AclLogContext context, string target, string user, long nowMs, string clientInfo)
    {
        lock (_lock)
        {
            int scanned = 0;
            for (var node = _entries.First; node != null && scanned < GroupingScan; node = node.Next, scanned++)
            {
                var entry = node.Value;
                if (entry.Reason != reason || entry.Context != context || Math.Abs(entry.TimeMs - nowMs) > GroupingMs ||
                    entry.Target != target || entry.User != user) continue;
                entry.Count++;
                entry.TimeMs = nowMs;
                entry.ClientInfo = clientInfo;
                _entries.Remove(node);
                _entries.AddFirst(node);
                return;
            }
            _entries.AddFirst(new Entry(reason, context, target, user, nowMs, clientInfo));
            while (_entries.Count > config.AclLogMaxLen) _entries.RemoveLast();
        }
    }

    public void Reset()
    {
        lock (_lock) _entries.Clear();
    }

    /// <summary>The newest <paramref name="count"/> entries, as (count, time, client info) stand now.</summary>
    public List<(Entry Entry, long Count, long TimeMs, string ClientInfo)> Newest(long count)
    {
        lock (_lock) return _entries.Take((int)Math.Min(count, int.MaxValue)).Select(e => (e, e.Count, e.TimeMs, e.ClientInfo)).ToList();
    }
}
