using Akka.Actor;
using AkkaRedis.Server.Cluster;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Keyspace.Shards;
using AkkaRedis.Server.Sessions;

namespace AkkaRedis.Server;

/// <summary>What every connection needs from the running server: the command table, the shards, the clients.</summary>
public sealed class ServerServices(
    ServerState state,
    Keyspace.Data.Keyspace keyspace,
    IActorRef[] shards,
    ClientRegistry clients,
    Action<string, bool> requestShutdown,
    Cluster.ClusterView? cluster = null)
{
    public ServerState State { get; } = state;
    public CommandTable Table => State.Commands;
    public ServerConfig Config => State.Config;
    public Keyspace.Data.Keyspace Keyspace { get; } = keyspace;
    public IActorRef[] Shards { get; } = shards;
    public ClientRegistry Clients { get; } = clients;

    /// <summary>Stops the server (SHUTDOWN); the reason is logged; true saves dump.rdb first (SHUTDOWN SAVE).</summary>
    public Action<string, bool> RequestShutdown { get; } = requestShutdown;

    /// <summary>Where shards live, in cluster mode; null on a single node.</summary>
    public Cluster.ClusterView? Cluster { get; } = cluster;

    /// <summary>
    /// Where held commands go, by shard index: the shard refs on a single node; in a cluster the local shards' own actors
    /// (see <see cref="Placement.LocalRefs"/>; the gate lets a hold start only when all its shards are local).
    /// </summary>
    public IActorRef[] HoldRoute() => Cluster?.Current.LocalRefs ?? Shards;

    /// <summary>Cluster mode: runs a command whose shards span nodes as a <see cref="LendingHold"/>; the reply goes to <paramref name="replyTo"/>.</summary>
    public void StartLending(int[] shardIndexes, in ShardCommand command, IActorRef replyTo) =>
        Cluster!.System.ActorOf(LendingHold.Props(Shards, shardIndexes, command, replyTo, State, Keyspace.Shards.Length, Keyspace.DatabaseCount));

    /// <summary>The shards a whole-keyspace command holds: every one on a single node, this node's in a cluster.</summary>
    public int[] WholeKeyspace() => Cluster?.Current.LocalShards ?? AllShardIndexes;

    /// <summary>Every shard index, for commands that hold them all.</summary>
    public int[] AllShardIndexes { get; } = Enumerable.Range(0, shards.Length).ToArray();
}
