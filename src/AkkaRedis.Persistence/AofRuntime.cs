using Akka.Actor;

namespace AkkaRedis.Persistence;

/// <summary>
/// What the server hands the journal plugin that HOCON cannot carry: the router that knows which shard owns
/// a command's keys, and the status object INFO and the shards read. Set before the first shard starts.
/// </summary>
public sealed class AofRuntime : IExtension
{
    public IAofRouter? Router { get; set; }

    /// <summary>Reads an AOF base written as RDB (redis-server's default); null: such a base is refused.</summary>
    public IRdbPreamble? RdbPreamble { get; set; }
    public AofStatus Status { get; set; } = new();

    /// <summary>The appendfsync policy now (CONFIG SET may change it); null: the journal's configured one.</summary>
    public Func<string>? FsyncPolicy { get; set; }

    /// <summary>The AOF as the server started reading it before the actor system (null: the journal reads it).</summary>
    public AofPreload? Preload { get; set; }

    /// <summary>
    /// appendonly no at start: the journal reads no AOF and opens no file until a rewrite asks for one (BGREWRITEAOF, or
    /// CONFIG SET appendonly yes), as Redis leaves its AOF alone until then.
    /// </summary>
    public bool Dormant { get; set; }

    /// <summary>Where the journal may defer a write to the end of a round of socket events; null: it writes at once.</summary>
    public IAfterSocketEvents? AfterSocketEvents { get; set; }

    public static AofRuntime For(ActorSystem system) => system.WithExtension<AofRuntime, AofRuntimeProvider>();
}

public sealed class AofRuntimeProvider : ExtensionIdProvider<AofRuntime>
{
    public override AofRuntime CreateExtension(ExtendedActorSystem system) => new();
}

/// <summary>Asks the journal to read the AOF now; answered with <see cref="AofLoaded"/> or a Status.Failure with the reason.</summary>
public sealed record LoadAof
{
    public static readonly LoadAof Instance = new();
}

/// <summary>The AOF was read: how much, and how many units each shard will replay.</summary>
public sealed record AofLoaded(long Commands, long Bytes, long[] UnitsPerShard);

/// <summary>
/// Starts a rewrite: <paramref name="BaseFile"/> holds the whole dataset as commands (or as an RDB file: <paramref name="Rdb"/>),
/// written while every shard was held after its earlier writes reached the journal; writes that follow go to a new increment.
/// </summary>
/// <param name="Wait">Runs first in the background part (rdb-key-save-delay, the time Redis's child would take); null: none.</param>
public sealed record RewriteAof(string BaseFile, bool Rdb = false, Action? Wait = null);
