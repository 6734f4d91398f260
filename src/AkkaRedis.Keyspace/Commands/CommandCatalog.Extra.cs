namespace AkkaRedis.Keyspace.Commands;

public static partial class CommandCatalog
{
    /// <summary>
    /// Commands newer than the 7.0 metadata that current clients send at connect (StackExchange.Redis and
    /// redis-cli 7.2 send CLIENT SETINFO), with the facts of the Redis version that added them.
    /// </summary>
    public static readonly CommandFacts[] Newer =
    [
        new("client|setinfo", 4, ["noscript", "loading", "stale"], ["slow", "connection"], 0, 0, 0, [], "connection", "7.2.0", ["request_policy:all_nodes", "response_policy:all_succeeded"]),
    ];
}
