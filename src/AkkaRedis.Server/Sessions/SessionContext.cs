using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Protocol;

namespace AkkaRedis.Server.Sessions;

/// <summary>What a connection-local command (PING, SELECT, CLIENT, HELLO, CONFIG...) sees, and what it asks of the connection.</summary>
public sealed class SessionContext(ClientSession session, ServerServices services)
{
    public ClientSession Session { get; } = session;
    public TransactionState Transaction { get; } = new();
    public ServerServices Services { get; } = services;
    public RespWriter Reply { get; } = new(256);
    public byte[][] Args = [];
    public CommandSpec Spec = null!;

    /// <summary>Close the connection once this reply is written (QUIT, CLIENT KILL of itself).</summary>
    public bool CloseAfterReply;

    /// <summary>The command runs inside EXEC (a client that expects one reply per command: MONITOR is refused).</summary>
    public bool InExec { get; init; }

    /// <summary>Whether this command's reply is written whatever CLIENT REPLY says (true) or dropped (false); null: as it says.</summary>
    public bool? ReplyShown;

    /// <summary>Set by RESET: the connection drops its transaction and subscriptions too.</summary>
    public bool ResetRequested;

    public int Argc => Args.Length;
    public byte[] this[int index] => Args[index];
    public long Now => Services.State.Clock.NowMs;

    public void Error(string message) => Reply.WriteError(message);

    /// <summary>Closes a connection (CLIENT KILL, ACL DELUSER...): this one after the reply, as Redis does; another at once.</summary>
    public void CloseConnection(ClientSession target)
    {
        if (target == Session) CloseAfterReply = true;
        else Services.Clients.Kill(target);
    }

    /// <summary>Drops the transaction, its queued commands and its watched keys: DISCARD, RESET, and an EXEC that fails.</summary>
    public void EndTransaction()
    {
        Transaction.Discard();
        Transaction.Unwatch(Services.Shards);
        Session.QueuedInMulti = -1;
    }
}

public delegate void SessionHandler(SessionContext context);
