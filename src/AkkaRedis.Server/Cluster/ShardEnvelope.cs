using Akka.Cluster.Sharding;

namespace AkkaRedis.Server.Cluster;

/// <summary>A message for keyspace shard <paramref name="Shard"/>, wherever in the cluster it lives now.</summary>
public sealed record ShardEnvelope(int Shard, object Message);

/// <summary>
/// Our own slot-to-entity mapping: the envelope names the keyspace shard, and every keyspace shard is its own
/// sharding shard, so each can move between nodes alone. (Akka's HashCodeMessageExtractor would hash the id
/// with MurmurHash and group shards in a way unrelated to Redis's slots.)
/// </summary>
public sealed class ShardMessageExtractor : IMessageExtractor
{
    public string? EntityId(object message) => message is ShardEnvelope envelope ? Name(envelope.Shard) : null;

    public object? EntityMessage(object message) => message is ShardEnvelope envelope ? envelope.Message : message;

    public string? ShardId(object message) => message is ShardEnvelope envelope ? Name(envelope.Shard) : null;

    public string ShardId(string entityId, object? messageHint = null) => entityId;

    public static string Name(int shard) => shard.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
