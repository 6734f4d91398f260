using System.Collections.Concurrent;

namespace AkkaRedis.Server.Sessions;

/// <summary>The open connections, for CLIENT LIST / KILL and INFO clients. Not on the data path.</summary>
public sealed class ClientRegistry
{
    private readonly ConcurrentDictionary<long, ClientSession> _clients = new();
    private long _nextId;
    private long _totalConnections;
    private long _rejected;
    public long NetInputBytes;
    public long NetOutputBytes;

    public ClientSession Open(string address, string localAddress, long nowMs)
    {
        var session = new ClientSession(Interlocked.Increment(ref _nextId), address, localAddress, nowMs);
        _clients[session.Id] = session;
        Interlocked.Increment(ref _totalConnections);
        return session;
    }

    /// <summary>The open connections by their actor: how a shard's script finds who called it (for its ACL checks).</summary>
    private readonly ConcurrentDictionary<Akka.Actor.IActorRef, ClientSession> _byActor = new();

    public void Bind(ClientSession session, Akka.Actor.IActorRef actor)
    {
        session.Actor = actor;
        _byActor[actor] = session;
    }

    /// <summary>The connection a shard was given as a command's client: its actor, or the connection itself (EXEC).</summary>
    public ClientSession? Of(object? client) => client switch
    {
        ClientSession session => session,
        Akka.Actor.IActorRef actor => _byActor.GetValueOrDefault(actor),
        _ => null,
    };

    public void Close(ClientSession session)
    {
        _clients.TryRemove(session.Id, out _);
        if (session.Actor is { } actor) _byActor.TryRemove(actor, out _);
    }

    /// <summary>
    /// Closes another connection (CLIENT KILL, ACL DELUSER): it leaves CLIENT LIST at once, as Redis's freeClient
    /// does; its stage stops on its own thread.
    /// </summary>
    public void Kill(ClientSession session)
    {
        session.Kill?.Invoke();
        Close(session);
    }

    /// <summary>The open connection with this id, or null.</summary>
    public ClientSession? Find(long id) => _clients.GetValueOrDefault(id);

    public void Rejected() => Interlocked.Increment(ref _rejected);

    public void ResetStatistics()
    {
        Interlocked.Exchange(ref _totalConnections, 0);
        Interlocked.Exchange(ref _rejected, 0);
        Interlocked.Exchange(ref NetInputBytes, 0);
        Interlocked.Exchange(ref NetOutputBytes, 0);
    }

    /// <summary>In id order, as CLIENT LIST shows them.</summary>
    public IEnumerable<ClientSession> All => _clients.Values.OrderBy(c => c.Id);

    /// <summary>In no order, for checks that visit every client (idle timeout, finding one by its connection's actor).</summary>
    public IEnumerable<ClientSession> Unordered => _clients.Values;
    public int Count => _clients.Count;
    public long BlockedCount => _clients.Values.Count(c => c.IsBlocked);
    public long TotalConnections => Interlocked.Read(ref _totalConnections);
    public long RejectedConnections => Interlocked.Read(ref _rejected);
}
