using System.Net;
using Akka;
using Akka.Actor;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using AkkaRedis.Keyspace.Commands;
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
public sealed class RedisServer(ActorSystem system, ServerConfig config, IHostApplicationLifetime lifetime) : IHostedService, IServerInfoSource
{
    private readonly ClientRegistry _clients = new();
    private Akka.Streams.Dsl.Tcp.ServerBinding? _binding;
    private Timer? _sampler;
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
        var session = new SessionCommandTable();
        ConnectionCommands.Register(session);
        ClientCommands.Register(session);
        ConfigCommands.Register(session);
        CommandCommands.Register(session);
        ShutdownCommand.Register(session);
        ClusterCommands.Register(session);
        TransactionCommands.Register(session);
        session.RegisterInto(builder);
        var table = builder.Build();
        session.Bind(table);
        return (table, session);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (table, sessionCommands) = BuildCommands();
        _state = new ServerState(config, SystemClock.Instance) { Commands = table, Info = this };
        _state.SizeStatistics();
        _keyspace = new Keyspace.Data.Keyspace(config.Shards, config.Databases);
        var shards = new IActorRef[config.Shards];
        for (int i = 0; i < shards.Length; i++)
            shards[i] = system.ActorOf(KeyspaceShard.Props(_keyspace, i, _state, shards), $"shard-{i}");

        var services = new ServerServices(_state, _keyspace, shards, _clients, reason =>
        {
            Console.WriteLine($"Shutting down: {reason}");
            lifetime.StopApplication();
        });

        var materializer = system.Materializer();
        var tooMany = ByteString.FromString("-ERR max number of clients reached\r\n");
        _binding = await system.TcpStream()
            .Bind(config.Bind, config.Port, backlog: 511)
            .To(Sink.ForEach<Akka.Streams.Dsl.Tcp.IncomingConnection>(connection =>
            {
                if (_clients.Count >= config.MaxClients)
                {
                    _clients.Rejected();
                    connection.HandleWith(Flow.FromSinkAndSource(Sink.Ignore<ByteString>().MapMaterializedValue(_ => NotUsed.Instance), Source.Single(tooMany)), materializer);
                    return;
                }
                var stage = new ConnectionStage(services, sessionCommands, Format(connection.RemoteAddress), Format(connection.LocalAddress));
                connection.HandleWith(Flow.FromGraph(stage), materializer);
            }))
            .Run(materializer);
        TcpPort = (_binding.Value.LocalAddress as IPEndPoint)?.Port ?? config.Port;
        _lastSampleMs = Environment.TickCount64;
        _sampler = new Timer(_ => SampleOps(), null, 100, 100);
        Console.WriteLine($"AkkaRedis {typeof(RedisServer).Assembly.GetName().Version?.ToString(3)} (Redis {ServerState.Version} compatible) " +
                          $"ready to accept connections on {config.Bind}:{TcpPort}, shards={config.Shards}, databases={config.Databases}, " +
                          $"persistence={(config.AppendOnly ? "aof appendfsync " + config.AppendFsync : "none (in memory)")}");
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
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _sampler?.Dispose();
        if (_binding is { } binding) await binding.Unbind();
        foreach (var client in _clients.All) client.Kill?.Invoke();
    }

    public long ConnectedClients => _clients.Count;
    public long TotalConnections => _clients.TotalConnections;
    public long RejectedConnections => _clients.RejectedConnections;
    public long BlockedClients => _clients.BlockedCount;
    public long NetInputBytes => Interlocked.Read(ref _clients.NetInputBytes);
    public long NetOutputBytes => Interlocked.Read(ref _clients.NetOutputBytes);

    public void ResetStatistics() => _clients.ResetStatistics();

    public string PersistenceInfo() =>
        "loading:0\r\nasync_loading:0\r\n" +
        $"rdb_changes_since_last_save:{_keyspace.Shards.Sum(s => s.Dirty)}\r\n" +
        "rdb_bgsave_in_progress:0\r\n" +
        $"rdb_last_save_time:{_state.StartTimeMs / 1000}\r\n" +
        "rdb_last_bgsave_status:ok\r\n" +
        $"aof_enabled:{(config.AppendOnly ? 1 : 0)}\r\n" +
        "aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\naof_last_rewrite_time_sec:-1\r\n" +
        "aof_last_bgrewrite_status:ok\r\naof_last_write_status:ok\r\n";
}
