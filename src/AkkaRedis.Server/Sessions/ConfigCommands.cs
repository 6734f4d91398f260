using System.Globalization;
using System.Text;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Server.Sessions;

/// <summary>
/// CONFIG GET / SET / RESETSTAT / REWRITE / HELP. Only parameters this server really has are listed, and
/// CONFIG SET changes only those it applies at run time; the others take only the value they have (a no-op, as Redis
/// tools and tests set every parameter to its current value) and otherwise answer Redis's "immutable" error.
/// </summary>
public static class ConfigCommands
{
    /// <summary>A parameter: its value as CONFIG GET shows it, and (when mutable) how to apply a new value (null = ok, else the reason).</summary>
    /// <param name="Hidden">A testing knob, as Redis's HIDDEN_CONFIG: CONFIG GET finds it by its exact name only.</param>
    /// <param name="StartOnly">Set from redis.conf or the command line only; immutable to CONFIG SET (Redis's IMMUTABLE_CONFIG).</param>
    private sealed record Parameter(string Name, Func<ServerConfig, string> Get, Func<ServerConfig, string, string?>? Set = null, string? Alias = null,
        bool Hidden = false, bool StartOnly = false);

    private static readonly string[] Policies =
        ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"];
    private static readonly string[] LogLevels = ["debug", "verbose", "notice", "warning", "nothing"];
    private static readonly string[] FsyncPolicies = ["always", "everysec", "no"];
    private static readonly string[] YesNoValues = ["yes", "no"];

    private static readonly Parameter[] Parameters =
    [
        new("bind", c => c.Bind),
        new("port", c => c.Port.ToString(CultureInfo.InvariantCulture)),
        new("databases", c => c.Databases.ToString(CultureInfo.InvariantCulture)),
        // Redis's start-up-only parameters, as this server has them: it never daemonizes, writes no pid file, logs to
        // standard output and listens on no Unix socket. Setting them to anything else is "can't set immutable config".
        new("daemonize", _ => "no"),
        new("supervised", _ => "no"),
        new("pidfile", c => c.PidFile, (c, v) => Apply(() => c.PidFile = v), StartOnly: true),
        new("logfile", c => c.LogFile, (c, v) => Apply(() => c.LogFile = v), StartOnly: true),
        new("always-show-logo", c => YesNo(c.AlwaysShowLogo), (c, v) => SetYesNo(v, yes => c.AlwaysShowLogo = yes), StartOnly: true),
        new("protected-mode", c => YesNo(c.ProtectedMode), (c, v) => SetYesNo(v, yes => c.ProtectedMode = yes)),
        new("rdbcompression", c => YesNo(c.RdbCompression), (c, v) => SetYesNo(v, yes => c.RdbCompression = yes)),
        new("no-appendfsync-on-rewrite", c => YesNo(c.NoAppendFsyncOnRewrite), (c, v) => SetYesNo(v, yes => c.NoAppendFsyncOnRewrite = yes)),
        Inert("activerehashing", "yes", YesNoValues),
        Inert("replica-serve-stale-data", "yes", YesNoValues, Alias: "slave-serve-stale-data"),
        Inert("repl-diskless-sync-delay", "5", null),
        Inert("propagation-error-behavior", "ignore", ["ignore", "panic", "panic-on-replicas"]),
        Inert("enable-protected-configs", "no", ["yes", "no", "local"], StartOnly: true),
        Inert("enable-module-command", "no", ["yes", "no", "local"], StartOnly: true),
        new("unixsocket", c => c.UnixSocket, (c, v) => Apply(() => c.UnixSocket = v), StartOnly: true),
        new("unixsocketperm", c => Convert.ToString(c.UnixSocketPerm, 8), (c, v) => SetOctal(v, n => c.UnixSocketPerm = n), StartOnly: true),
        new("enable-debug-command", c => c.EnableDebugCommand),
        new("shards", c => c.Shards.ToString(CultureInfo.InvariantCulture)),
        new("io-threads", c => c.IoThreads.ToString(CultureInfo.InvariantCulture)),
        new("dir", c => Path.GetFullPath(c.Dir)),
        new("appendonly", c => c.AppendOnly ? "yes" : "no", SetAppendOnly),
        new("appendfsync", c => c.AppendFsync, (c, v) => SetEnum(v, FsyncPolicies, s => c.AppendFsync = s)),
        new("appendfilename", c => c.AppendFilename),
        new("appenddirname", c => c.AppendDirName),
        new("dbfilename", c => c.DbFilename),
        new("aof-load-truncated", c => c.AofLoadTruncated ? "yes" : "no"),
        new("aof-use-rdb-preamble", c => c.AofUseRdbPreamble ? "yes" : "no", (c, v) => SetYesNo(v, yes => c.AofUseRdbPreamble = yes)),
        new("auto-aof-rewrite-percentage", c => c.AutoAofRewritePercentage.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.AutoAofRewritePercentage = n)),
        new("auto-aof-rewrite-min-size", c => c.AutoAofRewriteMinSize.ToString(CultureInfo.InvariantCulture), (c, v) => SetMemory(v, 0, n => c.AutoAofRewriteMinSize = n)),
        new("maxclients", c => c.MaxClients.ToString(CultureInfo.InvariantCulture)),
        new("maxmemory", c => c.MaxMemory.ToString(CultureInfo.InvariantCulture), (c, v) => SetMemory(v, 0, n => c.MaxMemory = n)),
        new("repl-backlog-size", c => c.ReplBacklogSize.ToString(CultureInfo.InvariantCulture), (c, v) => SetMemory(v, 1, n => c.ReplBacklogSize = n)),
        new("maxmemory-samples", c => c.MaxMemorySamples.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 1, 64, n => c.MaxMemorySamples = n)),
        new("save", c => c.Save.ToString(), (c, v) => SavePoints.TryParse(v, out var points) ? Apply(() => c.Save = points) : "Invalid save parameters"),
        new("shutdown-on-sigterm", c => c.ShutdownOnSigterm, (c, v) => SetShutdownFlags(v, flags => c.ShutdownOnSigterm = flags)),
        new("shutdown-on-sigint", c => c.ShutdownOnSigint, (c, v) => SetShutdownFlags(v, flags => c.ShutdownOnSigint = flags)),
        new("cluster-enabled", _ => "no"),
        new("replica-read-only", _ => "yes", Alias: "slave-read-only"),
        // The master this server replicates: none, ever (it is never a replica).
        new("replicaof", _ => "", Alias: "slaveof"),
        new("min-replicas-to-write", c => c.MinReplicasToWrite.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.MinReplicasToWrite = n), Alias: "min-slaves-to-write"),
        new("min-replicas-max-lag", c => c.MinReplicasMaxLag.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.MinReplicasMaxLag = n), Alias: "min-slaves-max-lag"),
        new("hz", c => c.Hz.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.Hz = n)),
        new("proto-max-bulk-len", c => c.ProtoMaxBulkLen.ToString(CultureInfo.InvariantCulture), (c, v) =>
        {
            if (!Args.TryMemory(v, out long bytes)) return "argument must be a memory value";
            if (bytes < 1024 * 1024) return "argument must be between 1048576 and 9223372036854775807 inclusive";
            c.ProtoMaxBulkLen = bytes;
            return null;
        }),
        new("hll-sparse-max-bytes", c => c.HllSparseMaxBytes.ToString(CultureInfo.InvariantCulture), (c, v) =>
        {
            if (!Args.TryMemory(v, out long bytes)) return "argument must be a memory value";
            if (bytes < 0) return "argument must be between 0 and 9223372036854775807 inclusive";
            c.HllSparseMaxBytes = (int)Math.Min(bytes, int.MaxValue);
            return null;
        }),
        new("latency-tracking", c => c.LatencyTracking ? "yes" : "no", (c, v) => SetYesNo(v, yes => c.LatencyTracking = yes)),
        new("latency-tracking-info-percentiles", c => string.Join(' ', c.LatencyTrackingInfoPercentiles.Select(p => p.ToString(CultureInfo.InvariantCulture))),
            (c, v) => SetPercentiles(v, p => c.LatencyTrackingInfoPercentiles = p)),
        new("notify-keyspace-events", c => KeyspaceEvents.Format(c.NotifyKeyspaceEvents), (c, v) =>
        {
            if (KeyspaceEvents.Parse(v) is not { } flags) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
            c.NotifyKeyspaceEvents = flags;
            return null;
        }),
        new("maxmemory-policy", c => c.MaxMemoryPolicy, (c, v) => SetEnum(v, Policies, s => c.MaxMemoryPolicy = s)),
        new("lfu-log-factor", c => c.LfuLogFactor.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.LfuLogFactor = n)),
        new("lfu-decay-time", c => c.LfuDecayTime.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.LfuDecayTime = n)),
        new("hash-max-listpack-entries", c => c.HashMaxListpackEntries.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.HashMaxListpackEntries = n), Alias: "hash-max-ziplist-entries"),
        new("hash-max-listpack-value", c => c.HashMaxListpackValue.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.HashMaxListpackValue = n), Alias: "hash-max-ziplist-value"),
        new("set-max-intset-entries", c => c.SetMaxIntsetEntries.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.SetMaxIntsetEntries = n)),
        new("zset-max-listpack-entries", c => c.ZsetMaxListpackEntries.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.ZsetMaxListpackEntries = n), Alias: "zset-max-ziplist-entries"),
        new("zset-max-listpack-value", c => c.ZsetMaxListpackValue.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.ZsetMaxListpackValue = n), Alias: "zset-max-ziplist-value"),
        new("stream-node-max-entries", c => c.StreamNodeMaxEntries.ToString(CultureInfo.InvariantCulture), (c, v) => SetLong(v, 0, long.MaxValue, n => c.StreamNodeMaxEntries = (int)Math.Min(n, int.MaxValue))),
        new("stream-node-max-bytes", c => c.StreamNodeMaxBytes.ToString(CultureInfo.InvariantCulture), (c, v) => SetMemory(v, 0, n => c.StreamNodeMaxBytes = n)),
        new("list-max-listpack-size", c => c.ListMaxListpackSize.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, int.MinValue, int.MaxValue, n => c.ListMaxListpackSize = n), Alias: "list-max-ziplist-size"),
        new("list-compress-depth", c => c.ListCompressDepth.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.ListCompressDepth = n)),
        new("slowlog-log-slower-than", c => c.SlowlogLogSlowerThan.ToString(CultureInfo.InvariantCulture), (c, v) => SetLong(v, long.MinValue, long.MaxValue, n => c.SlowlogLogSlowerThan = n)),
        new("client-output-buffer-limit", c => c.OutputBufferLimits.ToString(), (c, v) =>
            c.OutputBufferLimits.With(v, out var error) is { } limits ? Apply(() => c.OutputBufferLimits = limits) : error),
        new("tracking-table-max-keys", c => c.TrackingTableMaxKeys.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.TrackingTableMaxKeys = n)),
        new("latency-monitor-threshold", c => c.LatencyMonitorThreshold.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.LatencyMonitorThreshold = n)),
        new("slowlog-max-len", c => c.SlowlogMaxLen.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.SlowlogMaxLen = n)),
        new("timeout", c => c.Timeout.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.Timeout = n)),
        new("requirepass", c => c.RequirePass, (c, v) => Apply(() => c.RequirePass = v)),
        new("aclfile", c => c.AclFile),
        new("key-load-delay", c => c.KeyLoadDelay.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, int.MinValue, int.MaxValue, n => c.KeyLoadDelay = n), Hidden: true),
        new("rdb-key-save-delay", c => c.RdbKeySaveDelay.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, int.MinValue, int.MaxValue, n => c.RdbKeySaveDelay = n), Hidden: true),
        new("acllog-max-len", c => c.AclLogMaxLen.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.AclLogMaxLen = n)),
        new("acl-pubsub-default", c => c.AclPubsubDefault, (c, v) => SetEnum(v, ["allchannels", "resetchannels"], s => c.AclPubsubDefault = s)),
        new("busy-reply-threshold", c => c.BusyReplyThreshold.ToString(CultureInfo.InvariantCulture), (c, v) => SetInt(v, 0, int.MaxValue, n => c.BusyReplyThreshold = n), Alias: "lua-time-limit"),
        new("loglevel", c => c.LogLevel, (c, v) => SetEnum(v, LogLevels, s => c.LogLevel = s)),
    ];

    private static string YesNo(bool yes) => yes ? "yes" : "no";

    /// <summary>
    /// A parameter kept as set that changes nothing here (<see cref="ServerConfig.InertParameters"/>): one of
    /// <paramref name="allowed"/>, or a non-negative integer when that is null.
    /// </summary>
    private static Parameter Inert(string name, string initial, string[]? allowed, string? Alias = null, bool StartOnly = false) =>
        new(name, c => c.InertParameters.GetValueOrDefault(name, initial), (c, v) =>
        {
            void Keep(string value) => c.InertParameters = c.InertParameters.SetItem(name, value);
            if (allowed == null) return SetInt(v, 0, int.MaxValue, n => Keep(n.ToString(CultureInfo.InvariantCulture)));
            return allowed == YesNoValues ? SetYesNo(v, yes => Keep(YesNo(yes))) : SetEnum(v, allowed, Keep);
        }, Alias, StartOnly: StartOnly);

    private static Parameter? Find(string name) => Parameters.FirstOrDefault(p =>
        string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase) || string.Equals(p.Alias, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>True when <paramref name="name"/> is a parameter CONFIG knows (it may then be a redis.conf directive).</summary>
    public static bool IsParameter(string name) => Find(name) != null;

    /// <summary>
    /// Sets a parameter from redis.conf or the command line, before the server starts: as CONFIG SET would, and also those
    /// only settable at start. Null, or the reason it cannot.
    /// </summary>
    public static string? SetAtStart(ServerConfig config, string name, string value)
    {
        var parameter = Find(name) ?? throw new ArgumentException($"not a parameter: {name}", nameof(name));
        if (parameter.Set != null) return parameter.Set(config, value);
        var fixedValue = parameter.Get(config);
        return string.Equals(value, fixedValue, StringComparison.OrdinalIgnoreCase) ? null : $"'{parameter.Name}' can only be '{fixedValue}' here";
    }

    public static void Register(SessionCommandTable table)
    {
        table.Add("config|get", Get);
        table.Add("config|set", Set);
        table.Add("config|rewrite", Rewrite);
        table.Add("config|help", c => HelpText.Write(c.Reply,
        [
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ]));
    }

    private static void Get(SessionContext c)
    {
        var found = new List<(string Name, string Value)>();
        for (int i = 2; i < c.Argc; i++)
        {
            var pattern = c[i];
            // An alias is a name of its own to CONFIG GET: "list-*" lists both list-max-ziplist-size and list-max-listpack-size.
            foreach (var p in Parameters)
            foreach (var name in p.Alias == null ? [p.Name] : new[] { p.Name, p.Alias })
            {
                var nameBytes = Encoding.ASCII.GetBytes(name);
                bool matches = p.Hidden ? Ascii.EqualsIgnoreCase(pattern, nameBytes) : Glob.Match(pattern, nameBytes, noCase: true);
                if (matches && !found.Any(f => f.Name == name))
                    found.Add((name, p.Get(c.Services.Config)));
            }
        }
        c.Reply.WriteMapHeader(found.Count);
        foreach (var (name, value) in found)
        {
            c.Reply.WriteBulk(name);
            c.Reply.WriteBulk(value);
        }
    }

    private static void Set(SessionContext c)
    {
        if (c.Argc % 2 != 0)
        {
            c.Error(RespErrors.WrongArgs("config|set"));
            return;
        }
        var changes = new List<(Parameter Parameter, string Value, string Given)>();
        var named = new HashSet<Parameter>();
        for (int i = 2; i < c.Argc; i += 2)
        {
            var given = Encoding.UTF8.GetString(c[i]);
            var parameter = Find(given);
            if (parameter == null)
            {
                c.Error($"ERR Unknown option or number of arguments for CONFIG SET - '{given}'");
                return;
            }
            // A parameter this server cannot change at run time may still be "set" to the value it has: nothing changes.
            var value = Encoding.UTF8.GetString(c[i + 1]);
            bool immutable = parameter.Set == null || parameter.StartOnly;
            if (immutable && !string.Equals(value, parameter.Get(c.Services.Config), StringComparison.OrdinalIgnoreCase))
            {
                c.Error($"ERR CONFIG SET failed (possibly related to argument '{given}') - can't set immutable config");
                return;
            }
            if (!named.Add(parameter))
            {
                c.Error($"ERR CONFIG SET failed (possibly related to argument '{given}') - duplicate parameter");
                return;
            }
            if (!immutable) changes.Add((parameter, value, given));
        }
        // All or nothing, as Redis 7: validate every value on a copy of the live configuration first (so a value that may
        // change only from some states, as appendonly, is judged by the state there is), then apply them all.
        var trial = c.Services.Config.Copy();
        foreach (var (parameter, value, given) in changes)
        {
            var problem = parameter.Set!(trial, value);
            if (problem != null)
            {
                c.Error($"ERR CONFIG SET failed (possibly related to argument '{given}') - {problem}");
                return;
            }
        }
        bool appendOnlyBefore = c.Services.Config.AppendOnly;
        foreach (var (parameter, value, _) in changes)
        {
            parameter.Set!(c.Services.Config, value);
            System.Collections.Immutable.ImmutableInterlocked.Update(ref c.Services.Config.ChangedAtRunTime, names => names.Add(parameter.Name));
            // requirepass is the default user's password (ACLUpdateDefaultUserPassword), set when it is set.
            if (parameter.Name == "requirepass") c.Services.State.Acl.SetDefaultPassword(value);
        }
        // stopAppendOnly kills a rewrite that is running; here its background part stops and installs nothing.
        if (appendOnlyBefore && !c.Services.Config.AppendOnly && c.Services.State.Aof?.AbandonRewrite() == true)
            Console.WriteLine("Killing running AOF rewrite child: the background rewrite stops and its new base is dropped");
        // startAppendOnly's words: the rewrite that starts the AOF runs from the server's cron, after the transaction.
        if (c.InExec && !appendOnlyBefore && c.Services.Config.AppendOnly)
            Console.WriteLine("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.");
        c.Reply.WriteOk();
    }

    /// <summary>
    /// CONFIG REWRITE (rewriteConfig): the configuration file gets the parameters' values now. A parameter's lines are
    /// replaced by one line with its value, where the first of them was; one the file did not name is added at the end
    /// if CONFIG SET changed it; comments, blank lines and includes stay. Replaced whole (temporary file, fsync, rename),
    /// as rewriteConfigOverwriteFile does.
    /// </summary>
    private static void Rewrite(SessionContext c)
    {
        if (RewriteFile(c.Services.Config, forceAll: false) is { } error) c.Error(error);
        else c.Reply.WriteOk();
    }

    /// <summary>
    /// Rewrites the configuration file (see <see cref="Rewrite"/>); with <paramref name="forceAll"/> (DEBUG
    /// CONFIG-REWRITE-FORCE-ALL) every parameter but the hidden ones is written, changed or not. Null, or the error.
    /// </summary>
    public static string? RewriteFile(ServerConfig config, bool forceAll)
    {
        if (config.ConfigFile is not { } path) return "ERR The server is running without a config file";
        try
        {
            var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : [];
            var written = new HashSet<Parameter>();
            var output = new List<string>();
            foreach (var line in lines)
            {
                var words = line.TrimStart().StartsWith('#') ? null : ConfigFile.SplitArgs(line.Trim());
                if (words is not { Count: > 0 } || Find(words[0]) is not { } parameter)
                {
                    output.Add(line);
                    continue;
                }
                if (written.Add(parameter)) output.Add(Line(parameter, config));
            }
            var added = Parameters.Where(p => !written.Contains(p) && (forceAll ? !p.Hidden : config.ChangedAtRunTime.Contains(p.Name))).ToList();
            if (added.Count > 0)
            {
                output.Add("# Generated by CONFIG REWRITE");
                output.AddRange(added.Select(p => Line(p, config)));
            }
            Persistence.AofFiles.ReplaceAtomically(path, Encoding.UTF8.GetBytes(string.Join('\n', output) + "\n"));
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"ERR Rewriting config file: {e.Message}";
        }
    }

    /// <summary>A parameter's line in a configuration file: its name and value, quoted when the value needs it.</summary>
    private static string Line(Parameter parameter, ServerConfig config)
    {
        var value = parameter.Get(config);
        // Several words (save's numbers, latency-tracking-info-percentiles) stay several arguments, as Redis writes them.
        bool plain = value.Length > 0 && value.All(ch => ch >= ' ' && ch <= '~' && ch != '"' && ch != '\'' && ch != '\\');
        return $"{parameter.Name} {(plain ? value : ConfigFile.Quote(value))}";
    }

    /// <summary>An octal number, as unixsocketperm is written (700).</summary>
    private static string? SetOctal(string value, Action<int> apply)
    {
        try
        {
            int n = Convert.ToInt32(value, 8);
            if (n is < 0 or > 511) return "argument must be between 0 and 777 (octal)";
            apply(n);
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            return "argument couldn't be parsed into an integer";
        }
    }

    private static string? SetInt(string value, long min, long max, Action<int> apply) => SetLong(value, min, max, n => apply((int)n));

    private static string? SetLong(string value, long min, long max, Action<long> apply)
    {
        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
            return "argument couldn't be parsed into an integer";
        if (n < min || n > max) return $"argument must be between {min} and {max} inclusive";
        apply(n);
        return null;
    }

    /// <summary>A memory value (100mb, 1gb) of at least <paramref name="min"/> bytes.</summary>
    private static string? SetMemory(string value, long min, Action<long> apply)
    {
        if (!Args.TryMemory(value, out long bytes) || bytes < min) return "argument must be a memory value";
        apply(bytes);
        return null;
    }

    private static string? SetShutdownFlags(string value, Action<string> apply)
    {
        if (ShutdownFlags.Parse(value, out var error) is not { } flags) return error;
        apply(flags);
        return null;
    }

    private static string? Apply(Action apply)
    {
        apply();
        return null;
    }

    /// <summary>Numbers from 0 to 100, blank-separated (setConfigLatencyTrackingInfoPercentilesOutputOption).</summary>
    private static string? SetPercentiles(string value, Action<double[]> apply)
    {
        var words = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var percentiles = new double[words.Length];
        for (int i = 0; i < words.Length; i++)
        {
            if (!double.TryParse(words[i], NumberStyles.Float, CultureInfo.InvariantCulture, out percentiles[i]) || double.IsNaN(percentiles[i]))
                return "Invalid latency-tracking-info-percentiles parameters";
            if (percentiles[i] is < 0 or > 100) return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
        }
        apply(percentiles);
        return null;
    }

    /// <summary>
    /// appendonly on a single node: no stops journaling, yes starts it (again) after a rewrite (the server's cron runs it,
    /// as Redis's startAppendOnly does), also on a server started with appendonly no, whose journal waited dormant.
    /// A cluster node's shared journal is there from the start or not at all.
    /// </summary>
    private static string? SetAppendOnly(ServerConfig config, string value)
    {
        if (!TryYesNo(value, out bool yes)) return YesNoExpected;
        if (yes == config.AppendOnly) return null;
        if (!config.AofJournalOpen) return "can't set immutable config";
        config.AppendOnly = yes;
        if (yes) Interlocked.Increment(ref config.AppendOnlyTurnedOn);
        return null;
    }

    /// <summary>A boolean parameter: yes or no in any case (yesnotoi), with Redis's words for anything else.</summary>
    private static string? SetYesNo(string value, Action<bool> apply)
    {
        if (!TryYesNo(value, out bool yes)) return YesNoExpected;
        apply(yes);
        return null;
    }

    private const string YesNoExpected = "argument must be 'yes' or 'no'";

    private static bool TryYesNo(string value, out bool yes)
    {
        yes = value.Equals("yes", StringComparison.OrdinalIgnoreCase);
        return yes || value.Equals("no", StringComparison.OrdinalIgnoreCase);
    }

    private static string? SetEnum(string value, string[] allowed, Action<string> apply)
    {
        var lower = value.ToLowerInvariant();
        if (!allowed.Contains(lower)) return "argument(s) must be one of the following: " + string.Join(", ", allowed);
        apply(lower);
        return null;
    }

}
