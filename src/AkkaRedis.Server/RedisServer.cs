using System.Net;
using Akka;
using Akka.Actor;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Journal;
using AkkaRedis.Persistence;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Keyspace.Shards;
using AkkaRedis.Server.Network;
using AkkaRedis.Server.Sessions;
using Microsoft.Extensions.Hosting;

namespace AkkaRedis.Server;

/// <summary>
/// The running server: builds the command table, starts the shards, binds the TCP listener, samples
/// statistics, and takes it all down on stop.
/// </summary>
public sealed class RedisServer(ActorSystem system, ServerConfig config, IHostApplicationLifetime lifetime, EarlyStart early) : IHostedService, IServerInfoSource
{
    private readonly ClientRegistry _clients = new();
    private Akka.Streams.Dsl.Tcp.ServerBinding? _binding;
    private Network.UnixSocketListener? _unixListener;
    private Timer? _sampler;
    private Timer? _cron;
    private IActorRef[]? _shards;
    private Cluster.ClusterView? _clusterView;
    private ServerServices? _services;
    private volatile bool _saveOnStop;
    private readonly List<System.Runtime.InteropServices.PosixSignalRegistration> _signals = [];
    private readonly long[] _opsSamples = new long[16];
    private int _sampleIndex;
    private long _lastCommands;
    private long _lastSampleMs;
    private ServerState _state = null!;
    private Keyspace.Data.Keyspace _keyspace = null!;

    public int TcpPort { get; private set; }

    /// <summary>Builds the table of every supported command: shard commands and connection commands.</summary>
    public static (CommandTable Table, SessionCommandTable Session) BuildCommands()
    {
        var builder = new CommandTable.Builder();
        KeyspaceCommands.Register(builder);
        InfoCommand.Register(builder);
        MemoryReport.Register(builder);
        var session = new SessionCommandTable();
        ConnectionCommands.Register(session);
        ClientCommands.Register(session);
        TrackingCommands.Register(session);
        ConfigCommands.Register(session);
        CommandCommands.Register(session);
        ShutdownCommand.Register(session);
        ScriptKillCommand.Register(session);
        SlowLogCommand.Register(session);
        AclCommands.Register(session);
        LatencyCommand.Register(session);
        ClusterCommands.Register(session);
        TransactionCommands.Register(session);
        PubSubCommands.Register(session);
        session.RegisterInto(builder);
        var table = builder.Build();
        session.Bind(table);
        return (table, session);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (table, sessionCommands) = (early.Table, early.SessionCommands);
        _state = new ServerState(config, SystemClock.Instance) { Commands = table, Info = this };
        _state.SizeStatistics();
        _state.SlowLog.Describe = DescribeClient;
        _state.AclClientOf = _clients.Of;
        _state.RewriteConfig = forceAll => Sessions.ConfigCommands.RewriteFile(config, forceAll);
        // The host's console lifetime stops the server on SIGTERM and SIGINT, and the actor system stops with it at once;
        // this handler, registered after it, runs first and saves as shutdown-on-sigterm / shutdown-on-sigint say
        // (Redis's default: when save points are set) while the shards still run.
        foreach (var (signal, name) in new[] { (System.Runtime.InteropServices.PosixSignal.SIGTERM, "SIGTERM"), (System.Runtime.InteropServices.PosixSignal.SIGINT, "SIGINT") })
            _signals.Add(System.Runtime.InteropServices.PosixSignalRegistration.Create(signal, _ =>
            {
                Console.WriteLine($"Received {name} scheduling shutdown...");
                if (ShutdownFlags.Saves(name == "SIGTERM" ? config.ShutdownOnSigterm : config.ShutdownOnSigint, config.Save))
                    SaveBeforeExit().GetAwaiter().GetResult();
            }));
        // ACLLoadUsersAtStartup: users of redis.conf's user directives, or of the ACL file (not both); errors stop the start.
        if (config.AclFile.Length > 0 && config.ConfiguredUsers.Count > 0)
            throw new InvalidOperationException("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. " +
                                                "This setup is very likely to lead to configuration errors and security holes, please define either an ACL file " +
                                                "or declare users directly in your redis.conf, but not both.");
        foreach (var user in config.ConfiguredUsers)
        {
            var rules = user[0] == Keyspace.Acl.AclUsers.DefaultName ? ["reset", .. user[1..]] : user[1..];
            if (_state.Acl.SetUser(user[0], rules, out _, out _) is { } problem)
                throw new InvalidOperationException($"Error loading ACL rules for the user named '{user[0]}': {problem}. Critical error while loading ACLs. Exiting.");
        }
        if (config.AclFile.Length > 0 && AclCommands.LoadFile(_state.Acl, config, out _) is { } aclErrors)
            throw new InvalidOperationException($"Aborting Redis startup because of ACL errors: {aclErrors}");
        _keyspace = new Keyspace.Data.Keyspace(config.Shards, config.Databases);
        IActorRef[] shards;
        Cluster.ClusterView? clusterView = null;
        List<string> rdbLibraries = [];
        bool warmUpAfterLoad = false;
        if (config.Cluster)
        {
            // Data comes from the shared journal as each shard starts on its node; there is no local AOF or RDB to read.
            NoteStartupMemory();
            (shards, clusterView) = await Cluster.KeyspaceCluster.StartAsync(system, _keyspace, _state);
        }
        else
        {
            // Before anyone can connect, while the AOF is read from disk in the background (EarlyStart). Not alongside the
            // shards' replay: both need the CPU, and a 1M-key AOF then loaded no sooner than one after the other. With a
            // large dataset to load, after it instead (below): see WarmUpAfterLoadBytes.
            warmUpAfterLoad = config.JitWarmUp && DataToLoadBytes() >= WarmUpAfterLoadBytes;
            if (config.JitWarmUp && !warmUpAfterLoad) await WarmUp();
            NoteStartupMemory();
            // The AOF journal is there with appendonly no too, dormant (it reads and writes nothing), so that CONFIG SET
            // appendonly yes and BGREWRITEAOF can start one, as Redis's can.
            await OpenJournal(load: config.AppendOnly);
            if (!config.AppendOnly) rdbLibraries = ReadRdb();
            shards = new IActorRef[config.Shards];
            for (int i = 0; i < shards.Length; i++)
                shards[i] = system.ActorOf(KeyspaceShard.Props(_keyspace, i, _state, shards), $"shard-{i}");
        }
        _shards = shards;
        _clusterView = clusterView;
        var services = _services = new ServerServices(_state, _keyspace, shards, _clients, (reason, save) =>
        {
            Console.WriteLine($"Shutting down: {reason}");
            _saveOnStop |= save;
            lifetime.StopApplication();
        }, clusterView);

        // The listener opens while the shards replay, as Redis listens while it loads: clients connecting meanwhile are
        // answered LOADING (and binding overlaps the replay instead of following it).
        _state.Loading = true;
        var materializer = system.Materializer();
        var tooMany = ByteString.FromString("-ERR max number of clients reached\r\n");
        var denied = ByteString.FromString(ProtectedModeDenied);
        system.EventStream.Subscribe(system.ActorOf(Props.Create<AcceptRescue>(), "accept-rescue"), typeof(Akka.Event.UnhandledMessage));
        _binding = await BindOrExplain(system.TcpStream()
            .Bind(config.Bind, config.Port, backlog: 511)
            .To(Sink.ForEach<Akka.Streams.Dsl.Tcp.IncomingConnection>(connection =>
            {
                if (_clients.Count >= config.MaxClients)
                {
                    _clients.Rejected();
                    connection.HandleWith(Refusal(tooMany), materializer);
                    return;
                }
                // Protected mode, as Redis's: while the default user has no password, only loopback clients are served.
                if (ProtectedModeRefuses(config, _state.Acl, connection.RemoteAddress))
                {
                    _clients.Rejected();
                    connection.HandleWith(Refusal(denied), materializer);
                    return;
                }
                var stage = new ConnectionStage(services, sessionCommands, Format(connection.RemoteAddress), Format(connection.LocalAddress));
                connection.HandleWith(Flow.FromGraph(stage), materializer);
            }))
            .Run(materializer));
        if (config.UnixSocket.Length > 0) _unixListener = ListenOnUnixSocket(services, sessionCommands, materializer, tooMany);

        var ready = await Task.WhenAll(shards.Select(s => config.Cluster ? AwaitReadyInCluster(s) : s.Ask<ShardReady>(AwaitReady.Instance, TimeSpan.FromHours(24))));
        if (config.AppendOnly && !config.Cluster) Console.WriteLine($"DB loaded from append only file: {ready.Sum(r => r.Keys)} keys");
        foreach (var code in rdbLibraries) await LoadLibrary(code);
        _state.Loading = false;
        if (warmUpAfterLoad) _ = Task.Run(WarmUp);
        TcpPort = (_binding.Value.LocalAddress as IPEndPoint)?.Port ?? config.Port;
        _lastSampleMs = Environment.TickCount64;
        _sampler = new Timer(_ => SampleOps(), null, 100, 100);
        _cron = new Timer(_ =>
        {
            if (config.AppendOnly && !config.Cluster) MaybeRewriteAof();
            if (config.AofJournalOpen) MaybeStartAppendOnly();
            StartScheduledBackgroundWork();
            MaybeSave();
            CloseIdleClients();
            _state.Migrations.CloseIdle(_state.Clock.NowMs / 1000);
        }, null, 1000, 1000);
        Console.WriteLine($"Ready to accept connections on {config.Bind}:{TcpPort} (AkkaRedis {ServerLog.Version}, Redis {ServerState.Version} compatible), " +
                          $"shards={config.Shards}, databases={config.Databases}, " +
                          $"persistence={(config.AppendOnly ? config.Cluster ? "shared journal (PostgreSQL)" : "aof appendfsync " + config.AppendFsync : "none (in memory)")}" +
                          (config.Cluster ? $", cluster node {config.ClusterHostname}:{config.ClusterPort}" : ""));
    }

    /// <summary>
    /// used_memory_startup, as Redis measures it before loading data: what the runtime, Akka and the server hold
    /// (collected first, or the warm-up's garbage would count; about 20 ms with nothing loaded yet).
    /// </summary>
    private void NoteStartupMemory()
    {
        _state.MemoryAtStartup = _state.NoteMemory(GC.GetTotalMemory(forceFullCollection: true));
        _state.RssAtStartup = Environment.WorkingSet;
    }

    /// <summary>The JIT warm-up only saves time: should it fail (no loopback port, say), the server runs without it.</summary>
    private async Task WarmUp()
    {
        try
        {
            await JitWarmUp.RunAsync(system, config, Console.WriteLine);
        }
        catch (Exception e)
        {
            Console.WriteLine($"The JIT warm-up did not run: {e.Message}");
        }
    }

    /// <summary>
    /// From this much data to load (AOF files, or dump.rdb with appendonly no) the JIT warm-up runs once the data is
    /// loaded, beside the first clients, instead of before loading. Replaying 32 MB of AOF takes about as long here as the
    /// warm-up itself (0.7 s on 2 cores), and with more the load is what a restart waits for: a 1M-key AOF (132 MB) was
    /// served after 1.6 s with the warm-up first, 1.0 s without it, against redis-server's 1.1 s. The replay has compiled
    /// the commands' own code by then; the warm-up still compiles the network path, at the cost of sharing the CPU with
    /// whoever connects in its first second.
    /// </summary>
    public const long WarmUpAfterLoadBytes = 32L << 20;

    private long DataToLoadBytes()
    {
        var dir = Path.GetFullPath(config.Dir);
        if (!config.AppendOnly)
        {
            var rdb = new FileInfo(Path.Combine(dir, config.DbFilename));
            return rdb.Exists ? rdb.Length : 0;
        }
        var aofDir = new DirectoryInfo(Path.Combine(dir, config.AppendDirName));
        return aofDir.Exists ? aofDir.EnumerateFiles().Sum(f => f.Length) : 0;
    }

    /// <summary>
    /// The listener, or Redis's words when it cannot be opened: Akka only says "bind failed", so the address is tried
    /// once more with a plain socket for the operating system's reason (Address already in use, ...).
    /// </summary>
    private async Task<Akka.Streams.Dsl.Tcp.ServerBinding> BindOrExplain(Task<Akka.Streams.Dsl.Tcp.ServerBinding> binding)
    {
        try
        {
            return await binding;
        }
        catch (Exception e) when (e is BindFailedException or StreamTcpException)
        {
            string reason = e.Message;
            try
            {
                var probe = new System.Net.Sockets.TcpListener(IPAddress.Parse(config.Bind), config.Port);
                probe.Start();
                probe.Stop();
            }
            catch (System.Net.Sockets.SocketException socket)
            {
                reason = socket.Message;
            }
            catch (FormatException)
            {
                // Not an IP address: Akka's reason stands.
            }
            // Redis's words: its test suite looks for "Failed listening on port" to start again on another port.
            throw new InvalidOperationException($"Could not create server TCP listening socket {config.Bind}:{config.Port}: bind: {reason}. " +
                                                $"Failed listening on port {config.Port} (TCP), aborting.", e);
        }
    }

    /// <summary>
    /// In a cluster the question may be lost: the shard region drops what it buffered for a shard being handed off,
    /// which happens while nodes join at start. Asked again until answered; recovery may take long, so no deadline.
    /// </summary>
    private static async Task<ShardReady> AwaitReadyInCluster(IActorRef shard)
    {
        while (true)
        {
            try
            {
                return await shard.Ask<ShardReady>(AwaitReady.Instance, TimeSpan.FromSeconds(3));
            }
            catch (AskTimeoutException)
            {
                // asked again
            }
        }
    }

    /// <summary>A connection refused before it is served: it gets <paramref name="reply"/> and is closed; what it sends is ignored.</summary>
    private static Flow<ByteString, ByteString, NotUsed> Refusal(ByteString reply) =>
        Flow.FromSinkAndSource(Sink.Ignore<ByteString>().MapMaterializedValue(_ => NotUsed.Instance), Source.Single(reply));

    private const string ProtectedModeDenied =
        "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
        "In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you " +
        "may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the " +
        "loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible " +
        "from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode " +
        "by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you " +
        "started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password " +
        "for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

    /// <summary>Protected mode (protected-mode yes) refuses a client that is not on loopback while the default user has no password.</summary>
    public static bool ProtectedModeRefuses(ServerConfig config, Keyspace.Acl.AclUsers acl, EndPoint remote) =>
        config.ProtectedMode && acl.Default.Rules.NoPass && !IsLoopback(remote);

    private static bool IsLoopback(EndPoint address) => address is IPEndPoint { Address: var ip } &&
        IPAddress.IsLoopback(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip);

    /// <summary>The appendfsync policy now: with no-appendfsync-on-rewrite, "no" while a rewrite runs, as Redis skips the fsync then.</summary>
    public static string FsyncPolicy(ServerConfig config, AofStatus status) =>
        config.NoAppendFsyncOnRewrite && status.RewriteInProgress ? "no" : config.AppendFsync;

    /// <summary>
    /// Sets up the AOF journal and, with <paramref name="load"/> (appendonly yes), reads the AOF before any shard starts,
    /// so a damaged file stops the start with its name and offset. Without, the journal is dormant: no file is read or
    /// created until a rewrite (BGREWRITEAOF, or CONFIG SET appendonly yes) writes a new base.
    /// </summary>
    private async Task OpenJournal(bool load)
    {
        var runtime = AofRuntime.For(system);
        runtime.Router = early.AofRouter;
        runtime.RdbPreamble = early.RdbPreamble;
        runtime.Status = new AofStatus();
        runtime.FsyncPolicy = () => FsyncPolicy(config, runtime.Status);
        runtime.Preload = early.Aof;
        // Socket threads run the request path themselves (see LocalFirstExecutorConfigurator): the journal then writes
        // once per round of socket events, as Redis writes its AOF buffer once per event loop round.
        if (system.Settings.Config.GetBoolean("akka.actor.default-dispatcher.inline-on-socket-threads"))
            runtime.AfterSocketEvents = await Network.SocketRoundEnd.Start();
        runtime.Dormant = !load;
        var journal = Akka.Persistence.Persistence.Instance.Apply(system).JournalFor(KeyspaceShard.JournalPlugin);
        _state.Aof = runtime.Status;
        _state.Journal = journal;
        if (!load) return;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var loaded = await journal.Ask<AofLoaded>(LoadAof.Instance, TimeSpan.FromHours(24));
        Console.WriteLine($"Reading the AOF in {Path.Combine(Path.GetFullPath(config.Dir), config.AppendDirName)}: " +
                          $"{loaded.Commands} commands, {loaded.Bytes} bytes in {watch.ElapsedMilliseconds} ms; " +
                          $"units per shard: {string.Join(",", loaded.UnitsPerShard)}");
    }

    /// <summary>
    /// With appendonly no, the data comes from dbfilename (dump.rdb) if there is one, as Redis loads it. The shards do
    /// not exist yet, so the keyspace is filled directly; the libraries it holds are loaded once the shards run.
    /// </summary>
    private List<string> ReadRdb()
    {
        var path = Path.Combine(Path.GetFullPath(config.Dir), config.DbFilename);
        if (!File.Exists(path)) return [];
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var contents = Keyspace.Snapshot.RdbFile.Read(File.ReadAllBytes(path), config);
        Keyspace.Snapshot.RdbFile.LoadInto(contents, _keyspace, _state.Clock.NowMs, keyLoadDelay: config.KeyLoadDelay);
        Console.WriteLine($"DB loaded from disk: {contents.Entries.Count} keys from {path} in {watch.ElapsedMilliseconds} ms");
        return contents.Libraries;
    }

    /// <summary>A client as SLOWLOG names it: its address and name, found by its session or its connection's actor.</summary>
    private (string Address, string Name) DescribeClient(object? client)
    {
        var session = client as ClientSession ?? (client is IActorRef actor ? _clients.Unordered.FirstOrDefault(s => actor.Equals(s.Actor)) : null);
        return session == null ? ("", "") : (session.Address, session.Name);
    }

    /// <summary>Loads a function library as FUNCTION LOAD would (on the shard that runs scripts) and waits for it.</summary>
    private async Task LoadLibrary(string code)
    {
        var reply = await RunOnAllShards("FUNCTION", "LOAD", code);
        if (reply.StartsWith('-')) throw new InvalidOperationException("A function library in the RDB file does not load: " + reply.Trim());
    }

    /// <summary>Runs a command over every shard held, as a client's would run, and waits for its reply.</summary>
    private async Task<string> RunOnAllShards(params string[] command)
    {
        var args = command.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();
        var spec = _state.Commands.FindCommand(args)!;
        // A cluster node's whole keyspace is the shards it holds now.
        var indexes = _services!.WholeKeyspace();
        if (indexes.Length == 0) return "-CLUSTERDOWN this node holds no shards\r\n";
        var all = _services.HoldRoute();
        var route = indexes.Select(i => all[i]).ToArray();
        // The factory form of Ask: the reply address is the held command's, not the sender.
        Func<IActorRef, object> held = replyTo => new HeldCommand(CrossShard.NextId(), route, indexes, 0,
            new ShardCommand(spec, args, 0, false, 0), replyTo);
        var reply = await route[0].Ask<ShardReplies>(held, TimeSpan.FromMinutes(10), CancellationToken.None);
        return System.Text.Encoding.UTF8.GetString(reply.Buffer, 0, reply.Ends[0]);
    }

    /// <summary>serverCron's automatic rewrite: when the AOF grew by auto-aof-rewrite-percentage since the last rewrite.</summary>
    private void MaybeRewriteAof()
    {
        var status = _state.Aof;
        int percentage = config.AutoAofRewritePercentage;
        if (status == null || percentage <= 0 || status.RewriteInProgress || _shards == null) return;
        long current = status.CurrentSize, baseSize = Math.Max(1, status.BaseSize);
        if (current < config.AutoAofRewriteMinSize || (current * 100 / baseSize) - 100 < percentage) return;
        Console.WriteLine($"Starting automatic rewriting of AOF on {(current * 100 / baseSize) - 100}% growth");
        _ = RunOnAllShards("BGREWRITEAOF");
    }

    /// <summary>
    /// serverCron: a rewrite asked for during a background save, or a BGSAVE SCHEDULE during a rewrite, starts once
    /// neither runs (Redis runs one child at a time).
    /// </summary>
    private void StartScheduledBackgroundWork()
    {
        if (_shards == null || _state.Saves.InProgress || _state.Aof is { RewriteInProgress: true }) return;
        // The flags stay set (INFO shows them) until the command starts the work and clears them.
        if (_state.Aof is { RewriteScheduled: true }) _ = RunOnAllShards("BGREWRITEAOF");
        else if (_state.Saves.Scheduled) _ = RunOnAllShards("BGSAVE");
    }

    /// <summary>The CONFIG SET appendonly yes the last rewrite started by <see cref="MaybeStartAppendOnly"/> answered.</summary>
    private int _appendOnlyStarted;
    private int _appendOnlyStarting;

    /// <summary>Whether CONFIG SET appendonly yes waits for its rewrite (INFO aof_rewrite_scheduled).</summary>
    private bool AppendOnlyRewriteScheduled => config.AppendOnly && Volatile.Read(ref config.AppendOnlyTurnedOn) != Volatile.Read(ref _appendOnlyStarted);

    /// <summary>
    /// startAppendOnly: after CONFIG SET appendonly yes, a rewrite, from whose snapshot the shards journal again (see
    /// AofCommands); tried again each second while another rewrite runs.
    /// </summary>
    private void MaybeStartAppendOnly()
    {
        int wanted = Volatile.Read(ref config.AppendOnlyTurnedOn);
        if (!AppendOnlyRewriteScheduled || _state.Aof is not { RewriteInProgress: false } || _shards == null ||
            Interlocked.Exchange(ref _appendOnlyStarting, 1) == 1) return;
        RunOnAllShards("BGREWRITEAOF").ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully && t.Result.StartsWith('+')) Volatile.Write(ref _appendOnlyStarted, wanted);
            Volatile.Write(ref _appendOnlyStarting, 0);
        }, TaskScheduler.Default);
    }

    /// <summary>clientsCronHandleTimeout: a client idle longer than timeout seconds, and not blocked, is closed.</summary>
    private void CloseIdleClients()
    {
        long limitMs = config.Timeout * 1000L;
        if (limitMs <= 0) return;
        long now = _state.Clock.NowMs;
        foreach (var client in _clients.Unordered)
            if (!client.IsBlocked && now - Volatile.Read(ref client.LastInteractionMs) > limitMs) client.Kill?.Invoke();
    }

    /// <summary>serverCron's save points: a BGSAVE when enough changes are old enough.</summary>
    private void MaybeSave()
    {
        var saves = _state.Saves;
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        long changes = _keyspace.Shards.Sum(s => Volatile.Read(ref s.Dirty));
        if (_shards == null || saves.InProgress || !config.Save.Due(changes, now, saves.LastSaveSeconds, saves.LastTrySeconds, saves.LastOk)) return;
        Console.WriteLine($"{changes} changes since the last save: saving in the background");
        _ = RunOnAllShards("BGSAVE");
    }

    /// <summary>
    /// unixsocket: its connections run through the same connection stage, their bytes read and written with the
    /// socket's own asynchronous calls (no thread waits on a connection). As in Redis, a Unix socket client's address is
    /// the socket's path with port 0, and it counts as local.
    /// </summary>
    private Network.UnixSocketListener ListenOnUnixSocket(ServerServices services, SessionCommandTable sessionCommands, IMaterializer materializer, ByteString tooMany)
    {
        var path = Path.GetFullPath(config.UnixSocket);
        var address = $"{path}:0";
        try
        {
            return Network.UnixSocketListener.Start(path, config.UnixSocketPerm, socket =>
            {
                Flow<ByteString, ByteString, NotUsed> flow;
                if (_clients.Count >= config.MaxClients)
                {
                    _clients.Rejected();
                    flow = Refusal(tooMany);
                }
                else flow = Flow.FromGraph(new ConnectionStage(services, sessionCommands, address, address));
                Network.UnixSocketListener.Reads(socket).Via(flow).RunWith(Network.UnixSocketListener.Writes(socket), materializer);
            });
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new InvalidOperationException($"Failed opening Unix socket: {e.Message}", e);
        }
    }

    private static string Format(EndPoint endPoint) => endPoint is IPEndPoint ip
        ? $"{(ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address)}:{ip.Port}"
        : endPoint.ToString() ?? "?";

    /// <summary>Redis's instantaneous_ops_per_sec: the mean of the last 16 samples taken every 100 ms.</summary>
    private void SampleOps()
    {
        long now = Environment.TickCount64;
        long commands = _keyspace.Shards.Sum(s => Volatile.Read(ref s.CommandsProcessed)) + _state.SessionCalls.Sum();
        long elapsed = Math.Max(1, now - _lastSampleMs);
        _opsSamples[_sampleIndex++ % _opsSamples.Length] = (commands - _lastCommands) * 1000 / elapsed;
        _lastCommands = commands;
        _lastSampleMs = now;
        _state.OpsPerSecond = _opsSamples.Sum() / _opsSamples.Length;
        _state.NoteMemory(GC.GetTotalMemory(false));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var signal in _signals) signal.Dispose();
        if (_saveOnStop) await SaveBeforeExit();
        _sampler?.Dispose();
        _cron?.Dispose();
        if (_binding is { } binding) await binding.Unbind();
        _unixListener?.Dispose();
        foreach (var client in _clients.All) client.Kill?.Invoke();
        // SHUTDOWN NOSAVE during a script that runs past its limit: the shard running it cannot stop, so neither could
        // the actor system; the process ends here, as redis-server exits without waiting for the script. Every
        // acknowledged write is already in the AOF file.
        if (_state.Script.IsBusy(_state.Clock.NowMs, config.BusyReplyThreshold))
        {
            Console.WriteLine("A script is still running: exiting without waiting for it. Bye bye...");
            Console.Out.Flush();
            PidFile.Remove(config);
            ExitNow(0);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "_exit")]
    private static extern void ExitNow(int status);

    /// <summary>The final RDB snapshot of a shutdown that saves (SHUTDOWN SAVE, save points, a signal's flags).</summary>
    private async Task SaveBeforeExit()
    {
        if (_shards == null || _services == null) return; // stopped while starting: nothing was served
        Console.WriteLine("Saving the final RDB snapshot before exiting.");
        try
        {
            var reply = await RunOnAllShards("SAVE");
            Console.WriteLine(reply.StartsWith('-') ? $"Error trying to save the DB before shutting down: {reply.Trim()}" : "DB saved on disk");
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException or TaskCanceledException)
        {
            Console.WriteLine($"Error trying to save the DB before shutting down: {e.Message}");
        }
    }

    public long ConnectedClients => _clients.Count;
    public long TotalConnections => _clients.TotalConnections;
    public long RejectedConnections => _clients.RejectedConnections;
    public long BlockedClients => _clients.BlockedCount;
    public long NetInputBytes => Interlocked.Read(ref _clients.NetInputBytes);
    public long NetOutputBytes => Interlocked.Read(ref _clients.NetOutputBytes);

    public void ResetStatistics() => _clients.ResetStatistics();

    public string ClusterInfo()
    {
        if (_clusterView?.Current is not { } placement) return "cluster_enabled:0\r\n";
        long processed = _keyspace.Shards.Sum(s => Volatile.Read(ref s.CommandsProcessed));
        long forwarded = Interlocked.Read(ref _state.ForwardedCommands);
        return new System.Text.StringBuilder()
            .Append("cluster_enabled:1\r\n")
            .Append($"akkaredis_cluster_nodes:{placement.Nodes.Length}\r\n")
            .Append($"akkaredis_cluster_members:{string.Join(",", placement.Nodes.Select(n => $"{n.Host}:{n.Port}@{n.BusPort}"))}\r\n")
            .Append($"akkaredis_keyspace_shards:{placement.Owners.Length}\r\n")
            .Append($"akkaredis_local_shards:{string.Join(",", placement.LocalShards)}\r\n")
            .Append($"akkaredis_unplaced_shards:{placement.Owners.Count(o => o == null)}\r\n")
            .Append($"akkaredis_forwarded_commands:{forwarded}\r\n")
            .Append($"akkaredis_commands_run_here:{processed}\r\n")
            .ToString();
    }

    public string PersistenceInfo()
    {
        var aof = _state.Aof;
        var text = new System.Text.StringBuilder()
            .Append($"loading:{(_state.Loading ? 1 : 0)}\r\nasync_loading:0\r\n")
            .Append($"rdb_changes_since_last_save:{_keyspace.Shards.Sum(s => s.Dirty)}\r\n")
            .Append($"rdb_bgsave_in_progress:{(_state.Saves.InProgress ? 1 : 0)}\r\n")
            .Append($"rdb_last_save_time:{_state.Saves.LastSaveSeconds}\r\n")
            .Append($"rdb_last_bgsave_status:{(_state.Saves.LastOk ? "ok" : "err")}\r\nrdb_last_bgsave_time_sec:-1\r\nrdb_current_bgsave_time_sec:-1\r\n")
            .Append($"aof_enabled:{(aof != null && config.AppendOnly ? 1 : 0)}\r\n")
            .Append($"aof_rewrite_in_progress:{(aof?.RewriteInProgress == true ? 1 : 0)}\r\n")
            .Append($"aof_rewrite_scheduled:{(aof != null && (AppendOnlyRewriteScheduled || aof.RewriteScheduled) ? 1 : 0)}\r\n")
            .Append($"aof_last_rewrite_time_sec:{(aof == null || aof.LastRewriteMs < 0 ? -1 : aof.LastRewriteMs / 1000)}\r\n")
            .Append($"aof_current_rewrite_time_sec:{(aof?.RewriteInProgress == true ? (Environment.TickCount64 - aof.RewriteStartedMs) / 1000 : -1)}\r\n")
            .Append($"aof_last_bgrewrite_status:{(aof?.LastRewriteOk == false ? "err" : "ok")}\r\n")
            .Append($"aof_rewrites:{aof?.Rewrites ?? 0}\r\n")
            .Append($"aof_last_write_status:{(aof?.WriteError != null ? "err" : "ok")}\r\n")
            .Append("aof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n");
        if (aof != null)
        {
            text.Append($"aof_current_size:{aof.CurrentSize}\r\naof_base_size:{aof.BaseSize}\r\n")
                .Append("aof_pending_rewrite:0\r\naof_buffer_length:0\r\naof_pending_bio_fsync:0\r\n")
                // The writer fsyncs between its writes, never beside them, so no fsync is ever postponed.
                .Append("aof_delayed_fsync:0\r\n");
        }
        return text.ToString();
    }
}
