using System.Text;
using AkkaRedis.Keyspace.Acl;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Server.Sessions;

/// <summary>Connection commands (networking.c, server.c): they change or read only the connection's own state.</summary>
public static class ConnectionCommands
{
    public static void Register(SessionCommandTable table)
    {
        table.Add("ping", Ping);
        table.Add("echo", c => c.Reply.WriteBulk(c[1]));
        table.Add("quit", c =>
        {
            c.Reply.WriteOk();
            c.CloseAfterReply = true;
        });
        table.Add("select", Select);
        table.Add("hello", Hello);
        table.Add("reset", Reset);
        table.Add("auth", Auth);
        table.Add("time", Time);
        table.Add("monitor", Monitor);
        // There are no replicas to wait for: inside MULTI, or for none, WAIT answers 0 at once (waitCommand); otherwise the
        // connection blocks until the timeout (see the connection stage) and then answers 0.
        table.Add("wait", c =>
        {
            if (TryWaitArguments(c, out _, out _)) c.Reply.WriteInteger(0);
        });
        // Every node is a master without replicas (a cluster keeps data safe through its shared journal): ROLE says so,
        // as INFO replication does, with replication offset 0.
        table.Add("role", c =>
        {
            c.Reply.WriteArrayHeader(3);
            c.Reply.WriteBulk("master");
            c.Reply.WriteInteger(0);
            c.Reply.WriteArrayHeader(0);
        });
    }

    /// <summary>WAIT's numreplicas and timeout (milliseconds, 0: for ever), with Redis's errors.</summary>
    private static bool TryWaitArguments(SessionContext c, out long replicas, out long timeoutMs)
    {
        timeoutMs = 0;
        if (!Args.TryLong(c[1], out replicas))
        {
            c.Error(RespErrors.NotInteger);
            return false;
        }
        if (!Args.TryLong(c[2], out timeoutMs))
        {
            c.Error("ERR timeout is not an integer or out of range");
            return false;
        }
        if (timeoutMs >= 0) return true;
        c.Error("ERR timeout is negative");
        return false;
    }

    private static void Ping(SessionContext c)
    {
        if (c.Argc > 2)
        {
            c.Error(RespErrors.WrongArgs("ping"));
            return;
        }
        if (c.Session.InSubscribedContext)
        {
            // In the subscribed state a RESP2 client reads pushes, so PING answers in their shape (pingCommand).
            c.Reply.WriteArrayHeader(2);
            c.Reply.WriteBulk("pong"u8);
            c.Reply.WriteBulk(c.Argc == 1 ? [] : c[1]);
        }
        else if (c.Argc == 1) c.Reply.WriteRaw("+PONG\r\n"u8);
        else c.Reply.WriteBulk(c[1]);
    }

    private static void Select(SessionContext c)
    {
        var error = Args.ParseDatabaseIndex(c[1], c.Services.Keyspace.DatabaseCount, out int db);
        if (error != null)
        {
            c.Error(error);
            return;
        }
        c.Session.Db = db;
        c.Reply.WriteOk();
    }

    private static void Hello(SessionContext c)
    {
        long version = c.Session.Resp3 ? 3 : 2;
        int next = 1;
        if (c.Argc >= 2)
        {
            if (!Args.TryLong(c[1], out version))
            {
                c.Error("ERR Protocol version is not an integer or out of range");
                return;
            }
            next = 2;
            if (version < 2 || version > 3)
            {
                c.Error(RespErrors.UnsupportedProtocol);
                return;
            }
        }
        string? name = null;
        for (int j = next; j < c.Argc; j++)
        {
            int more = c.Argc - j - 1;
            if (Args.Is(c[j], "AUTH") && more >= 2)
            {
                if (!CheckCredentials(c, c[j + 1], c[j + 2])) return;
                j += 2;
            }
            else if (Args.Is(c[j], "SETNAME") && more >= 1)
            {
                name = Encoding.UTF8.GetString(c[j + 1]);
                if (!ValidClientName(name))
                {
                    c.Error(RespErrors.InvalidClientName);
                    return;
                }
                j++;
            }
            else
            {
                c.Error($"ERR Syntax error in HELLO option '{Encoding.UTF8.GetString(c[j])}'");
                return;
            }
        }
        if (!c.Session.Authenticated)
        {
            c.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> " +
                    "<pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
            return;
        }
        if (name != null) c.Session.Name = name;
        c.Session.Resp3 = version == 3;
        c.Reply.Resp3 = version == 3;
        c.Reply.WriteMapHeader(7);
        c.Reply.WriteBulk("server"u8);
        c.Reply.WriteBulk("redis"u8);
        c.Reply.WriteBulk("version"u8);
        c.Reply.WriteBulk(ServerState.Version);
        c.Reply.WriteBulk("proto"u8);
        c.Reply.WriteInteger(version);
        c.Reply.WriteBulk("id"u8);
        c.Reply.WriteInteger(c.Session.Id);
        c.Reply.WriteBulk("mode"u8);
        c.Reply.WriteBulk("standalone"u8);
        c.Reply.WriteBulk("role"u8);
        c.Reply.WriteBulk("master"u8);
        c.Reply.WriteBulk("modules"u8);
        c.Reply.WriteArrayHeader(0);
    }

    /// <summary>
    /// ACLAuthenticateUser: on success the connection runs as the user; a failure is answered WRONGPASS and logged in
    /// ACL LOG (reason auth, the command's name as sent).
    /// </summary>
    private static bool CheckCredentials(SessionContext c, byte[] user, byte[] password)
    {
        var acl = c.Services.State.Acl;
        var name = Encoding.Latin1.GetString(user);
        if (acl.Authenticate(name, password) is { } found)
        {
            c.Session.User = found;
            c.Session.Authenticated = true;
            return true;
        }
        long now = c.Services.State.Clock.NowMs;
        acl.Log.Add(AclDenial.Auth, c.InExec ? AclLogContext.Multi : AclLogContext.Toplevel, Encoding.Latin1.GetString(c[0]), name, now,
            c.Session.Describe(now));
        c.Error("WRONGPASS invalid username-password pair or user is disabled.");
        return false;
    }

    private static void Auth(SessionContext c)
    {
        if (c.Argc > 3)
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        if (c.Argc == 2 && c.Services.State.Acl.Default.Rules.NoPass)
        {
            c.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
            return;
        }
        if (c.Argc == 2 ? CheckCredentials(c, "default"u8.ToArray(), c[1]) : CheckCredentials(c, c[1], c[2])) c.Reply.WriteOk();
    }

    /// <summary>
    /// MONITOR (monitorCommand): from now on the connection is also fed every command run on this node. A second one is
    /// ignored without a reply, and inside EXEC it is refused, as in Redis.
    /// </summary>
    private static void Monitor(SessionContext c)
    {
        if (c.InExec)
        {
            c.Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
            return;
        }
        if (c.Session.Monitoring) return;
        c.Session.Monitoring = true;
        c.Services.State.Monitors.Add(c.Session.Actor!);
        c.Reply.WriteOk();
    }

    private static void Reset(SessionContext c)
    {
        if (c.Session.Monitoring)
        {
            c.Session.Monitoring = false;
            c.Services.State.Monitors.Remove(c.Session.Actor!);
        }
        TrackingCommands.Disable(c.Session, c.Services.State);
        c.Session.Db = 0;
        c.Session.Resp3 = false;
        c.Session.Name = "";
        c.Reply.Resp3 = false;
        // Back to the default user, as a new connection.
        c.Session.User = c.Services.State.Acl.Default;
        c.Session.Authenticated = !c.Services.State.Acl.DefaultRequiresAuth;
        c.ResetRequested = true;
        c.Reply.WriteRaw("+RESET\r\n"u8);
    }

    private static void Time(SessionContext c)
    {
        long micros = DateTimeOffset.UtcNow.Ticks / 10 - DateTimeOffset.UnixEpoch.Ticks / 10;
        c.Reply.WriteArrayHeader(2);
        c.Reply.WriteBulk(micros / 1_000_000);
        c.Reply.WriteBulk(micros % 1_000_000);
    }

    /// <summary>Redis allows client names of printable ASCII without spaces (clientSetName).</summary>
    public static bool ValidClientName(string name) => name.All(ch => ch > ' ' && ch <= '~');
}
