using Akka.Actor;
using Akka.Serialization;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Shards;
using AkkaRedis.Persistence;

namespace AkkaRedis.Server.Cluster;

/// <summary>
/// Everything of ours that crosses nodes or goes to the shared journal, in a compact binary form: commands as
/// their arguments, replies as the RESP bytes they already are, journal events as their AOF text. Bound in
/// hocon/cluster.conf; no JSON or Hyperion on the data path.
///
/// Only what can work on another node travels: a command with connection state attached (WATCH, EXEC, a blocking
/// pop) never leaves its node (the connection redirects those with MOVED), and the hold protocol's messages,
/// which carry in-process references, are refused here rather than sent half-working.
/// </summary>
public sealed class ClusterSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    private const string Envelope = "E", Batch = "B", Replies = "R", Await = "A", Ready = "Y", Stop = "S", Journal = "J", Probe = "P", Probed = "Q";

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
                    w.Write(Akka.Serialization.Serialization.SerializedActorPath(batch.ReplyTo));
                    w.Write(batch.Count);
                    for (int i = 0; i < batch.Count; i++)
                    {
                        ref readonly var command = ref batch.Commands[i];
                        if (command.Payload != null) throw new ArgumentException($"{command.Spec.Name} carries connection state and cannot run on another node");
                        w.Write(command.Db);
                        w.Write(command.Resp3);
                        w.Write(command.Seq);
                        w.Write(command.Args.Length);
                        foreach (var arg in command.Args) WriteBytes(w, arg);
                    }
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
                    w.Write(aof.FirstDb);
                    w.Write(aof.LastDb);
                    w.Write(aof.Units);
                    WriteBytes(w, aof.Resp);
                    break;
                case ShardProbe probe:
                    w.Write(probe.Token);
                    w.Write(Akka.Serialization.Serialization.SerializedActorPath(probe.ReplyTo));
                    break;
                case ProbeReply probed:
                    w.Write(probed.Shard);
                    w.Write(probed.Token);
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
                var replyTo = system.Provider.ResolveActorRef(r.ReadString());
                int count = r.ReadInt32();
                var commands = new ShardCommand[count];
                for (int i = 0; i < count; i++)
                {
                    int db = r.ReadInt32();
                    bool resp3 = r.ReadBoolean();
                    long seq = r.ReadInt64();
                    var args = new byte[r.ReadInt32()][];
                    for (int a = 0; a < args.Length; a++) args[a] = ReadBytes(r);
                    var spec = Commands.Value.FindCommand(args) ?? throw new ArgumentException("unknown command from another node");
                    commands[i] = new ShardCommand(spec, args, db, resp3, seq);
                }
                return new ShardBatch(commands, count, replyTo);
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
                return new ShardProbe(token, system.Provider.ResolveActorRef(r.ReadString()));
            case Probed:
                return new ProbeReply(r.ReadInt32(), r.ReadInt64());
            case Journal:
                int firstDb = r.ReadInt32();
                int lastDb = r.ReadInt32();
                int units = r.ReadInt32();
                return new AofBatch(ReadBytes(r), firstDb, lastDb, units);
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
}
