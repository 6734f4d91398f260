using System.Globalization;
using Akka.Configuration;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Server.Sessions;

namespace AkkaRedis.Server;

/// <summary>
/// Settings: hocon/akkaredis.conf holds every default; redis-server style flags (--port 6380 --appendonly yes)
/// override them. The result is both the HOCON the actor system starts with and the typed <see cref="ServerConfig"/>.
/// </summary>
public static class ServerOptions
{
    /// <summary>Flag name → what it sets, for --help.</summary>
    public static readonly (string Flag, string Meaning)[] Flags =
    [
        ("bind", "address to listen on (default 127.0.0.1)"),
        ("port", "TCP port (default 6379)"),
        ("shards", "number of KeyspaceShard actors (default: the number of cores)"),
        ("databases", "number of databases (default 16)"),
        ("io-threads", "socket threads that read, run and answer requests (default 0: half the cores, at least 1)"),
        ("notify-keyspace-events", "the classes of keyspace notification to publish, as in redis.conf (KEA: all; default \"\": none)"),
        ("enable-debug-command", "yes|local|no: who may run DEBUG: everyone, loopback connections only, no one (default local)"),
        ("jit-warm-up", "yes|no: run the request path on a private keyspace before listening, so the first clients meet compiled code (default yes)"),
        ("dir", "working directory for data files (default .)"),
        ("appendonly", "yes|no: journal every write to the append-only file"),
        ("appendfsync", "always|everysec|no: when the journal is fsynced"),
        ("appenddirname", "directory under --dir holding the AOF files (default appendonlydir)"),
        ("appendfilename", "base name of the AOF files (default appendonly.aof)"),
        ("dbfilename", "file under --dir that SAVE and BGSAVE write, loaded at start when appendonly is no (default dump.rdb)"),
        ("aof-load-truncated", "yes|no: start when the AOF ends in a cut-off command, dropping it (default yes)"),
        ("aof-use-rdb-preamble", "yes|no: a rewrite writes the AOF's base as an RDB file (default no: as commands)"),
        ("aof-load-damaged", "yes|no: start when the AOF is damaged elsewhere, loading up to the damage (default no)"),
        ("auto-aof-rewrite-percentage", "rewrite the AOF when it grew by this percentage since the last rewrite (0: never)"),
        ("auto-aof-rewrite-min-size", "... and is at least this large (default 64mb)"),
        ("cluster-port", "cluster mode: the port other nodes reach this one on (default 0: no cluster)"),
        ("cluster-hostname", "the host other nodes and cluster clients reach this node by (default: the bind address)"),
        ("cluster-seed", "comma-separated host:port cluster ports of nodes to join"),
        ("cluster-announce-ip", "the address cluster clients are told for this node, when not cluster-hostname (NAT, Docker)"),
        ("cluster-announce-port", "the client port cluster clients are told for this node, when not port (default 0: port)"),
        ("cluster-journal", "PostgreSQL connection string of the shared journal (cluster mode with appendonly yes)"),
        ("timeout", "close a client idle for this many seconds (default 0: never)"),
        ("requirepass", "password clients must give with AUTH (or HELLO ... AUTH default <password>); empty: none (default)"),
        ("aclfile", "file of ACL users (lines \"user <name> <rules>\"), loaded at start, by ACL LOAD, and written by ACL SAVE (default \"\": none)"),
        ("acllog-max-len", "entries ACL LOG keeps (default 128)"),
        ("key-load-delay", "microseconds loading waits after each key or AOF command (a testing knob, as Redis's; negative: 1 in that many; default 0)"),
        ("acl-pubsub-default", "allchannels|resetchannels: the channels a new ACL user may use (default resetchannels: none)"),
        ("save", "\"seconds changes ...\": BGSAVE by itself when that many changes are that old (default \"\": never)"),
        ("hz", "background task frequency: active expiry runs hz times a second (default 10)"),
        ("proto-max-bulk-len", "largest accepted bulk string (default 512mb)"),
        ("maxclients", "most simultaneous connections (default 10000)"),
        ("maxmemory", "bytes (100mb, 1gb): past this estimate of the dataset, keys are evicted by maxmemory-policy; 0 for no limit"),
        ("maxmemory-policy", "noeviction|allkeys-lru|allkeys-lfu|allkeys-random|volatile-lru|volatile-lfu|volatile-random|volatile-ttl"),
        ("maxmemory-samples", "keys sampled per eviction (default 5)"),
        ("lfu-log-factor", "LFU counter logarithm factor (default 10)"),
        ("lfu-decay-time", "LFU counter decay in minutes (default 1)"),
        ("loglevel", "debug|verbose|notice|warning|nothing (default notice)"),
    ];

    public sealed class UsageException(string message) : Exception(message);

    /// <summary>What a command line sets: the settings the actor system starts with, and the other CONFIG parameters.</summary>
    /// <param name="Overrides">HOCON overrides under akkaredis, of the settings in <see cref="Flags"/>.</param>
    /// <param name="Parameters">Directives of other CONFIG parameters, for <see cref="ApplyParameters"/>.</param>
    /// <param name="ConfigFilePath">The configuration file it named, if any.</param>
    /// <param name="Users">redis.conf's user directives: a name, then its ACL rules.</param>
    public sealed record CommandLine(Config Overrides, List<ConfigFile.Directive> Parameters, string? ConfigFilePath, List<string[]> Users);

    /// <summary>
    /// Reads a redis-server command line: a configuration file (redis.conf) and/or --options, as directives
    /// (<see cref="ConfigFile"/>). Each is a setting of hocon/akkaredis.conf (<see cref="Flags"/>) or a CONFIG parameter;
    /// anything else is refused as Redis refuses it. Several save directives add up, as in redis.conf ("" clears them).
    /// </summary>
    public static CommandLine ParseCommandLine(string[] args)
    {
        var (directives, path) = ConfigFile.FromCommandLine(args);
        var lines = new List<string>();
        var parameters = new List<ConfigFile.Directive>();
        var users = new List<string[]>();
        string save = "";
        foreach (var directive in directives)
        {
            // save with nothing after it (as save "") clears the save points, as setConfigSaveOption does.
            if (directive.Args.Length == 0 && directive.Name != "save") throw BadDirective(directive);
            var value = string.Join(' ', directive.Args);
            if (Flags.Any(f => f.Flag == directive.Name))
            {
                if (directive.Name == "save") value = save = value.Length == 0 || save.Length == 0 ? value : save + " " + value;
                lines.Add($"akkaredis.{directive.Name} = \"{Escape(value)}\"");
            }
            else if (ConfigCommands.IsParameter(directive.Name)) parameters.Add(directive);
            else if (directive.Name == "user")
            {
                if (users.Any(user => user[0] == directive.Args[0]))
                    throw new ConfigFile.ConfigException($"Error in user declaration '{directive.Args[0]}': Duplicate user found. " +
                                                         "A user can only be defined once in config files", directive.Line, directive.Text);
                users.Add(directive.Args);
            }
            else throw BadDirective(directive);
        }
        return new CommandLine(ConfigurationFactory.ParseString(string.Join("\n", lines)), parameters, path, users);
    }

    private static ConfigFile.ConfigException BadDirective(ConfigFile.Directive directive) =>
        new("Bad directive or wrong number of arguments", directive.Line, directive.Text);

    /// <summary>Sets the CONFIG parameters a command line named, as CONFIG SET would (and those only settable at start).</summary>
    public static void ApplyParameters(ServerConfig config, IEnumerable<ConfigFile.Directive> parameters)
    {
        foreach (var directive in parameters)
        {
            if (ConfigCommands.SetAtStart(config, directive.Name, string.Join(' ', directive.Args)) is { } problem)
                throw new ConfigFile.ConfigException(problem, directive.Line, directive.Text);
        }
    }

    public static string Help()
    {
        var text = new System.Text.StringBuilder("Usage: akkaredis-server [/path/to/redis.conf] [--option value ...]\n\n" +
            "Every CONFIG parameter (CONFIG GET *) may be given, in a redis.conf file or as --name value; these are the\n" +
            "settings the server starts with (defaults in hocon/akkaredis.conf):\n");
        foreach (var (flag, meaning) in Flags) text.Append("  --").Append(flag.PadRight(20)).Append(meaning).Append('\n');
        text.Append("  --help                this text\n");
        return text.ToString();
    }

    /// <summary>The typed settings from the merged HOCON, each checked as redis-server checks its config file.</summary>
    public static ServerConfig ToServerConfig(Config hocon)
    {
        var c = hocon.GetConfig("akkaredis");
        int shards = Int(c, "shards");
        int ioThreads = Int(c, "io-threads");
        int clusterPort = Int(c, "cluster-port");
        var config = new ServerConfig
        {
            ClusterPort = clusterPort,
            ClusterHostname = c.GetString("cluster-hostname") is { Length: > 0 } host ? host : c.GetString("bind"),
            ClusterSeeds = c.GetString("cluster-seed").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            ClusterJournal = c.GetString("cluster-journal"),
            ClusterAnnounceIp = c.GetString("cluster-announce-ip"),
            ClusterAnnouncePort = Int(c, "cluster-announce-port"),
            Bind = c.GetString("bind"),
            Port = Int(c, "port"),
            Shards = shards > 0 ? shards : clusterPort > 0 ? ClusterDefaultShards : Environment.ProcessorCount,
            Databases = Int(c, "databases"),
            IoThreads = ioThreads > 0 ? ioThreads : Math.Max(1, Environment.ProcessorCount / 2),
            JitWarmUp = YesNo(c, "jit-warm-up"),
            EnableDebugCommand = OneOf(c, "enable-debug-command", "yes", "local", "no"),
            NotifyKeyspaceEvents = KeyspaceEvents.Parse(c.GetString("notify-keyspace-events"))
                ?? throw new UsageException("notify-keyspace-events takes the characters Ag$lshzxeKEtmdn"),
            Dir = c.GetString("dir"),
            AppendOnly = YesNo(c, "appendonly"),
            AofJournalOpen = clusterPort == 0,
            AppendFsync = OneOf(c, "appendfsync", "always", "everysec", "no"),
            AppendDirName = FileName(c, "appenddirname"),
            AppendFilename = FileName(c, "appendfilename"),
            DbFilename = FileName(c, "dbfilename"),
            AofLoadTruncated = YesNo(c, "aof-load-truncated"),
            AofUseRdbPreamble = YesNo(c, "aof-use-rdb-preamble"),
            AofLoadDamaged = YesNo(c, "aof-load-damaged"),
            AutoAofRewritePercentage = Int(c, "auto-aof-rewrite-percentage"),
            Hz = Int(c, "hz"),
            MaxClients = Int(c, "maxclients"),
            MaxMemorySamples = Int(c, "maxmemory-samples"),
            MaxMemoryPolicy = OneOf(c, "maxmemory-policy", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
            LfuLogFactor = Int(c, "lfu-log-factor"),
            LfuDecayTime = Int(c, "lfu-decay-time"),
            LogLevel = OneOf(c, "loglevel", "debug", "verbose", "notice", "warning", "nothing"),
        };
        if (!Keyspace.Commands.Args.TryMemory(c.GetString("proto-max-bulk-len"), out long bulk) || bulk < 1024 * 1024)
            throw new UsageException("proto-max-bulk-len must be a memory value of at least 1mb");
        config.ProtoMaxBulkLen = bulk;
        if (!Keyspace.Commands.Args.TryMemory(c.GetString("auto-aof-rewrite-min-size"), out long minSize) || minSize < 0)
            throw new UsageException("auto-aof-rewrite-min-size must be a memory value");
        config.AutoAofRewriteMinSize = minSize;
        if (!Keyspace.Commands.Args.TryMemory(c.GetString("maxmemory"), out long maxMemory) || maxMemory < 0)
            throw new UsageException("maxmemory must be a memory value");
        config.MaxMemory = maxMemory;
        config.RequirePass = c.GetString("requirepass");
        config.AclFile = c.GetString("aclfile");
        config.AclLogMaxLen = Int(c, "acllog-max-len");
        config.KeyLoadDelay = Int(c, "key-load-delay");
        if (config.AclLogMaxLen < 0) throw new UsageException("acllog-max-len must be at least 0");
        config.AclPubsubDefault = OneOf(c, "acl-pubsub-default", "allchannels", "resetchannels");
        config.Timeout = Int(c, "timeout");
        if (config.Timeout < 0) throw new UsageException("timeout must be at least 0");
        if (!SavePoints.TryParse(c.GetString("save"), out var savePoints))
            throw new UsageException("save must be pairs of seconds and changes, as \"3600 1 300 100\"");
        config.Save = savePoints;
        if (config.AutoAofRewritePercentage < 0) throw new UsageException("auto-aof-rewrite-percentage must be at least 0");
        if (config.Port is < 0 or > 65535) throw new UsageException("port must be between 0 and 65535");
        if (config.Databases < 1) throw new UsageException("databases must be at least 1");
        if (ioThreads is < 0 or > 128) throw new UsageException("io-threads must be between 0 and 128");
        if (config.Shards > 1024) throw new UsageException("shards must be at most 1024");
        if (config.Cluster)
        {
            if (config.ClusterPort > 65535) throw new UsageException("cluster-port must be between 0 and 65535");
            if (config.ClusterAnnouncePort is < 0 or > 65535) throw new UsageException("cluster-announce-port must be between 0 and 65535");
            if (config.Port == 0) throw new UsageException("cluster mode needs a fixed port: other nodes tell clients where this one is");
            if (config.AppendOnly && config.ClusterJournal.Length == 0)
                throw new UsageException("cluster mode with appendonly yes needs --cluster-journal (a PostgreSQL connection string): " +
                                         "shards that move between nodes recover from it. Use --appendonly no for a cluster in memory");
            foreach (var seed in config.ClusterSeeds)
                if (!TryHostPort(seed, out _, out _)) throw new UsageException($"cluster-seed '{seed}' is not host:port");
        }
        return config;
    }

    /// <summary>Every node of a cluster must agree on the number of shards, so it does not follow the core count there.</summary>
    public const int ClusterDefaultShards = 16;

    private static bool TryHostPort(string text, out string host, out int port)
    {
        int colon = text.LastIndexOf(':');
        host = colon > 0 ? text[..colon] : "";
        port = 0;
        return colon > 0 && int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;
    }

    /// <summary>
    /// Cluster mode's HOCON: hocon/cluster.conf (and persistence-sql.conf for the shared journal) with this node's
    /// address, its seeds, and its client endpoint (carried in a role, so every node can tell clients where it is).
    /// </summary>
    public static Config ClusterConfig(ServerConfig config, string hoconDir)
    {
        var seeds = config.ClusterSeeds.Select(seed =>
        {
            TryHostPort(seed, out var host, out int port);
            return $"\"akka.tcp://{SystemName}@{Escape(host)}:{port}\"";
        });
        var node = ConfigurationFactory.ParseString(
            $"akka.remote.dot-netty.tcp.hostname = \"{Escape(config.ClusterHostname)}\"\n" +
            $"akka.remote.dot-netty.tcp.port = {config.ClusterPort}\n" +
            $"akka.remote.dot-netty.tcp.public-hostname = \"{Escape(config.ClusterHostname)}\"\n" +
            $"akka.cluster.seed-nodes = [{string.Join(", ", seeds)}]\n" +
            $"akka.cluster.roles = [\"{Escape(Cluster.PlacementTracker.ClientRole(config.AnnouncedHost, config.AnnouncedPort))}\"]\n" +
            $"akka.persistence.journal.sql.connection-string = \"{Escape(config.ClusterJournal)}\"\n" +
            $"akka.persistence.snapshot-store.sql.connection-string = \"{Escape(config.ClusterJournal)}\"\n");
        return node
            .WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(hoconDir, "cluster.conf"))))
            .WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(hoconDir, "persistence-sql.conf"))));
    }

    /// <summary>The actor system's name: nodes of one cluster must share it.</summary>
    public const string SystemName = "akkaredis";

    private static int Int(Config c, string key)
    {
        var text = c.GetString(key);
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
            throw new UsageException($"{key} must be an integer, not '{text}'");
        return value;
    }

    /// <summary>A plain file name (redis.conf rejects paths for appendfilename and appenddirname).</summary>
    private static string FileName(Config c, string key)
    {
        var name = c.GetString(key);
        if (name.Length == 0 || name.Contains('/') || name.Contains('\\') || name is "." or "..")
            throw new UsageException($"{key} can't be a path, just a filename");
        return name;
    }

    /// <summary>The journal plugin's section, from the typed settings (the plugin reads only its own section).</summary>
    public static Config JournalConfig(ServerConfig config) => ConfigurationFactory.ParseString(
        "akkaredis.journal {\n" +
        $"  dir = \"{Escape(Path.GetFullPath(config.Dir))}\"\n" +
        $"  appenddirname = \"{Escape(config.AppendDirName)}\"\n" +
        $"  appendfilename = \"{Escape(config.AppendFilename)}\"\n" +
        $"  appendfsync = {config.AppendFsync}\n" +
        $"  aof-load-truncated = {(config.AofLoadTruncated ? "on" : "off")}\n" +
        $"  aof-load-damaged = {(config.AofLoadDamaged ? "on" : "off")}\n" +
        "}");

    private static string Escape(string text) => text.Replace("\\", "\\\\").Replace("\"", "\\\"");

    private static bool YesNo(Config c, string key) => OneOf(c, key, "yes", "no") == "yes";

    private static string OneOf(Config c, string key, params string[] allowed)
    {
        var value = c.GetString(key).ToLowerInvariant();
        if (!allowed.Contains(value)) throw new UsageException($"{key} must be one of {string.Join(", ", allowed)}, not '{value}'");
        return value;
    }
}
