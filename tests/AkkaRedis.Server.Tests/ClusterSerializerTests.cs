using Akka.Actor;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Shards;
using AkkaRedis.Persistence;
using AkkaRedis.Server.Cluster;

namespace AkkaRedis.Server.Tests;

/// <summary>What crosses nodes comes back whole from our serializer: the messages of WATCH across nodes and BLMOVE deliveries.</summary>
public sealed class ClusterSerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serializer-test");
    private readonly ClusterSerializer _serializer;
    private readonly IActorRef _actor;

    public ClusterSerializerTests()
    {
        _serializer = new ClusterSerializer((ExtendedActorSystem)_system);
        _actor = _system.ActorOf(Props.Empty, "someone");
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private T RoundTrip<T>(T message) where T : notnull =>
        (T)_serializer.FromBinary(_serializer.ToBinary(message), _serializer.Manifest(message));

    private static byte[] B(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    [Fact]
    public void WatchTicketsTravelWithWatchLendingAndForgetting()
    {
        var ticket = new WatchTicket(_actor, 42);
        var watch = new ShardCommand(RedisServer.BuildCommands().Table.Find("watch")!, [B("WATCH"), B("k")], 3, false, 7, ticket);
        var batch = RoundTrip(new ShardBatch([watch], 1, _actor));
        Assert.Equal(ticket, batch.Commands[0].Payload);
        Assert.Equal(3, batch.Commands[0].Db);
        Assert.Equal(ticket, RoundTrip(new ForgetWatch(ticket)).Ticket);
        var lend = RoundTrip(new LendKeys([B("a"), B("b")], _actor, ticket));
        Assert.Equal(ticket, lend.Watch);
        Assert.Null(RoundTrip(new LendKeys([B("a")], _actor)).Watch);
        var lent = RoundTrip(new KeysLent(2, new AofBatch(B("*1\r\n$4\r\nPING\r\n"), 0, 0, 1), WatchFailed: true));
        Assert.True(lent.WatchFailed);
        Assert.Equal(2, lent.Shard);
    }

    [Fact]
    public void ADeliveryKeepsItsElementAndWhereTheReplyGoes()
    {
        var client = new BlockedClient(99, _actor) { Resp3 = true };
        var delivery = RoundTrip(new DeliverElement(5, B("dst"), B("element"), true, client, B("src"), false));
        Assert.Equal((5, "dst", "element", true, "src", false),
            (delivery.Db, Text(delivery.Key), Text(delivery.Element), delivery.ToLeft, Text(delivery.SourceKey), delivery.SourceLeft));
        Assert.Equal((99L, _actor, true), (delivery.Client!.Seq, delivery.Client.ReplyTo, delivery.Client.Resp3));
        Assert.Null(RoundTrip(new DeliverElement(0, B("d"), B("e"), false, null, B("s"), true)).Client);
    }

    [Fact]
    public void TrackingReadsAndInvalidationsCrossNodes()
    {
        var get = new ShardCommand(RedisServer.BuildCommands().Table.Find("get")!, [B("GET"), B("k")], 0, true, 9, Keyspace.Server.TrackedRead.Instance);
        Assert.Same(Keyspace.Server.TrackedRead.Instance, RoundTrip(new ShardBatch([get], 1, _actor)).Commands[0].Payload);
        var invalidation = RoundTrip(new Keyspace.Server.TrackingInvalidation([B("a"), B("b")], [true, false], Broadcast: true));
        Assert.Equal(["a", "b"], invalidation.Keys!.Select(Text));
        Assert.Equal([true, false], invalidation.BySelf!);
        Assert.True(invalidation.Broadcast);
        var flush = RoundTrip(new Keyspace.Server.TrackingInvalidation(null, null, Broadcast: false));
        Assert.Null(flush.Keys);
        var redirected = RoundTrip(new Keyspace.Server.RedirectedInvalidation([B("k")], OnePerKey: true));
        Assert.Equal(["k"], redirected.Keys!.Select(Text));
        Assert.True(redirected.OnePerKey);
        Assert.Null(RoundTrip(new Keyspace.Server.RedirectedInvalidation(null, OnePerKey: false)).Keys);
    }

    [Fact]
    public void APublishedMessageTravelsWithItsOrigin()
    {
        var published = RoundTrip(new ClusterPublish(B("news"), [0, 255, 10, 13], "akka.tcp://akkaredis@127.0.0.1:17001"));
        Assert.Equal(("news", "akka.tcp://akkaredis@127.0.0.1:17001"), (Text(published.Channel), published.Origin));
        Assert.Equal(new byte[] { 0, 255, 10, 13 }, published.Message);
        Assert.False(published.Sharded);
        Assert.True(RoundTrip(new ClusterPublish(B("s"), B("m"), "here", Sharded: true)).Sharded);
    }

    [Fact]
    public void ABlockAcrossNodesRegistersAndIsWokenWithItsRound()
    {
        var blpop = new ShardCommand(RedisServer.BuildCommands().Table.Find("blpop")!, [B("BLPOP"), B("a"), B("b"), B("0")], 2, true, 11);
        var wake = RoundTrip(new WakeWhenReady(blpop, 7, _actor));
        Assert.Equal((7L, _actor, "blpop", 2, true, 11L), (wake.Round, wake.Waker, wake.Command.Spec.Name, wake.Command.Db, wake.Command.Resp3, wake.Command.Seq));
        Assert.Equal(["BLPOP", "a", "b", "0"], wake.Command.Args.Select(Text));
        var registered = RoundTrip(new WakeRegistered(3, long.MaxValue, [(7, B("5-1")), (9, B("0-0"))]));
        Assert.Equal((3, long.MaxValue), (registered.Shard, registered.Round));
        Assert.Equal([(7, "5-1"), (9, "0-0")], registered.Resolved.Select(r => (r.Position, Text(r.Id))));
        Assert.Equal(new KeyReady(5), RoundTrip(new KeyReady(5)));
        Assert.Equal(_actor, RoundTrip(new StopWaking(_actor)).Waker);
    }

    private static string Text(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);
}
