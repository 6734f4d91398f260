using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Keyspace.Shards;
using AkkaRedis.Protocol;
using AkkaRedis.Server.Network;
using AkkaRedis.Server.Sessions;

namespace AkkaRedis.Server;

/// <summary>
/// Runs the request path before the first client comes, so the JIT has compiled it fully by then. .NET starts every
/// method as unoptimised code and recompiles the hot ones in the background after they have run a while; a client that
/// starts at once pays for that. Measured on 2 cores, the first redis-benchmark run against a fresh server (SET -P 16,
/// 200k requests) reached 410-625k requests/s, against 1.4M once warm; redis-server serves its first run at full speed.
/// After this warm-up the first run reaches 0.97-1.14M. At -P 1 the first run was not slower to begin with.
///
/// The warm-up is a server of its own: its own command table, statistics, clients and shards, with nothing persisted,
/// on a listener of its own on a free loopback port. Only the compiled code is shared. One connection sends the commands
/// redis-benchmark and most clients send (one at a time and pipelined) until the JIT has little left to compile, then it
/// all stops. The real listener opens afterwards.
/// </summary>
public static class JitWarmUp
{
    /// <summary>The warm-up stops after this long even if the JIT is still compiling.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Compiled-method counts are compared over windows this long; a window with fewer new methods than
    /// <see cref="QuietMethods"/> ends the warm-up. Measured on 2 cores: that is 0.7 s in; waiting for the last method
    /// (1.2-1.8 s, after a few hundred more) gave the same first-run throughput.
    /// </summary>
    private static readonly TimeSpan QuietWindow = TimeSpan.FromMilliseconds(150);
    private const int QuietMethods = 400;

    public static async Task RunAsync(ActorSystem system, ServerConfig config, Action<string>? log = null)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var privateConfig = new ServerConfig { Shards = config.Shards, Databases = config.Databases };
        var (table, sessionCommands) = RedisServer.BuildCommands();
        var state = new ServerState(privateConfig, SystemClock.Instance) { Commands = table };
        state.SizeStatistics();
        var keyspace = new Keyspace.Data.Keyspace(privateConfig.Shards, privateConfig.Databases);
        var shards = new IActorRef[privateConfig.Shards];
        for (int i = 0; i < shards.Length; i++)
            shards[i] = system.ActorOf(KeyspaceShard.Props(keyspace, i, state, shards), $"warm-up-shard-{i}");
        var services = new ServerServices(state, keyspace, shards, new ClientRegistry(), (_, _) => { });
        var materializer = system.Materializer();
        var binding = await system.TcpStream()
            .Bind("127.0.0.1", 0)
            .To(Sink.ForEach<Akka.Streams.Dsl.Tcp.IncomingConnection>(connection =>
                connection.HandleWith(Flow.FromGraph(new ConnectionStage(services, sessionCommands, "warm-up", "warm-up")), materializer)))
            .Run(materializer);
        long sent = 0;
        try
        {
            var endPoint = (IPEndPoint)binding.LocalAddress;
            using var stop = new CancellationTokenSource(Budget);
            var client = Task.Run(() => Client(endPoint, stop.Token));
            long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(QuietWindow);
                long now = System.Runtime.JitInfo.GetCompiledMethodCount();
                if (now - compiled < QuietMethods) break;
                compiled = now;
            }
            await stop.CancelAsync();
            sent = await client;
        }
        finally
        {
            await binding.Unbind();
            foreach (var shard in shards) system.Stop(shard);
        }
        log?.Invoke($"Warmed up the request path with {sent} commands in {watch.ElapsedMilliseconds} ms");
    }

    /// <summary>Sends rounds of commands until stopped: a round is each command alone, then the same sixteen at a time.</summary>
    private static async Task<long> Client(IPEndPoint endPoint, CancellationToken stop)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint, CancellationToken.None);
        var commands = Round();
        byte[][] singles = [.. commands.Select(command => (byte[])[.. command, .. EndMarker])];
        byte[][] pipelined = [.. commands.Chunk(16).Select(group => (byte[])[.. group.SelectMany(command => command), .. EndMarker])];
        var buffer = new byte[64 * 1024];
        long sent = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var request in singles) await Exchange(socket, request, buffer, stop);
                foreach (var request in pipelined) await Exchange(socket, request, buffer, stop);
                sent += 2 * commands.Length;
            }
        }
        catch (OperationCanceledException)
        {
            // Time is up, even for a reply that would never come.
        }
        catch (SocketException)
        {
            // The warm-up server went away: nothing to warm any more.
        }
        return sent;
    }

    /// <summary>Ends every request, so its replies are known to be complete when the marker's comes back.</summary>
    private static readonly byte[] EndMarker = Encode(["ECHO", "warm-up-end"]);
    private static readonly byte[] EndReply = "$11\r\nwarm-up-end\r\n"u8.ToArray();

    /// <summary>Sends a request and reads its replies, up to the end marker's.</summary>
    private static async Task Exchange(Socket socket, byte[] request, byte[] buffer, CancellationToken stop)
    {
        await socket.SendAsync(request, SocketFlags.None, stop);
        byte[] tail = [];
        while (true)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop);
            if (read == 0) throw new SocketException((int)SocketError.ConnectionReset);
            // The stream's last bytes, as many as the end marker's reply has.
            tail = [.. tail, .. buffer.AsSpan(0, read)];
            if (tail.Length > EndReply.Length) tail = tail[^EndReply.Length..];
            if (tail.AsSpan().SequenceEqual(EndReply)) return;
        }
    }

    /// <summary>What redis-benchmark's tests and a typical client send.</summary>
    private static byte[][] Round()
    {
        const string key = "key", list = "list", set = "set", hash = "hash", zset = "zset", counter = "counter";
        string[][] commands =
        [
            ["PING"], ["SET", key, "xxx"], ["GET", key], ["INCR", counter], ["LPUSH", list, "xxx"], ["RPUSH", list, "xxx"],
            ["LPOP", list], ["RPOP", list], ["SADD", set, "element:1"], ["HSET", hash, "element:1", "xxx"], ["SPOP", set],
            ["ZADD", zset, "1", "element:1"], ["ZPOPMIN", zset], ["LPUSH", list, "a", "b", "c", "d", "e", "f", "g", "h"],
            ["LRANGE", list, "0", "99"], ["LTRIM", list, "0", "99"], ["MSET", "a", "1", "b", "2", "c", "3"], ["MGET", key, counter],
            ["DEL", key], ["EXISTS", key], ["EXPIRE", counter, "100"], ["TTL", counter], ["HGET", hash, "element:1"],
            ["HGETALL", hash], ["SMEMBERS", set], ["ZRANGE", zset, "0", "-1"], ["DECR", counter], ["INCRBY", counter, "5"],
        ];
        return commands.Select(Encode).ToArray();
    }

    /// <summary>A request is what a reply of bulk strings is: an array of them.</summary>
    private static byte[] Encode(string[] args)
    {
        var request = new RespWriter();
        request.WriteArrayHeader(args.Length);
        foreach (var arg in args) request.WriteBulk(arg);
        return request.ToArray();
    }
}
