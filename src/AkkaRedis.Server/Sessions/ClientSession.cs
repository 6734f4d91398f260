using System.Text;

namespace AkkaRedis.Server.Sessions;

/// <summary>
/// One connection's state. The connection stage owns and writes it; CLIENT LIST / INFO on other connections
/// only read it (single fields, so a reader sees each one whole).
/// </summary>
public sealed class ClientSession(long id, string address, string localAddress, long createdMs) : Keyspace.Commands.IClientState, Keyspace.Acl.IAclClient
{
    int Keyspace.Commands.IClientState.Db => Db;
    bool Keyspace.Commands.IClientState.Resp3 => Resp3;
    Akka.Actor.IActorRef? Keyspace.Commands.IClientState.Actor => Actor;

    public long Id { get; } = id;
    public string Address { get; } = address;
    public string LocalAddress { get; } = localAddress;

    /// <summary>Redis's islocalClient: a Unix socket client (its address is the socket's path), or the peer is 127.0.0.1 or ::1 (enable-debug-command local).</summary>
    public bool IsLocal => Address.StartsWith('/') || Address.LastIndexOf(':') is > 0 and var colon && Address[..colon] is "127.0.0.1" or "::1";
    public long CreatedMs { get; } = createdMs;

    public volatile string Name = "";
    /// <summary>The connection's actor: what shards know a command came from (SLOWLOG names the client by it).</summary>
    public volatile Akka.Actor.IActorRef? Actor;
    public volatile string LibName = "";
    public volatile string LibVersion = "";
    public volatile int Db;
    public volatile bool Resp3;
    /// <summary>Whether the connection may run commands: at once when the default user is on and nopass, else after AUTH (or HELLO AUTH).</summary>
    public volatile bool Authenticated;

    private volatile Keyspace.Acl.AclUser _user = null!;

    /// <summary>The ACL user the connection runs as: the default user until AUTH names another.</summary>
    public Keyspace.Acl.AclUser User
    {
        get => _user;
        set => _user = value;
    }
    /// <summary>CLIENT NO-EVICT ON: shown as flag 'e'.</summary>
    public volatile bool NoEvict;

    /// <summary>CLIENT TRACKING's mode, or null when off.</summary>
    public volatile ClientTracking? Tracking;

    /// <summary>CLIENT CACHING yes|no was given for the next command (or the next transaction).</summary>
    public bool CachingGiven;

    /// <summary>The connection invalidations are redirected to has gone (flag 'R', broken_redirect).</summary>
    public volatile bool TrackingRedirectBroken;

    /// <summary>CLIENT REPLY OFF: replies are dropped (pub/sub pushes still go out).</summary>
    public bool RepliesOff;

    /// <summary>Replies and pushes ready but not written yet (CLIENT LIST omem), kept by the connection.</summary>
    public long OutputBytes;

    /// <summary>CLIENT REPLY SKIP: the reply to the next command is dropped.</summary>
    public bool SkipNextReply;

    /// <summary>In MONITOR mode: fed every command run on this node (see Keyspace.Server.MonitorRegistry).</summary>
    public volatile bool Monitoring;
    public long LastInteractionMs = createdMs;
    public volatile string LastCommand = "NULL";

    /// <summary>Pub/sub channels and patterns; the connection stage owns it (and EXEC's shard while the connection waits).</summary>
    public Subscriptions? Subscriptions;

    /// <summary>RESP2 with subscriptions: Redis's pub/sub context, where only (un)subscribing, PING, QUIT and RESET run.</summary>
    public bool InSubscribedContext => !Resp3 && Subscriptions?.Any == true;

    /// <summary>Commands queued in an open MULTI, or -1 (CLIENT LIST's multi field).</summary>
    public volatile int QueuedInMulti = -1;

    /// <summary>Set by the connection stage: closes the connection from any thread (CLIENT KILL, SHUTDOWN).</summary>
    public Action? Kill;

    /// <summary>The blocking command this connection waits on, or null (CLIENT UNBLOCK, INFO blocked_clients).</summary>
    public volatile Keyspace.Commands.BlockedClient? Blocked;

    /// <summary>Cluster mode: the relay of the blocking command this connection waits on, or null (see Cluster.BlockRelay).</summary>
    public volatile Akka.Actor.IActorRef? BlockRelay;

    /// <summary>
    /// A command of this connection is held by CLIENT PAUSE. Redis blocks such a client (BLOCKED_PAUSE): it counts in
    /// INFO's blocked_clients and shows flag b, and test suites wait on that count.
    /// </summary>
    public volatile bool Paused;

    public bool IsBlocked => Blocked != null || BlockRelay != null || Paused;

    /// <summary>Set by the connection stage: answers the blocked command after CLIENT UNBLOCK won its claim (true: with the UNBLOCKED error).</summary>
    public Action<bool>? Unblocked;

    /// <summary>CLIENT LIST's flags in Redis's order: O monitor, P subscribed, x in MULTI, b blocked, t tracking, R broken redirect, B broadcast, e no-evict; N for none.</summary>
    private string Flags
    {
        get
        {
            var tracking = Tracking;
            var flags = (Monitoring ? "O" : "") + (Subscriptions?.Any == true ? "P" : "") + (QueuedInMulti >= 0 ? "x" : "") +
                        (IsBlocked ? "b" : "") + (tracking != null ? "t" : "") + (tracking != null && TrackingRedirectBroken ? "R" : "") +
                        (tracking?.Broadcast == true ? "B" : "") + (NoEvict ? "e" : "");
            return flags.Length == 0 ? "N" : flags;
        }
    }

    /// <summary>
    /// One CLIENT LIST line, fields as Redis 7 prints them (buffers reported as this server has them).
    /// <paramref name="queryBytes"/>: the caller's own line shows the command being run in its query buffer, as Redis's
    /// does (it trims the buffer after the command).
    /// </summary>
    public string Describe(long nowMs, int queryBytes = 0)
    {
        var line = new StringBuilder(256);
        line.Append("id=").Append(Id)
            .Append(" addr=").Append(Address)
            .Append(" laddr=").Append(LocalAddress)
            .Append(" fd=").Append(Id + 7)
            .Append(" name=").Append(Name)
            .Append(" age=").Append((nowMs - CreatedMs) / 1000)
            .Append(" idle=").Append((nowMs - Volatile.Read(ref LastInteractionMs)) / 1000)
            .Append(" flags=").Append(Flags).Append(" db=").Append(Db)
            .Append(" sub=").Append(Subscriptions?.ChannelCount ?? 0).Append(" psub=").Append(Subscriptions?.PatternCount ?? 0)
            .Append(" ssub=").Append(Subscriptions?.ShardChannelCount ?? 0).Append(" multi=").Append(QueuedInMulti).Append(" qbuf=").Append(queryBytes).Append(" qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=").Append(Volatile.Read(ref OutputBytes)).Append(" tot-mem=0 events=r")
            .Append(" cmd=").Append(LastCommand)
            .Append(" user=").Append(User?.Name ?? "default").Append(" redir=").Append(Tracking?.RedirectId ?? -1).Append(" resp=").Append(Resp3 ? 3 : 2)
            .Append(" lib-name=").Append(LibName)
            .Append(" lib-ver=").Append(LibVersion);
        return line.ToString();
    }
}
