using Akka.Actor;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Server;
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

    /// <summary>Every shard index, for commands that hold them all.</summary>
    public int[] AllShardIndexes { get; } = Enumerable.Range(0, shards.Length).ToArray();
}
