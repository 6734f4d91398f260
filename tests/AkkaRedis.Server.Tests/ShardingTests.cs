using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Keyspace.Shards;
using AkkaRedis.Server.Cluster;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// The keyspace shards as Cluster Sharding entities, at the actor level: two actor systems in this process joined
/// over loopback, each with its shard region; commands sent on one node run on shards of both and answer back.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ShardingTests : Akka.TestKit.Xunit2.TestKit
{
    private sealed record Node(ActorSystem System, IActorRef[] Shards, ClusterView View, ServerState State);

    private static async Task<Node> StartNode(int clusterPort, int seedPort, int clientPort)
    {
        var config = new ServerConfig
        {
            Shards = 6,
            AppendOnly = false,
            ClusterPort = clusterPort,
            ClusterHostname = "127.0.0.1",
            ClusterSeeds = [$"127.0.0.1:{seedPort}"],
            Port = clientPort,
        };
        var hocon = ServerOptions.ClusterConfig(config, Path.Combine(AppContext.BaseDirectory, "hocon"))
            .WithFallback(ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var system = ActorSystem.Create(ServerOptions.SystemName, hocon);
        var state = new ServerState(config, SystemClock.Instance) { Commands = RedisServer.BuildCommands().Table };
        state.SizeStatistics();
        var keyspace = new Keyspace.Data.Keyspace(config.Shards, config.Databases);
        var (shards, view) = await KeyspaceCluster.StartAsync(system, keyspace, state);
        return new Node(system, shards, view, state);
    }

    private ShardCommand Command(Node node, long seq, params string[] args)
    {
        var bytes = args.Select(Encoding.UTF8.GetBytes).ToArray();
        return new ShardCommand(node.State.Commands.FindCommand(bytes)!, bytes, 0, false, seq);
    }

    private static string Text(ShardReplies replies, int i) =>
        Encoding.UTF8.GetString(replies.Buffer, i == 0 ? 0 : replies.Ends[i - 1], replies.Ends[i] - (i == 0 ? 0 : replies.Ends[i - 1]));

    [Fact]
    public async Task CommandsSentOnOneNodeRunOnShardsOfBothAndAnswerInOrder()
    {
        int portA = PostgresInstance.FreePort(), portB = PostgresInstance.FreePort();
        var a = await StartNode(portA, portA, 7001);
        var b = await StartNode(portB, portA, 7002);
        try
        {
            AwaitCondition(() => Akka.Cluster.Cluster.Get(b.System).State.Members.Count(m => m.Status == MemberStatus.Up) == 2, TimeSpan.FromSeconds(30));
            // Both nodes come to hold shards (rebalancing moves some to the node that joined second).
            AwaitCondition(() => a.View.Current.Complete && b.View.Current.Complete
                                 && a.View.Current.LocalShards.Length > 0 && b.View.Current.LocalShards.Length > 0
                                 && a.View.Current.LocalShards.Concat(b.View.Current.LocalShards).Order().SequenceEqual(Enumerable.Range(0, 6)),
                TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));

            var probeB = CreateTestProbe(b.System);
            for (int shard = 0; shard < 6; shard++)
            {
                b.Shards[shard].Tell(new ShardBatch([Command(b, 1, "SET", "k" + shard, "v" + shard), Command(b, 2, "GET", "k" + shard)], 2, probeB.Ref));
                var replies = probeB.ExpectMsg<ShardReplies>(TimeSpan.FromSeconds(10));
                Assert.Equal([1L, 2L], replies.Seqs.Take(replies.Count));
                Assert.Equal("+OK\r\n", Text(replies, 0));
                Assert.Equal($"$2\r\nv{shard}\r\n", Text(replies, 1));
            }

            // The same keys read through the other node, and a probe answered after them.
            var probeA = CreateTestProbe(a.System);
            for (int shard = 0; shard < 6; shard++)
            {
                a.Shards[shard].Tell(new ShardBatch([Command(a, 7, "GET", "k" + shard)], 1, probeA.Ref));
                a.Shards[shard].Tell(new ShardProbe(shard + 100, probeA.Ref));
                Assert.Equal($"$2\r\nv{shard}\r\n", Text(probeA.ExpectMsg<ShardReplies>(TimeSpan.FromSeconds(10)), 0));
                Assert.Equal(new ProbeReply(shard, shard + 100), probeA.ExpectMsg<ProbeReply>(TimeSpan.FromSeconds(10)));
            }
        }
        finally
        {
            await b.System.Terminate();
            await a.System.Terminate();
        }
    }
}
