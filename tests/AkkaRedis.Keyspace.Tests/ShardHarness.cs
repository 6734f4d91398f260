using System.Text;
using Akka.Actor;
using Akka.TestKit;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Journal;
using AkkaRedis.Persistence;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Keyspace.Shards;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>Real KeyspaceShard actors over a small keyspace, driven the way the connection stage drives them, with a manual clock.</summary>
public sealed class ShardHarness
{
    private readonly TestKitBase _kit;
    private long _seq;

    /// <summary>
    /// Starts <paramref name="shards"/> shards. With <paramref name="appendOnly"/> they journal to the AOF journal the kit's
    /// system is configured with (see <see cref="JournalConfig"/>) and replay it first.
    /// </summary>
    public ShardHarness(TestKitBase kit, int shards = 3, bool appendOnly = false, ManualClock? clock = null)
    {
        _kit = kit;
        Clock = clock ?? new ManualClock();
        Config = new ServerConfig { Shards = shards, AppendOnly = appendOnly };
        Table = KeyspaceCommands.Register(new CommandTable.Builder()).Build();
        State = new ServerState(Config, Clock) { Commands = Table };
        State.SizeStatistics();
        Keyspace = new Data.Keyspace(shards, 16);
        if (appendOnly)
        {
            var runtime = AofRuntime.For(kit.Sys);
            runtime.Router = new KeyRouter(Table, Keyspace.SlotOwner, shards);
            State.Aof = runtime.Status;
            State.Journal = Akka.Persistence.Persistence.Instance.Apply(kit.Sys).JournalFor(KeyspaceShard.JournalPlugin);
            State.Journal.Tell(LoadAof.Instance, kit.TestActor);
            kit.ExpectMsg<AofLoaded>(TimeSpan.FromSeconds(10));
        }
        Shards = new IActorRef[shards];
        for (int i = 0; i < shards; i++) Shards[i] = kit.Sys.ActorOf(KeyspaceShard.Props(Keyspace, i, State, Shards));
        foreach (var shard in Shards)
        {
            shard.Tell(AwaitReady.Instance, kit.TestActor);
            kit.ExpectMsg<ShardReady>(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>
    /// HOCON for an actor system whose shards journal to an AOF in <paramref name="directory"/>: the server's
    /// hocon/akkaredis.conf with the directory and fsync policy the server would fill in from its flags.
    /// </summary>
    public static Akka.Configuration.Config JournalConfig(string directory, string fsync = "always") =>
        Akka.Configuration.ConfigurationFactory.ParseString($"akkaredis.journal {{ dir = \"{directory}\", appendfsync = {fsync} }}")
            .WithFallback(Akka.Configuration.ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "akkaredis.conf"))));

    public ManualClock Clock { get; }
    public ServerConfig Config { get; }
    public CommandTable Table { get; }
    public ServerState State { get; }
    public Data.Keyspace Keyspace { get; }
    public IActorRef[] Shards { get; }
    public int Db { get; set; }
    public bool Resp3 { get; set; }

    /// <summary>Runs one command and returns its raw RESP reply.</summary>
    public string Run(params string[] args) => Run(args.Select(a => Encoding.UTF8.GetBytes(a)).ToArray());

    public string Run(byte[][] args)
    {
        var (spec, error) = Table.Resolve(args);
        if (error != null) return "-" + error + "\r\n";
        var command = new ShardCommand(spec!, args, Db, Resp3, ++_seq);
        int shard = Routing.ShardFor(spec!, args, Keyspace.SlotOwner, Enumerable.Range(0, Shards.Length).ToArray(), out var several);
        if (several != null) CrossShard.Start(Shards, several, command, _kit.TestActor);
        else Shards[shard].Tell(new ShardBatch([command], 1, _kit.TestActor), _kit.TestActor);
        var replies = _kit.ExpectMsg<ShardReplies>(TimeSpan.FromSeconds(5));
        Assert.Equal(_seq, replies.Seqs[0]);
        return Encoding.UTF8.GetString(replies.Buffer, 0, replies.Ends[0]);
    }

    /// <summary>Sends one command (of one shard or several) whose reply goes to <paramref name="replyTo"/>; returns its sequence number.</summary>
    public long SendFor(IActorRef replyTo, params string[] args)
    {
        var bytes = args.Select(a => Encoding.UTF8.GetBytes(a)).ToArray();
        var (spec, error) = Table.Resolve(bytes);
        Assert.Null(error);
        var command = new ShardCommand(spec!, bytes, Db, Resp3, ++_seq);
        int shard = Routing.ShardFor(spec!, bytes, Keyspace.SlotOwner, Enumerable.Range(0, Shards.Length).ToArray(), out var several);
        if (several != null) CrossShard.Start(Shards, several, command, replyTo);
        else Shards[shard].Tell(new ShardBatch([command], 1, replyTo), replyTo);
        return _seq;
    }

    /// <summary>Sends one single-shard command as its own batch without waiting for the reply; returns its sequence number.</summary>
    public long Send(params string[] args) => SendBatch([args])[0];

    /// <summary>Sends commands of one shard as one batch (a pipelined read) without waiting; returns their sequence numbers.</summary>
    public List<long> SendBatch(params string[][] commands)
    {
        var batch = new List<ShardCommand>();
        int shard = -1;
        foreach (var args in commands)
        {
            var bytes = args.Select(a => Encoding.UTF8.GetBytes(a)).ToArray();
            var (spec, error) = Table.Resolve(bytes);
            Assert.Null(error);
            int owner = Routing.ShardFor(spec!, bytes, Keyspace.SlotOwner, Enumerable.Range(0, Shards.Length).ToArray(), out var several, out int firstSlot);
            Assert.Null(several);
            Assert.True(shard < 0 || owner == shard, "a batch is for one shard");
            shard = owner;
            // With the first key's slot, as the connection stage sends them.
            batch.Add(new ShardCommand(spec!, bytes, Db, Resp3, ++_seq, FirstKeySlot: firstSlot));
        }
        Shards[shard].Tell(new ShardBatch(batch.ToArray(), batch.Count, _kit.TestActor), _kit.TestActor);
        return batch.Select(c => c.Seq).ToList();
    }

    /// <summary>The replies to <paramref name="count"/> commands sent with <see cref="Send"/>, by sequence number.</summary>
    public Dictionary<long, string> Replies(int count)
    {
        var replies = new Dictionary<long, string>();
        while (replies.Count < count)
        {
            var message = _kit.ExpectMsg<ShardReplies>(TimeSpan.FromSeconds(10));
            int start = 0;
            for (int i = 0; i < message.Count; i++)
            {
                replies.Add(message.Seqs[i], Encoding.UTF8.GetString(message.Buffer, start, message.Ends[i] - start));
                start = message.Ends[i];
            }
        }
        return replies;
    }

    /// <summary>Runs commands for one shard as one batch (a pipelined read) and returns their replies in order.</summary>
    public List<string> RunBatch(params string[][] commands)
    {
        var seqs = SendBatch(commands);
        var replies = Replies(seqs.Count);
        return seqs.Select(seq => replies[seq]).ToList();
    }

    /// <summary>A key name that hashes to <paramref name="shard"/>.</summary>
    public string KeyOn(int shard, string prefix = "k")
    {
        for (int i = 0; ; i++)
        {
            var key = prefix + i;
            if (Keyspace.ShardOf(Encoding.UTF8.GetBytes(key)) == shard) return key;
        }
    }

    public void ExpireCycle()
    {
        foreach (var shard in Shards) shard.Tell(ExpireTick.Instance);
    }
}
