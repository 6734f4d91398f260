using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Keyspace.Shards;
using AkkaRedis.Server.Cluster;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// The placement tracker at the actor level, with two actor systems joined over loopback.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PlacementTrackerTests : Akka.TestKit.Xunit2.TestKit
{
    private static ActorSystem StartSystem(int clusterPort, int seedPort, int clientPort)
    {
        var config = new ServerConfig
        {
            AppendOnly = false,
            ClusterPort = clusterPort,
            ClusterHostname = "127.0.0.1",
            ClusterSeeds = [$"127.0.0.1:{seedPort}"],
            Port = clientPort,
        };
        // Three members are needed before any becomes Up: these two stay Joining, as a node does on the nodes that have
        // not yet seen it become Up.
        var hocon = ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.cluster.min-nr-of-members = 3")
            .WithFallback(ServerOptions.ClusterConfig(config, Path.Combine(AppContext.BaseDirectory, "hocon")));
        return ActorSystem.Create(ServerOptions.SystemName, hocon);
    }

    [Fact]
    public async Task AShardOnANodeNotYetSeenUpHasThatNodeAsItsOwner()
    {
        int portA = PostgresInstance.FreePort(), portB = PostgresInstance.FreePort();
        var a = StartSystem(portA, portA, 7101);
        var b = StartSystem(portB, portA, 7102);
        try
        {
            AwaitCondition(() => Akka.Cluster.Cluster.Get(a).State.Members.Count == 2, TimeSpan.FromSeconds(30));
            Assert.All(Akka.Cluster.Cluster.Get(a).State.Members, m => Assert.Equal(MemberStatus.Joining, m.Status));
            var self = new ClusterNode(Akka.Cluster.Cluster.Get(a).SelfAddress, "self", "127.0.0.1", 7101, true);
            var view = new ClusterView(new Placement(self, [self], new ClusterNode?[2], 0), a);
            var shards = new[] { CreateTestProbe(a), CreateTestProbe(a) };
            var tracker = a.ActorOf(Props.Create(() => new PlacementTracker(view, shards.Select(p => p.Ref).ToArray())), "tracker");
            shards[0].ExpectMsg<AwaitReady>();
            shards[0].Reply(new ShardReady(0, 0));

            // Shard 1 answers from node B, which this node has seen join but not become Up.
            var onB = CreateTestProbe(b);
            b.ActorSelection(new RootActorPath(Akka.Cluster.Cluster.Get(a).SelfAddress) / "user" / "tracker").Tell(new ShardReady(1, 0), onB.Ref);
            AwaitAssert(() =>
            {
                var owner = view.Current.Owners[1];
                Assert.NotNull(owner);
                Assert.Equal(7102, owner.Port);
                Assert.False(owner.IsSelf);
            }, TimeSpan.FromSeconds(10));
            Assert.Equal(7101, view.Current.Owners[0]!.Port);
            Assert.Contains(view.Current.Nodes, n => n.Port == 7102);
        }
        finally
        {
            await b.Terminate();
            await a.Terminate();
        }
    }
}
