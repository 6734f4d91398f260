namespace AkkaRedis.Keyspace.Server;

/// <summary>
/// The server's settings: read at start-up from HOCON and command-line flags, some changeable with CONFIG SET.
/// Fields read on other threads than the writer's are volatile; none of them is on the per-key data path.
/// </summary>
public sealed class ServerConfig
{
    public string Bind { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 6379;
    public int Shards { get; set; } = Environment.ProcessorCount;
    public int Databases { get; set; } = 16;

    /// <summary>The socket engine's threads (io-threads; 0 in the configuration resolves to half the cores).</summary>
    public int IoThreads { get; set; } = 1;
    /// <summary>jit-warm-up: the server runs its request path privately before it listens (see JitWarmUp in the server).</summary>
    public bool JitWarmUp { get; set; }
    public string Dir { get; set; } = ".";
    private volatile bool _appendOnly;

    /// <summary>
    /// appendonly. On a single node started with it, CONFIG SET turns it off (the shards stop journaling at once) and on
    /// again (they journal again from the snapshot of the rewrite that follows, see <see cref="AppendOnlyTurnedOn"/>).
    /// </summary>
    public bool AppendOnly { get => _appendOnly; set => _appendOnly = value; }

    /// <summary>A single node (not a cluster): its AOF journal exists, dormant while appendonly is no, so CONFIG SET appendonly can turn it on.</summary>
    public bool AofJournalOpen { get; set; }

    /// <summary>Counts CONFIG SET appendonly no → yes; the server runs a rewrite for each, as Redis's startAppendOnly does.</summary>
    public int AppendOnlyTurnedOn;
    private volatile string _appendFsync = "everysec";
    /// <summary>appendfsync; CONFIG SET changes it while the server runs (the AOF writer reads it for every group).</summary>
    public string AppendFsync { get => _appendFsync; set => _appendFsync = value; }

    /// <summary>
    /// Under appendfsync always, the longest a shard holds its next write while it waits for the clients it expects back,
    /// so that one fsync serves them all (see KeyspaceShard's gathering). A millisecond: about a timer's resolution, and
    /// far longer than a client takes to send its next command. Not a Redis parameter; tests lengthen it.
    /// </summary>
    public int AofGatherWaitMs { get; set; } = 1;
    public string AppendDirName { get; set; } = "appendonlydir";
    public string AppendFilename { get; set; } = "appendonly.aof";
    public string DbFilename { get; set; } = "dump.rdb";
    public bool AofLoadTruncated { get; set; } = true;

    /// <summary>aof-use-rdb-preamble: a rewrite writes the AOF's base as an RDB file (.base.rdb) rather than as commands.</summary>
    public bool AofUseRdbPreamble { get; set; }
    public bool AofLoadDamaged { get; set; }

    /// <summary>Cluster mode is on when this is not 0: the port Akka.Remote listens on for the other nodes.</summary>
    public int ClusterPort { get; set; }
    /// <summary>The host name other nodes and cluster-aware clients reach this node by.</summary>
    public string ClusterHostname { get; set; } = "127.0.0.1";
    /// <summary>host:port of the nodes to join (this node's own address starts a new cluster).</summary>
    public string[] ClusterSeeds { get; set; } = [];
    /// <summary>PostgreSQL connection string of the shared journal (cluster mode with appendonly yes).</summary>
    public string ClusterJournal { get; set; } = "";
    /// <summary>
    /// The address cluster-aware clients are told to use for this node (CLUSTER SLOTS, MOVED), when it is not
    /// <see cref="ClusterHostname"/>:<see cref="Port"/>: behind NAT or Docker's published ports (Redis's cluster-announce-ip).
    /// </summary>
    public string ClusterAnnounceIp { get; set; } = "";
    /// <summary>The client port announced for this node; 0 means <see cref="Port"/> (Redis's cluster-announce-port).</summary>
    public int ClusterAnnouncePort { get; set; }
    public string AnnouncedHost => ClusterAnnounceIp.Length > 0 ? ClusterAnnounceIp : ClusterHostname;
    public int AnnouncedPort => ClusterAnnouncePort > 0 ? ClusterAnnouncePort : Port;
    public bool Cluster => ClusterPort > 0;

    private volatile int _autoAofRewritePercentage = 100;
    public int AutoAofRewritePercentage { get => _autoAofRewritePercentage; set => _autoAofRewritePercentage = value; }
    private long _autoAofRewriteMinSize = 64L * 1024 * 1024;
    public long AutoAofRewriteMinSize { get => Interlocked.Read(ref _autoAofRewriteMinSize); set => Interlocked.Exchange(ref _autoAofRewriteMinSize, value); }
    public int MaxClients { get; set; } = 10000;

    /// <summary>enable-debug-command: yes, local (from loopback connections only) or no.</summary>
    public string EnableDebugCommand { get; set; } = "local";

    private volatile int _notifyKeyspaceEvents;
    /// <summary>notify-keyspace-events: the classes of keyspace notification published (none by default).</summary>
    public KeyspaceEvent NotifyKeyspaceEvents { get => (KeyspaceEvent)_notifyKeyspaceEvents; set => _notifyKeyspaceEvents = (int)value; }

    private volatile bool _latencyTracking = true;
    /// <summary>latency-tracking: each command's latencies kept for INFO latencystats and LATENCY HISTOGRAM.</summary>
    public bool LatencyTracking { get => _latencyTracking; set => _latencyTracking = value; }

    private volatile double[] _latencyTrackingInfoPercentiles = [50, 99, 99.9];
    /// <summary>latency-tracking-info-percentiles: the percentiles INFO latencystats reports.</summary>
    public double[] LatencyTrackingInfoPercentiles { get => _latencyTrackingInfoPercentiles; set => _latencyTrackingInfoPercentiles = value; }

    private volatile bool _activeExpire = true;
    /// <summary>Whether shards delete expired keys in the background (DEBUG SET-ACTIVE-EXPIRE); lazy expiry always runs.</summary>
    public bool ActiveExpire { get => _activeExpire; set => _activeExpire = value; }

    private volatile int _hz = 10;
    public int Hz { get => _hz; set => _hz = Math.Clamp(value, 1, 500); }

    private long _protoMaxBulkLen = 512L * 1024 * 1024;
    public long ProtoMaxBulkLen { get => Interlocked.Read(ref _protoMaxBulkLen); set => Interlocked.Exchange(ref _protoMaxBulkLen, value); }

    /// <summary>The policy with whether it counts LFU, which every key access asks: one object, so the two agree.</summary>
    private sealed record EvictionPolicy(string Name, bool UsesLfu);

    private volatile EvictionPolicy _maxMemoryPolicy = new("noeviction", false);
    public string MaxMemoryPolicy
    {
        get => _maxMemoryPolicy.Name;
        set => _maxMemoryPolicy = new EvictionPolicy(value, value.Contains("lfu", StringComparison.Ordinal));
    }

    private long _maxMemory;
    /// <summary>maxmemory in bytes, 0 for none: past it, keys are evicted by <see cref="MaxMemoryPolicy"/> (or writes refused).</summary>
    public long MaxMemory { get => Volatile.Read(ref _maxMemory); set => Volatile.Write(ref _maxMemory, value); }
    /// <summary>repl-backlog-size: kept and reported (INFO repl_backlog_size); with no replicas there is no backlog to size.</summary>
    public long ReplBacklogSize { get => Volatile.Read(ref _replBacklogSize); set => Volatile.Write(ref _replBacklogSize, value); }
    private long _replBacklogSize = 1024 * 1024;

    private volatile int _maxMemorySamples = 5;
    public int MaxMemorySamples { get => _maxMemorySamples; set => _maxMemorySamples = value; }

    private volatile int _lfuLogFactor = 10;
    public int LfuLogFactor { get => _lfuLogFactor; set => _lfuLogFactor = value; }
    private volatile int _lfuDecayTime = 1;
    public int LfuDecayTime { get => _lfuDecayTime; set => _lfuDecayTime = value; }

    // Encoding thresholds (Redis 7.0's built-in defaults).
    private volatile int _hashMaxListpackEntries = 512;
    public int HashMaxListpackEntries { get => _hashMaxListpackEntries; set => _hashMaxListpackEntries = value; }
    private volatile int _hashMaxListpackValue = 64;
    public int HashMaxListpackValue { get => _hashMaxListpackValue; set => _hashMaxListpackValue = value; }
    private volatile int _setMaxIntsetEntries = 512;
    public int SetMaxIntsetEntries { get => _setMaxIntsetEntries; set => _setMaxIntsetEntries = value; }
    private volatile int _zsetMaxListpackEntries = 128;
    public int ZsetMaxListpackEntries { get => _zsetMaxListpackEntries; set => _zsetMaxListpackEntries = value; }
    private volatile int _zsetMaxListpackValue = 64;
    public int ZsetMaxListpackValue { get => _zsetMaxListpackValue; set => _zsetMaxListpackValue = value; }
    private volatile int _streamNodeMaxEntries = 100;
    public int StreamNodeMaxEntries { get => _streamNodeMaxEntries; set => _streamNodeMaxEntries = value; }
    private long _streamNodeMaxBytes = 4096;
    public long StreamNodeMaxBytes { get => Volatile.Read(ref _streamNodeMaxBytes); set => Volatile.Write(ref _streamNodeMaxBytes, value); }

    private volatile int _hllSparseMaxBytes = 3000;
    /// <summary>hll-sparse-max-bytes: a sparse HyperLogLog that would grow past it turns dense.</summary>
    public int HllSparseMaxBytes { get => _hllSparseMaxBytes; set => _hllSparseMaxBytes = value; }

    private volatile int _listMaxListpackSize = -2;
    /// <summary>list-max-listpack-size and list-compress-depth tune the nodes of Redis's quicklist. A list here always
    /// packs 8 KB nodes (<see cref="Data.RedisList.NodeBytes"/>, Redis's default), so they change neither replies nor
    /// encodings (a list is "quicklist" as in Redis 7.0); they are kept so configurations and CONFIG SET written for
    /// Redis work unchanged.</summary>
    public int ListMaxListpackSize { get => _listMaxListpackSize; set => _listMaxListpackSize = value; }
    private volatile int _listCompressDepth;
    public int ListCompressDepth { get => _listCompressDepth; set => _listCompressDepth = value; }

    private volatile string _shutdownOnSigterm = "default", _shutdownOnSigint = "default";
    /// <summary>shutdown-on-sigterm / shutdown-on-sigint: the shutdown flags a signal stops the server with (see ShutdownFlags).</summary>
    public string ShutdownOnSigterm { get => _shutdownOnSigterm; set => _shutdownOnSigterm = value; }
    public string ShutdownOnSigint { get => _shutdownOnSigint; set => _shutdownOnSigint = value; }

    private volatile SavePoints _save = SavePoints.None;
    /// <summary>save: the points at which a BGSAVE starts by itself (redis.conf "save 3600 1 300 100").</summary>
    public SavePoints Save { get => _save; set => _save = value; }

    private long _slowlogLogSlowerThan = 10000;
    /// <summary>slowlog-log-slower-than: microseconds from which a command is logged by SLOWLOG; negative turns it off.</summary>
    // Read once per command: a plain volatile read (Interlocked.Read is a locked instruction).
    public long SlowlogLogSlowerThan { get => Volatile.Read(ref _slowlogLogSlowerThan); set => Volatile.Write(ref _slowlogLogSlowerThan, value); }
    private volatile int _latencyMonitorThreshold;
    private volatile OutputBufferLimits _outputBufferLimits = OutputBufferLimits.Default;

    /// <summary>client-output-buffer-limit: when a client whose output is not being read is closed.</summary>
    public OutputBufferLimits OutputBufferLimits { get => _outputBufferLimits; set => _outputBufferLimits = value; }
    private volatile int _trackingTableMaxKeys = 1_000_000;
    /// <summary>
    /// tracking-table-max-keys: most keys CLIENT TRACKING remembers; past it keys are forgotten (their readers get an
    /// invalidation), each shard keeping its share. 0: no limit.
    /// </summary>
    public int TrackingTableMaxKeys { get => _trackingTableMaxKeys; set => _trackingTableMaxKeys = value; }

    /// <summary>latency-monitor-threshold: milliseconds from which LATENCY records a command; 0 turns it off.</summary>
    public int LatencyMonitorThreshold { get => _latencyMonitorThreshold; set => _latencyMonitorThreshold = value; }
    private volatile int _slowlogMaxLen = 128;
    public int SlowlogMaxLen { get => _slowlogMaxLen; set => _slowlogMaxLen = value; }

    private volatile int _timeout;
    /// <summary>timeout: seconds after which an idle client (not blocked) is closed; 0 never.</summary>
    public int Timeout { get => _timeout; set => _timeout = value; }

    private volatile string _requirePass = "";
    /// <summary>requirepass: the default user's password; empty means connections need no AUTH (nopass).</summary>
    public string RequirePass { get => _requirePass; set => _requirePass = value; }

    private volatile int _minReplicasToWrite;
    /// <summary>min-replicas-to-write: writes need this many good replicas (0: none). This server has none.</summary>
    public int MinReplicasToWrite { get => _minReplicasToWrite; set => _minReplicasToWrite = value; }

    private volatile int _minReplicasMaxLag = 10;
    /// <summary>min-replicas-max-lag: how late a good replica may be, in seconds (0 turns min-replicas-to-write off).</summary>
    public int MinReplicasMaxLag { get => _minReplicasMaxLag; set => _minReplicasMaxLag = value; }

    private volatile int _keyLoadDelay;
    /// <summary>key-load-delay (hidden, for tests): microseconds loading waits after each key or AOF command.</summary>
    public int KeyLoadDelay { get => _keyLoadDelay; set => _keyLoadDelay = value; }

    private volatile int _rdbKeySaveDelay;
    /// <summary>rdb-key-save-delay (hidden, for tests): microseconds a background save or AOF rewrite waits after each key.</summary>
    public int RdbKeySaveDelay { get => _rdbKeySaveDelay; set => _rdbKeySaveDelay = value; }

    private volatile bool _cronPaused;
    /// <summary>DEBUG PAUSE-CRON: the shards' periodic work (active expiry, eviction) is skipped while set.</summary>
    public bool CronPaused { get => _cronPaused; set => _cronPaused = value; }

    private volatile bool _scriptDisableDenyScript;
    /// <summary>DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call commands flagged noscript (a testing hack, as in Redis).</summary>
    public bool ScriptDisableDenyScript { get => _scriptDisableDenyScript; set => _scriptDisableDenyScript = value; }

    /// <summary>aclfile: the file ACL LOAD reads and ACL SAVE writes (read at start-up too); empty for none.</summary>
    public string AclFile { get; set; } = "";

    /// <summary>Where <see cref="AclFile"/> is: a relative name is under dir, as Redis's is once it has changed to dir.</summary>
    public string AclFilePath => Path.Combine(Dir, AclFile);

    private volatile int _aclLogMaxLen = 128;
    /// <summary>acllog-max-len: how many entries ACL LOG keeps.</summary>
    public int AclLogMaxLen { get => _aclLogMaxLen; set => _aclLogMaxLen = value; }

    private volatile string _aclPubsubDefault = "resetchannels";
    /// <summary>acl-pubsub-default: allchannels or resetchannels, the channels a new (or reset) user starts with.</summary>
    public string AclPubsubDefault { get => _aclPubsubDefault; set => _aclPubsubDefault = value; }

    private volatile int _busyReplyThreshold = 5000;
    /// <summary>busy-reply-threshold (lua-time-limit): after this many ms a running script makes other commands answer -BUSY.</summary>
    public int BusyReplyThreshold { get => _busyReplyThreshold; set => _busyReplyThreshold = value; }

    private volatile string _logLevel = "notice";
    public string LogLevel { get => _logLevel; set => _logLevel = value; }

    /// <summary>The configuration file the server started with (full path), for CONFIG REWRITE; null when none.</summary>
    public string? ConfigFile { get; set; }

    /// <summary>The parameters CONFIG SET changed (CONFIG REWRITE adds those the file does not name).</summary>
    public System.Collections.Immutable.ImmutableHashSet<string> ChangedAtRunTime = [];

    /// <summary>redis.conf's user directives (name, then rules), created at start as Redis's ACLLoadConfiguredUsers does.</summary>
    public List<string[]> ConfiguredUsers { get; set; } = [];

    private volatile bool _protectedMode = true;
    /// <summary>protected-mode: while the default user has no password, only loopback connections are accepted.</summary>
    public bool ProtectedMode { get => _protectedMode; set => _protectedMode = value; }

    /// <summary>unixsocket: the path of a Unix domain socket to listen on besides TCP; empty for none.</summary>
    public string UnixSocket { get; set; } = "";

    /// <summary>unixsocketperm: the socket file's mode, octal as written (700); 0 leaves the umask's.</summary>
    public int UnixSocketPerm { get; set; }

    /// <summary>pidfile: where the process id is written at start (and removed at a clean exit); empty for none.</summary>
    public string PidFile { get; set; } = "";

    /// <summary>logfile: the file the log is appended to; empty for standard output.</summary>
    public string LogFile { get; set; } = "";

    /// <summary>always-show-logo: the start-up banner (with the process id) is printed even when the log is not a terminal.</summary>
    public bool AlwaysShowLogo { get; set; }

    private volatile bool _rdbCompression = true;
    /// <summary>rdbcompression: strings in RDB files (SAVE, BGSAVE, an RDB base of the AOF) are LZF-compressed when that saves room.</summary>
    public bool RdbCompression { get => _rdbCompression; set => _rdbCompression = value; }

    private volatile bool _noAppendFsyncOnRewrite;
    /// <summary>no-appendfsync-on-rewrite: while an AOF rewrite runs, the AOF is not fsynced (as appendfsync no).</summary>
    public bool NoAppendFsyncOnRewrite { get => _noAppendFsyncOnRewrite; set => _noAppendFsyncOnRewrite = value; }

    /// <summary>
    /// Parameters of Redis's replication, of its incremental rehashing and of its module and protected-config switches,
    /// kept as set (redis.conf files and CONFIG SET carry them) with what CONFIG GET shows. This server has no replicas,
    /// rehashes by .NET's dictionaries (all at once), has no MODULE command, and no CONFIG SET of a protected parameter (dir,
    /// dbfilename are immutable here): so the values change nothing, as they change nothing on a Redis master without replicas.
    /// </summary>
    public System.Collections.Immutable.ImmutableDictionary<string, string> InertParameters { get; set; } =
        System.Collections.Immutable.ImmutableDictionary<string, string>.Empty;

    /// <summary>Read on every key access: kept with the policy rather than searched for in its name each time.</summary>
    public bool UsesLfu => _maxMemoryPolicy.UsesLfu;

    /// <summary>A copy to try CONFIG SET's values on before they are applied to this one.</summary>
    public ServerConfig Copy() => (ServerConfig)MemberwiseClone();
}
