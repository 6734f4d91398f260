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
    Action<string> requestShutdown)
{
    public ServerState State { get; } = state;
    public CommandTable Table => State.Commands;
    public ServerConfig Config => State.Config;
    public Keyspace.Data.Keyspace Keyspace { get; } = keyspace;
    public IActorRef[] Shards { get; } = shards;
    public ClientRegistry Clients { get; } = clients;

    /// <summary>Stops the server (SHUTDOWN); the reason is logged.</summary>
    public Action<string> RequestShutdown { get; } = requestShutdown;

    /// <summary>Every shard index, for commands that hold them all.</summary>
    public int[] AllShardIndexes { get; } = Enumerable.Range(0, shards.Length).ToArray();
}
