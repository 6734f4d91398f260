using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;

namespace AkkaRedis.Keyspace.Server;

/// <summary>What every shard and session shares read-mostly: settings, the command table, the clock, start time.</summary>
public sealed class ServerState(ServerConfig config, IClock clock)
{
    public ServerConfig Config { get; } = config;
    public IClock Clock { get; } = clock;
    public CommandTable Commands { get; set; } = null!;

    private Acl.AclUsers? _acl;

    /// <summary>The node's ACL users (made from the command table and requirepass when first asked for).</summary>
    public Acl.AclUsers Acl => LazyInitializer.EnsureInitialized(ref _acl, () => new Acl.AclUsers(Commands, Config));

    /// <summary>
    /// The connection a command a shard runs came from (the client object the shard was given: its actor, or the
    /// connection itself for EXEC), for the ACL checks of a script's calls; null when unknown (sent by another node).
    /// Set by the host.
    /// </summary>
    public Func<object?, Acl.IAclClient?> AclClientOf { get; set; } = _ => null;

    /// <summary>Rewrites the configuration file, every parameter when asked (DEBUG CONFIG-REWRITE-FORCE-ALL): null, or the error. Set by the server.</summary>
    public Func<bool, string?> RewriteConfig { get; set; } = _ => "ERR The server is running without a config file";

    public long StartTimeMs { get; } = clock.NowMs;
    public string RunId { get; } = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant()[..32] + "00000000";
    public static string Version => "7.0.15";

    /// <summary>
    /// True while the shards replay the AOF (or, in a cluster, recover) with the listener already open: commands not
    /// flagged loading are answered LOADING, as Redis answers clients that connect during its load.
    /// </summary>
    public volatile bool Loading;

    /// <summary>RDB saving (SAVE, BGSAVE, LASTSAVE, INFO persistence).</summary>
    public Snapshot.SaveStatus Saves { get; } = new(clock.NowMs / 1000);

    /// <summary>
    /// The bodies of the scripts EVAL and SCRIPT LOAD compiled on this node, by SHA1: the script cache as clients see it
    /// (EVALSHA, SCRIPT EXISTS). Each script engine compiles from here what it lacks: the engine of a shard that moved
    /// here, or of a cluster command that runs on keys lent by other nodes.
    /// </summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> ScriptBodies { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The node's functions by name, as the script engines register them (FUNCTION LOAD, DELETE, FLUSH, RESTORE):
    /// connections read their flags to judge an FCALL before it runs (CLIENT PAUSE WRITE lets a no-writes one through).
    /// </summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, Scripting.FunctionInfo> Functions { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The script running now, if any (for -BUSY and SCRIPT KILL).</summary>
    public Scripting.ScriptRun Script { get; } = new();

    /// <summary>The AOF's state (null when appendonly is off): INFO reads it, shards refuse writes while it fails.</summary>
    public Persistence.AofStatus? Aof { get; set; }

    /// <summary>The journal actor, for BGREWRITEAOF (null when appendonly is off).</summary>
    public Akka.Actor.IActorRef? Journal { get; set; }

    /// <summary>Server-wide information that sessions own (INFO clients, stats); filled in by the host.</summary>
    public IServerInfoSource? Info { get; set; }

    /// <summary>Pub/sub subscriptions on this node (SUBSCRIBE, PUBLISH, PUBSUB).</summary>
    public PubSubRegistry PubSub { get; } = new();

    /// <summary>CLIENT PAUSE's state on this node.</summary>
    public ClientPause Pause { get; } = new();

    /// <summary>MONITOR's connections on this node.</summary>
    public MonitorRegistry Monitors { get; } = new();

    /// <summary>SLOWLOG's entries.</summary>
    public SlowLog SlowLog { get; } = new();

    /// <summary>LATENCY's events.</summary>
    public LatencyMonitor Latency { get; } = new();

    // ------------------------------------------------------------------------------- CLIENT TRACKING
    private readonly object _prefixesLock = new();
    private BroadcastPrefix[] _trackingPrefixes = [];

    /// <summary>BCAST mode's prefixes and their connections, in byte order: a snapshot replaced whole, so shards read it without a lock.</summary>
    public BroadcastPrefix[] TrackingPrefixes => Volatile.Read(ref _trackingPrefixes);

    private Akka.Actor.IActorRef[] _trackingConnections = [];

    /// <summary>Connections with CLIENT TRACKING on, told when the keyspace is flushed (INFO tracking_clients counts them).</summary>
    public Akka.Actor.IActorRef[] TrackingConnections => Volatile.Read(ref _trackingConnections);

    public void SetTracking(Akka.Actor.IActorRef client, bool on)
    {
        lock (_prefixesLock)
        {
            var without = _trackingConnections.Where(c => !c.Equals(client));
            Volatile.Write(ref _trackingConnections, on ? [.. without, client] : [.. without]);
        }
    }

    /// <summary>Subscribes a BCAST connection to its prefixes (enableBcastTrackingForPrefix).</summary>
    public void AddBroadcast(Akka.Actor.IActorRef client, IEnumerable<byte[]> prefixes)
    {
        lock (_prefixesLock)
        {
            var table = _trackingPrefixes.ToDictionary(p => p.Prefix, p => p.Clients.ToList(), ByteArrayComparer.Instance);
            foreach (var prefix in prefixes)
            {
                if (!table.TryGetValue(prefix, out var clients)) table[prefix] = clients = [];
                if (!clients.Contains(client)) clients.Add(client);
            }
            Publish(table);
        }
    }

    /// <summary>Unsubscribes a connection from every prefix (tracking off, RESET, disconnect); a prefix left without connections goes.</summary>
    public void RemoveBroadcast(Akka.Actor.IActorRef client)
    {
        lock (_prefixesLock)
        {
            if (!_trackingPrefixes.Any(p => p.Clients.Contains(client))) return;
            var table = _trackingPrefixes.ToDictionary(p => p.Prefix, p => p.Clients.Where(c => !c.Equals(client)).ToList(), ByteArrayComparer.Instance);
            Publish(table);
        }
    }

    private void Publish(Dictionary<byte[], List<Akka.Actor.IActorRef>> table) =>
        Volatile.Write(ref _trackingPrefixes, table.Where(p => p.Value.Count > 0)
            .OrderBy(p => p.Key, ByteArrayComparer.Instance)
            .Select(p => new BroadcastPrefix(p.Key, [.. p.Value])).ToArray());

    private long _memoryPeak;
    /// <summary>The most managed heap seen in use (used_memory_peak), from the server's samples and every INFO or MEMORY read.</summary>
    public long MemoryPeak => Interlocked.Read(ref _memoryPeak);

    /// <summary>Notes the heap in use now and returns it.</summary>
    public long NoteMemory(long used)
    {
        long peak;
        while (used > (peak = Interlocked.Read(ref _memoryPeak)) && Interlocked.CompareExchange(ref _memoryPeak, used, peak) != peak) { }
        return used;
    }

    /// <summary>The heap and the process's resident set once the server was ready (used_memory_startup): the runtime's, Akka's and the server's own.</summary>
    public long MemoryAtStartup { get; set; }
    public long RssAtStartup { get; set; }

    /// <summary>
    /// After a command ran for <paramref name="micros"/>: SLOWLOG and the latency monitor, each when past its threshold
    /// (call() in server.c). <paramref name="client"/> is what the command knows of its client, for SLOWLOG.
    /// </summary>
    public void CommandRan(Commands.CommandSpec spec, byte[][] args, long micros, object? client)
    {
        var config = Config;
        if (SlowLog.IsSlow(config, micros) && !spec.Facts.HasFlag("skip_slowlog"))
            SlowLog.Add(args, micros, Clock.NowMs / 1000, client, config.SlowlogMaxLen);
        if (LatencyMonitor.Exceeds(config, micros / 1000))
            Latency.Add(spec.IsFast ? "fast-command" : "command", micros / 1000, Clock.NowMs / 1000);
    }

    /// <summary>
    /// Why writes are refused now, or null: processCommand's MISCONF while the AOF cannot be written, and NOREPLICAS
    /// while min-replicas-to-write asks for replicas (checkGoodReplicasStatus; this server has none).
    /// </summary>
    public string? WriteRefusal()
    {
        if (Aof?.WriteError is { } writeError) return Protocol.RespErrors.MisconfAof + writeError;
        var config = Config;
        if (config.MinReplicasToWrite > 0 && config.MinReplicasMaxLag > 0) return "NOREPLICAS Not enough good replicas to write.";
        return null;
    }

    /// <summary>MIGRATE's cached connections to target instances.</summary>
    public MigrateConnections Migrations { get; } = new();

    /// <summary>Error replies by code (INFO errorstats).</summary>
    public ErrorStats Errors { get; } = new();

    /// <summary>
    /// Background saves and AOF rewrites started (INFO total_forks): what Redis forks a child for. Here the dataset is
    /// serialized while the shards are held and written in the background, so that pause is latest_fork_usec.
    /// </summary>
    public long TotalForks => Interlocked.Read(ref _totalForks);
    public long LatestForkMicros => Interlocked.Read(ref _latestForkMicros);
    private long _totalForks, _latestForkMicros;

    public void CountFork(long pauseMicros)
    {
        Interlocked.Exchange(ref _latestForkMicros, pauseMicros);
        Interlocked.Increment(ref _totalForks);
    }

    /// <summary>
    /// When the reply written from <paramref name="start"/> is an error: a failed call of <paramref name="spec"/> on
    /// <paramref name="shard"/> (INFO commandstats) and, unless <paramref name="errorCounted"/>, an error in errorstats.
    /// True when it was an error.
    /// </summary>
    public bool CountIfFailed(Data.ShardStore shard, Commands.CommandSpec spec, Protocol.RespWriter reply, int start, bool errorCounted = false)
    {
        if (reply.Length <= start || reply.Buffer[start] != (byte)'-') return false;
        shard.FailedCalls[spec.Id]++;
        if (!errorCounted) Errors.Count(reply.Buffer.AsSpan(start, reply.Length - start));
        return true;
    }

    /// <summary>Commands answered in sessions (PING, SELECT...), counted per command id.</summary>
    public long[] SessionCalls = [];
    public long[] SessionElapsedTicks = [];
    public long[] SessionFailed = [];
    public long[] Rejected = [];
    /// <summary>The latencies of connection commands (those the shards run are in each shard's store).</summary>
    public LatencyHistogram?[] SessionLatency = [];

    /// <summary>Sized once the command table is built.</summary>
    public void SizeStatistics()
    {
        int n = Commands.AllSpecs.Count;
        SessionCalls = new long[n];
        SessionElapsedTicks = new long[n];
        SessionFailed = new long[n];
        Rejected = new long[n];
        SessionLatency = new LatencyHistogram?[n];
    }

    /// <summary>Commands per second over the last samples, as Redis's instantaneous_ops_per_sec; kept by the host's sampler.</summary>
    public long OpsPerSecond;

    /// <summary>Cluster mode: commands this node's connections sent to shards on other nodes.</summary>
    public long ForwardedCommands;
}

/// <summary>Figures only the host knows (connections, network bytes), read by INFO.</summary>
public interface IServerInfoSource
{
    long ConnectedClients { get; }
    long TotalConnections { get; }
    long RejectedConnections { get; }
    long BlockedClients { get; }
    long NetInputBytes { get; }
    long NetOutputBytes { get; }
    int TcpPort { get; }
    string PersistenceInfo();
    /// <summary>INFO cluster's fields (cluster_enabled and, in a cluster, membership and shard placement).</summary>
    string ClusterInfo();
    void ResetStatistics();
}
