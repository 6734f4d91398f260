using Akka.Actor;
using Akka.Serialization;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Keyspace.Shards;
using AkkaRedis.Persistence;

namespace AkkaRedis.Server.Cluster;

/// <summary>
/// Everything of ours that crosses nodes or goes to the shared journal, in a compact binary form: commands as
/// their arguments, replies as the RESP bytes they already are, journal events as their AOF text. Bound in
/// hocon/cluster.conf; no JSON or Hyperion on the data path.
///
/// Only what can work on another node travels: a command with connection state attached (EXEC, a blocking pop) never
/// leaves its node (the connection redirects those with MOVED, or runs EXEC as a lending hold whose messages carry keys
/// and effects as AOF text), a WATCH travels with a ticket for its connection's watch (not the watch itself), and the in-process hold protocol's messages, which carry in-process
/// references, are refused here rather than sent half-working.
/// </summary>
public sealed class ClusterSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    private const string Envelope = "E", Batch = "B", Replies = "R", Await = "A", Ready = "Y", Stop = "S", Journal = "J", Probe = "P", Probed = "Q",
        Lend = "L", Lent = "K", Apply = "X", Applied = "D", ReleaseLend = "U",
        Block = "BF", Registered = "BR", Cancel = "BC", NotHere = "BN", Forget = "W", Deliver = "V", Published = "PS",
        Wake = "WW", WakeAck = "WR", Woken = "WK", WakeStop = "WS", Invalidate = "TI", Redirected = "TR";

    /// <summary>Every node builds the same command table; a command travels as its arguments and is looked up again.</summary>
    private static readonly Lazy<CommandTable> Commands = new(() => RedisServer.BuildCommands().Table);

    public override int Identifier => 7301;

    public override string Manifest(object o) => o switch
    {
        ShardEnvelope => Envelope,
        ShardBatch => Batch,
        ShardReplies => Replies,
        AwaitReady => Await,
        ShardReady => Ready,
        ShardStop => Stop,
        AofBatch => Journal,
        ShardProbe => Probe,
        ProbeReply => Probed,
        LendKeys => Lend,
        KeysLent => Lent,
        ApplyLent => Apply,
        LentApplied => Applied,
        ReleaseLent => ReleaseLend,
        BlockFor => Block,
        BlockRegistered => Registered,
        BlockCancel => Cancel,
        NotBlocked => NotHere,
        ForgetWatch => Forget,
        DeliverElement => Deliver,
        ClusterPublish => Published,
        WakeWhenReady => Wake,
        WakeRegistered => WakeAck,
        KeyReady => Woken,
        StopWaking => WakeStop,
        TrackingInvalidation => Invalidate,
        RedirectedInvalidation => Redirected,
        _ => throw new ArgumentException($"{o.GetType().Name} does not cross nodes: it carries in-process state"),
    };

    public override byte[] ToBinary(object obj)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream))
        {
            switch (obj)
            {
                case ShardEnvelope envelope:
                    var serializer = system.Serialization.FindSerializerFor(envelope.Message);
                    w.Write(envelope.Shard);
                    w.Write(serializer.Identifier);
                    w.Write(Akka.Serialization.Serialization.ManifestFor(serializer, envelope.Message));
                    WriteBytes(w, serializer.ToBinary(envelope.Message));
                    break;
                case ShardBatch batch:
                    WriteRef(w, batch.ReplyTo);
                    w.Write(batch.Count);
                    for (int i = 0; i < batch.Count; i++) WriteCommand(w, batch.Commands[i]);
                    break;
                case BlockFor block:
                    WriteRef(w, block.Relay);
                    WriteCommand(w, block.Command);
                    break;
                case BlockRegistered registered:
                    w.Write(registered.Shard);
                    break;
                case BlockCancel cancel:
                    WriteRef(w, cancel.Relay);
                    WriteBytes(w, cancel.Reply);
                    break;
                case NotBlocked notHere:
                    w.Write(notHere.Shard);
                    break;
                case WakeWhenReady wake:
                    WriteRef(w, wake.Waker);
                    w.Write(wake.Round);
                    WriteCommand(w, wake.Command);
                    break;
                case WakeRegistered wakeAck:
                    w.Write(wakeAck.Shard);
                    w.Write(wakeAck.Round);
                    w.Write(wakeAck.Resolved.Length);
                    foreach (var (position, id) in wakeAck.Resolved)
                    {
                        w.Write(position);
                        WriteBytes(w, id);
                    }
                    break;
                case KeyReady woken:
                    w.Write(woken.Shard);
                    break;
                case StopWaking stopWaking:
                    WriteRef(w, stopWaking.Waker);
                    break;
                case ShardReplies replies:
                    w.Write(replies.Count);
                    for (int i = 0; i < replies.Count; i++)
                    {
                        w.Write(replies.Seqs[i]);
                        w.Write(replies.Ends[i]);
                    }
                    WriteBytes(w, replies.Buffer.AsSpan(0, replies.Count == 0 ? 0 : replies.Ends[replies.Count - 1]));
                    break;
                case ShardReady ready:
                    w.Write(ready.Shard);
                    w.Write(ready.Keys);
                    break;
                case AofBatch aof:
                    WriteAof(w, aof);
                    break;
                case LendKeys lend:
                    WriteRef(w, lend.Runner);
                    WriteByteArrays(w, lend.Keys);
                    WriteTicket(w, lend.Watch);
                    break;
                case KeysLent lent:
                    w.Write(lent.Shard);
                    WriteAof(w, lent.State);
                    w.Write(lent.WatchFailed);
                    break;
                case ForgetWatch forget:
                    WriteTicket(w, forget.Ticket);
                    break;
                case DeliverElement delivery:
                    // The element a BLMOVE popped, for a destination shard that moved to another node meanwhile: of the
                    // blocked client only where its reply goes travels.
                    w.Write(delivery.Db);
                    WriteBytes(w, delivery.Key);
                    WriteBytes(w, delivery.Element);
                    w.Write(delivery.ToLeft);
                    WriteBytes(w, delivery.SourceKey);
                    w.Write(delivery.SourceLeft);
                    w.Write(delivery.Client != null);
                    if (delivery.Client is not { } client) break;
                    WriteRef(w, client.ReplyTo);
                    w.Write(client.Seq);
                    w.Write(client.Resp3);
                    break;
                case ApplyLent apply:
                    WriteRef(w, apply.Runner);
                    w.Write(apply.Effects != null);
                    if (apply.Effects != null) WriteAof(w, apply.Effects);
                    break;
                case LentApplied applied:
                    w.Write(applied.Shard);
                    break;
                case ReleaseLent release:
                    WriteRef(w, release.Runner);
                    break;
                case ShardProbe probe:
                    w.Write(probe.Token);
                    WriteRef(w, probe.ReplyTo);
                    break;
                case ProbeReply probed:
                    w.Write(probed.Shard);
                    w.Write(probed.Token);
                    break;
                case ClusterPublish published:
                    WriteBytes(w, published.Channel);
                    WriteBytes(w, published.Message);
                    w.Write(published.Origin);
                    w.Write(published.Sharded);
                    break;
                case TrackingInvalidation invalidation:
                    WriteByteArrays(w, invalidation.Keys);
                    foreach (bool self in invalidation.BySelf ?? []) w.Write(self);
                    w.Write(invalidation.Broadcast);
                    break;
                case RedirectedInvalidation redirected:
                    WriteByteArrays(w, redirected.Keys);
                    w.Write(redirected.OnePerKey);
                    break;
                case AwaitReady or ShardStop:
                    break;
                default:
                    Manifest(obj); // throws with the reason
                    break;
            }
        }
        return stream.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        switch (manifest)
        {
            case Envelope:
                int shard = r.ReadInt32();
                int serializerId = r.ReadInt32();
                string innerManifest = r.ReadString();
                var inner = system.Serialization.Deserialize(ReadBytes(r), serializerId, innerManifest);
                return new ShardEnvelope(shard, inner);
            case Batch:
                var replyTo = ReadRef(r);
                int count = r.ReadInt32();
                var commands = new ShardCommand[count];
                for (int i = 0; i < count; i++) commands[i] = ReadCommand(r);
                return new ShardBatch(commands, count, replyTo);
            case Block:
                var relay = ReadRef(r);
                return new BlockFor(ReadCommand(r), relay);
            case Registered:
                return new BlockRegistered(r.ReadInt32());
            case Cancel:
                var cancelRelay = ReadRef(r);
                return new BlockCancel(cancelRelay, ReadBytes(r));
            case NotHere:
                return new NotBlocked(r.ReadInt32());
            case Wake:
                var waker = ReadRef(r);
                long round = r.ReadInt64();
                return new WakeWhenReady(ReadCommand(r), round, waker);
            case WakeAck:
            {
                int wakeShard = r.ReadInt32();
                long wakeRound = r.ReadInt64();
                var resolved = new (int, byte[])[r.ReadInt32()];
                for (int i = 0; i < resolved.Length; i++) resolved[i] = (r.ReadInt32(), ReadBytes(r));
                return new WakeRegistered(wakeShard, wakeRound, resolved);
            }
            case Woken:
                return new KeyReady(r.ReadInt32());
            case WakeStop:
                return new StopWaking(ReadRef(r));
            case Replies:
                int n = r.ReadInt32();
                var seqs = new long[n];
                var ends = new int[n];
                for (int i = 0; i < n; i++)
                {
                    seqs[i] = r.ReadInt64();
                    ends[i] = r.ReadInt32();
                }
                return new ShardReplies(ReadBytes(r), seqs, ends, n);
            case Await:
                return AwaitReady.Instance;
            case Ready:
                return new ShardReady(r.ReadInt32(), r.ReadInt64());
            case Stop:
                return ShardStop.Instance;
            case Probe:
                long token = r.ReadInt64();
                return new ShardProbe(token, ReadRef(r));
            case Probed:
                return new ProbeReply(r.ReadInt32(), r.ReadInt64());
            case Journal:
                return ReadAof(r);
            case Lend:
                var runner = ReadRef(r);
                return new LendKeys(ReadByteArrays(r)!, runner, ReadTicket(r));
            case Lent:
                return new KeysLent(r.ReadInt32(), ReadAof(r), r.ReadBoolean());
            case Forget:
                return new ForgetWatch(ReadTicket(r)!);
            case Published:
                return new ClusterPublish(ReadBytes(r), ReadBytes(r), r.ReadString(), r.ReadBoolean());
            case Invalidate:
            {
                var invalidated = ReadByteArrays(r);
                bool[]? bySelf = invalidated == null ? null : [.. invalidated.Select(_ => r.ReadBoolean())];
                return new TrackingInvalidation(invalidated, bySelf, r.ReadBoolean());
            }
            case Redirected:
                return new RedirectedInvalidation(ReadByteArrays(r), r.ReadBoolean());
            case Deliver:
            {
                int db = r.ReadInt32();
                var key = ReadBytes(r);
                var element = ReadBytes(r);
                bool toLeft = r.ReadBoolean();
                var sourceKey = ReadBytes(r);
                bool sourceLeft = r.ReadBoolean();
                BlockedClient? client = null;
                if (r.ReadBoolean())
                {
                    var clientReplyTo = ReadRef(r);
                    client = new BlockedClient(r.ReadInt64(), clientReplyTo) { Resp3 = r.ReadBoolean() };
                }
                return new DeliverElement(db, key, element, toLeft, client, sourceKey, sourceLeft);
            }
            case Apply:
                var applyRunner = ReadRef(r);
                return new ApplyLent(r.ReadBoolean() ? ReadAof(r) : null, applyRunner);
            case Applied:
                return new LentApplied(r.ReadInt32());
            case ReleaseLend:
                return new ReleaseLent(ReadRef(r));
            default:
                throw new ArgumentException($"Unknown manifest '{manifest}'");
        }
    }

    private static void WriteBytes(BinaryWriter w, ReadOnlySpan<byte> bytes)
    {
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    private static byte[] ReadBytes(BinaryReader r) => r.ReadBytes(r.ReadInt32());

    /// <summary>Arguments or keys: their count, then each; null (CLIENT TRACKING's flush) as a count of -1.</summary>
    private static void WriteByteArrays(BinaryWriter w, byte[][]? arrays)
    {
        w.Write(arrays?.Length ?? -1);
        foreach (var array in arrays ?? []) WriteBytes(w, array);
    }

    private static byte[][]? ReadByteArrays(BinaryReader r)
    {
        int count = r.ReadInt32();
        if (count < 0) return null;
        var arrays = new byte[count][];
        for (int i = 0; i < count; i++) arrays[i] = ReadBytes(r);
        return arrays;
    }

    /// <summary>A command's arguments; of connection state only a WATCH's ticket travels (see <see cref="WatchTicket"/>).</summary>
    private static void WriteCommand(BinaryWriter w, in ShardCommand command)
    {
        if (command.Payload is not (null or WatchTicket or TrackedRead)) throw new ArgumentException($"{command.Spec.Name} carries connection state and cannot run on another node");
        w.Write(command.Db);
        w.Write(command.Resp3);
        w.Write(command.Seq);
        WriteByteArrays(w, command.Args);
        WriteTicket(w, command.Payload as WatchTicket);
        w.Write(command.Payload is TrackedRead);
    }

    private ShardCommand ReadCommand(BinaryReader r)
    {
        int db = r.ReadInt32();
        bool resp3 = r.ReadBoolean();
        long seq = r.ReadInt64();
        var args = ReadByteArrays(r)!;
        var spec = Commands.Value.FindCommand(args) ?? throw new ArgumentException("unknown command from another node");
        object? payload = ReadTicket(r);
        if (r.ReadBoolean()) payload = TrackedRead.Instance;
        return new ShardCommand(spec, args, db, resp3, seq, payload);
    }

    private static void WriteTicket(BinaryWriter w, WatchTicket? ticket)
    {
        w.Write(ticket != null);
        if (ticket == null) return;
        WriteRef(w, ticket.Watcher);
        w.Write(ticket.Generation);
    }

    private WatchTicket? ReadTicket(BinaryReader r)
    {
        if (!r.ReadBoolean()) return null;
        var watcher = ReadRef(r);
        return new WatchTicket(watcher, r.ReadInt64());
    }

    private static void WriteAof(BinaryWriter w, AofBatch aof)
    {
        w.Write(aof.FirstDb);
        w.Write(aof.LastDb);
        w.Write(aof.Units);
        WriteBytes(w, aof.Resp);
    }

    private static AofBatch ReadAof(BinaryReader r)
    {
        int firstDb = r.ReadInt32();
        int lastDb = r.ReadInt32();
        int units = r.ReadInt32();
        return new AofBatch(ReadBytes(r), firstDb, lastDb, units);
    }

    private static void WriteRef(BinaryWriter w, IActorRef actor) => w.Write(Akka.Serialization.Serialization.SerializedActorPath(actor));

    private IActorRef ReadRef(BinaryReader r) => system.Provider.ResolveActorRef(r.ReadString());
}
