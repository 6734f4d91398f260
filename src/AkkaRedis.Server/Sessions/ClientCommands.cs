using System.Text;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Server.Sessions;

/// <summary>CLIENT subcommands (networking.c clientCommand).</summary>
public static class ClientCommands
{
    public static void Register(SessionCommandTable table)
    {
        table.Add("client|id", c => c.Reply.WriteInteger(c.Session.Id));
        table.Add("client|getname", c =>
        {
            if (c.Session.Name.Length == 0) c.Reply.WriteNull();
            else c.Reply.WriteBulk(c.Session.Name);
        });
        table.Add("client|setname", SetName);
        table.Add("client|setinfo", SetInfo);
        table.Add("client|info", c => c.Reply.WriteVerbatim(c.Session.Describe(c.Now, RespSize(c.Args)) + "\n"));
        table.Add("client|list", List);
        table.Add("client|kill", Kill);
        table.Add("client|unblock", Unblock);
        table.Add("client|help", Help);
        table.Add("client|reply", Reply);
        table.Add("client|pause", Pause);
        table.Add("client|unpause", c =>
        {
            c.Services.State.Pause.Unpause();
            c.Reply.WriteOk();
        });
        // Clients are never evicted here (there is no maxmemory-clients), so the protection always holds; the flag is
        // kept for CLIENT LIST ('e'), as Redis shows it.
        table.Add("client|no-evict", c =>
        {
            if (Args.Is(c[2], "ON")) c.Session.NoEvict = true;
            else if (Args.Is(c[2], "OFF")) c.Session.NoEvict = false;
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
            c.Reply.WriteOk();
        });
    }

    /// <summary>
    /// CLIENT PAUSE timeout [WRITE|ALL] (clientCommand): the mode is checked before the timeout, in milliseconds; from now
    /// until then every connection's commands (WRITE: those that may write) wait, the pausing one's too.
    /// </summary>
    private static void Pause(SessionContext c)
    {
        if (c.Argc > 4)
        {
            c.Error(RespErrors.SubcommandSyntax("pause", "CLIENT"));
            return;
        }
        bool all = true;
        if (c.Argc == 4)
        {
            if (Args.Is(c[3], "WRITE")) all = false;
            else if (!Args.Is(c[3], "ALL"))
            {
                c.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
                return;
            }
        }
        if (!Args.TryLong(c[2], out long timeout))
        {
            c.Error("ERR timeout is not an integer or out of range");
            return;
        }
        if (timeout < 0)
        {
            c.Error("ERR timeout is negative");
            return;
        }
        long now = c.Now;
        c.Services.State.Pause.Pause(timeout > 0 ? now + timeout : 0, all, now);
        c.Reply.WriteOk();
    }

    /// <summary>
    /// CLIENT REPLY ON | OFF | SKIP (clientCommand): OFF drops every reply from this one on, SKIP this one's and the next
    /// command's (ignored while OFF), ON answers OK and ends both. Inside EXEC, OFF and SKIP answer OK in EXEC's array and
    /// take effect after it (Redis drops the rest of EXEC's array, whose header is already written: a malformed reply).
    /// </summary>
    private static void Reply(SessionContext c)
    {
        if (Args.Is(c[2], "ON"))
        {
            c.Session.RepliesOff = c.Session.SkipNextReply = false;
            c.ReplyShown = true;
            c.Reply.WriteOk();
            return;
        }
        if (Args.Is(c[2], "OFF")) c.Session.RepliesOff = true;
        else if (!Args.Is(c[2], "SKIP"))
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        else if (!c.Session.RepliesOff) c.Session.SkipNextReply = true;
        if (c.InExec) c.Reply.WriteOk();
        else c.ReplyShown = false;
    }

    private static void SetName(SessionContext c)
    {
        var name = Encoding.UTF8.GetString(c[2]);
        if (!ConnectionCommands.ValidClientName(name))
        {
            c.Error(RespErrors.InvalidClientName);
            return;
        }
        c.Session.Name = name;
        c.Reply.WriteOk();
    }

    private static void SetInfo(SessionContext c)
    {
        var value = Encoding.UTF8.GetString(c[3]);
        bool name = Args.Is(c[2], "LIB-NAME");
        if (!name && !Args.Is(c[2], "LIB-VER"))
        {
            c.Error($"ERR Unrecognized option '{Encoding.UTF8.GetString(c[2])}'");
            return;
        }
        if (!ConnectionCommands.ValidClientName(value) && value.Length > 0)
        {
            c.Error($"ERR {(name ? "lib-name" : "lib-ver")} cannot contain spaces, newlines or special characters.");
            return;
        }
        if (name) c.Session.LibName = value;
        else c.Session.LibVersion = value;
        c.Reply.WriteOk();
    }

    private static void List(SessionContext c)
    {
        IEnumerable<ClientSession> clients = c.Services.Clients.All;
        if (c.Argc == 4 && Args.Is(c[2], "TYPE"))
        {
            if (ClientTypes.ByName(Encoding.UTF8.GetString(c[3])) is not { } type)
            {
                c.Error($"ERR Unknown client type '{Encoding.UTF8.GetString(c[3])}'");
                return;
            }
            if (type != ClientType.Normal) clients = [];
        }
        else if (c.Argc >= 4 && Args.Is(c[2], "ID"))
        {
            var ids = new HashSet<long>();
            for (int i = 3; i < c.Argc; i++)
            {
                if (!Args.TryLong(c[i], out long id) || id <= 0)
                {
                    c.Error("ERR Invalid client ID");
                    return;
                }
                ids.Add(id);
            }
            clients = clients.Where(s => ids.Contains(s.Id));
        }
        else if (c.Argc != 2)
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        var text = new StringBuilder();
        foreach (var client in clients) text.Append(client.Describe(c.Now, client == c.Session ? RespSize(c.Args) : 0)).Append('\n');
        c.Reply.WriteVerbatim(text.ToString());
    }

    /// <summary>The bytes of a command sent as a RESP array of bulk strings, as clients send it.</summary>
    private static int RespSize(byte[][] args)
    {
        static int Digits(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        int size = 3 + Digits(args.Length);
        foreach (var arg in args) size += 5 + Digits(arg.Length) + arg.Length;
        return size;
    }

    private static void Kill(SessionContext c)
    {
        if (c.Argc == 3)
        {
            // Old form: CLIENT KILL addr:port.
            var address = Encoding.UTF8.GetString(c[2]);
            var target = c.Services.Clients.All.FirstOrDefault(s => s.Address == address);
            if (target == null)
            {
                c.Error(RespErrors.NoSuchClient);
                return;
            }
            c.CloseConnection(target);
            c.Reply.WriteOk();
            return;
        }
        long? id = null;
        string? addr = null, laddr = null, user = null;
        ClientType? type = null;
        bool skipMe = true;
        for (int i = 2; i < c.Argc; i += 2)
        {
            if (i + 1 >= c.Argc)
            {
                c.Error(RespErrors.Syntax);
                return;
            }
            var value = Encoding.UTF8.GetString(c[i + 1]);
            if (Args.Is(c[i], "ID"))
            {
                if (!Args.TryLong(c[i + 1], out long n) || n <= 0)
                {
                    c.Error("ERR client-id should be greater than 0");
                    return;
                }
                id = n;
            }
            else if (Args.Is(c[i], "ADDR")) addr = value;
            else if (Args.Is(c[i], "LADDR")) laddr = value;
            else if (Args.Is(c[i], "USER")) user = value;
            else if (Args.Is(c[i], "TYPE"))
            {
                type = ClientTypes.ByName(value);
                if (type == null)
                {
                    c.Error($"ERR Unknown client type '{value}'");
                    return;
                }
            }
            else if (Args.Is(c[i], "SKIPME"))
            {
                if (Args.Is(c[i + 1], "YES")) skipMe = true;
                else if (Args.Is(c[i + 1], "NO")) skipMe = false;
                else
                {
                    c.Error(RespErrors.Syntax);
                    return;
                }
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        if (user != null && c.Services.State.Acl.Find(user) == null)
        {
            c.Error($"ERR No such user '{user}'");
            return;
        }
        long killed = 0;
        foreach (var client in c.Services.Clients.All.ToList())
        {
            if (id != null && client.Id != id) continue;
            if (addr != null && client.Address != addr) continue;
            if (laddr != null && client.LocalAddress != laddr) continue;
            if (user != null && client.User.Name != user) continue;
            if (type != null && type != ClientType.Normal) continue;
            if (skipMe && client == c.Session) continue;
            c.CloseConnection(client);
            killed++;
        }
        c.Reply.WriteInteger(killed);
    }

    /// <summary>CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 when this call, and not a shard or the timeout, finished the blocked command.</summary>
    private static void Unblock(SessionContext c)
    {
        if (!Args.TryLong(c[2], out long id))
        {
            c.Error(RespErrors.NotInteger);
            return;
        }
        bool withError = false;
        if (c.Argc == 4)
        {
            withError = Args.Is(c[3], "ERROR");
            if (!withError && !Args.Is(c[3], "TIMEOUT"))
            {
                c.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
                return;
            }
        }
        else if (c.Argc > 4)
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        var target = c.Services.Clients.All.FirstOrDefault(s => s.Id == id);
        if (target?.BlockRelay is { } relay)
        {
            // Its shard may be on another node: the relay asks it to end the command; 1 even if a push serves it first.
            relay.Tell(new Cluster.BlockRelay.Unblock(withError), Akka.Actor.ActorRefs.NoSender);
            c.Reply.WriteInteger(1);
            return;
        }
        var blocked = target?.Blocked;
        if (target?.Unblocked != null && blocked != null && blocked.TryCancel())
        {
            target.Unblocked(withError);
            // Redis writes the UNBLOCKED error while CLIENT UNBLOCK runs, so its failed calls count it too (afterErrorReply).
            if (withError) Interlocked.Increment(ref c.Services.State.SessionFailed[c.Spec.Id]);
            c.Reply.WriteInteger(1);
        }
        else c.Reply.WriteInteger(0);
    }

    private static void Help(SessionContext c)
    {
        // Redis 7.0's text, with 7.2's SETINFO (which current clients send at connect).
        string[] lines =
        [
            "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ];
        HelpText.Write(c.Reply, lines);
    }
}
