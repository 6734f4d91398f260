namespace AkkaRedis.Keyspace.Server;

/// <summary>Redis's client types (getClientType), as CLIENT LIST / CLIENT KILL TYPE and client-output-buffer-limit name them.</summary>
public enum ClientType { Normal = 0, Replica = 1, PubSub = 2, Master = 3 }

public static class ClientTypes
{
    /// <summary>getClientTypeByName: "slave" and "replica" are one type; null for a name that is none.</summary>
    public static ClientType? ByName(string name) => name.ToLowerInvariant() switch
    {
        "normal" => ClientType.Normal,
        "slave" or "replica" => ClientType.Replica,
        "pubsub" => ClientType.PubSub,
        "master" => ClientType.Master,
        _ => null,
    };
}
