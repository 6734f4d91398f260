using System.Security.Cryptography;
using System.Text;
using AkkaRedis.Keyspace.Acl;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Protocol;

namespace AkkaRedis.Server.Sessions;

/// <summary>
/// ACL (acl.c aclCommand): users and their permissions, the log of refusals, and the ACL file. The users themselves
/// live in <see cref="AclUsers"/>; this is what clients see of them. Text goes out as the bytes it came in (Latin-1).
/// </summary>
public static class AclCommands
{
    public static void Register(SessionCommandTable table)
    {
        table.Add("acl|setuser", SetUser);
        table.Add("acl|deluser", DelUser);
        table.Add("acl|getuser", GetUser);
        table.Add("acl|list", c => ListUsers(c, namesOnly: false));
        table.Add("acl|users", c => ListUsers(c, namesOnly: true));
        table.Add("acl|whoami", c => Bulk(c, c.Session.User.Name));
        table.Add("acl|load", Load);
        table.Add("acl|save", Save);
        table.Add("acl|cat", Cat);
        table.Add("acl|genpass", GenPass);
        table.Add("acl|log", Log);
        table.Add("acl|dryrun", DryRun);
        table.Add("acl|help", c => HelpText.Write(c.Reply,
        [
            "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ]));
    }

    private static string Text(byte[] value) => Encoding.Latin1.GetString(value);

    private static void Bulk(SessionContext c, string text) => c.Reply.WriteBulk(Encoding.Latin1.GetBytes(text));

    private static void SetUser(SessionContext c)
    {
        var name = Text(c[2]);
        if (AclErrors.HasSpaces(name))
        {
            c.Error("ERR Usernames can't contain spaces or null characters");
            return;
        }
        var acl = c.Services.State.Acl;
        var ops = c.Args.Skip(3).Select(Text).ToList();
        if (acl.SetUser(name, ops, out var user, out var previous) is { } error)
        {
            c.Error("ERR " + error);
            return;
        }
        if (previous != null) KillSubscribersWhoLostChannels(c, user!, previous);
        c.Reply.WriteOk();
    }

    /// <summary>
    /// ACLKillPubsubClientsIfNeeded: when the user's channels no longer include all it had, its connections subscribed
    /// to a channel or pattern it lost are closed.
    /// </summary>
    private static void KillSubscribersWhoLostChannels(SessionContext c, AclUser user, AclRules previous)
    {
        var rules = user.Rules;
        if (rules.Selectors.Any(s => s.AllChannels)) return;
        var upcoming = rules.Selectors.SelectMany(s => s.Channels).ToList();
        if (!previous.Selectors.Any(s => s.AllChannels) && previous.Selectors.SelectMany(s => s.Channels).All(upcoming.Contains)) return;
        foreach (var client in c.Services.Clients.All.ToList())
        {
            if (client.User != user || client.Subscriptions is not { } subscriptions) continue;
            var (channels, patterns, shardChannels) = subscriptions.Snapshot();
            bool lost = patterns.Any(p => !AclSelector.MatchesChannel(upcoming, p, isPattern: true)) ||
                        channels.Concat(shardChannels).Any(ch => !AclSelector.MatchesChannel(upcoming, ch, isPattern: false));
            if (!lost) continue;
            c.CloseConnection(client);
        }
    }

    /// <summary>ACL DELUSER: the number deleted; their connections are closed (this one after the reply).</summary>
    private static void DelUser(SessionContext c)
    {
        var names = c.Args.Skip(2).Select(Text).ToList();
        if (names.Contains(AclUsers.DefaultName))
        {
            c.Error("ERR The 'default' user cannot be removed");
            return;
        }
        var removed = c.Services.State.Acl.Delete(names);
        CloseConnectionsOf(c, removed);
        c.Reply.WriteInteger(removed.Count);
    }

    /// <summary>ACLFreeUserAndKillClients: the connections authenticated as users that are gone.</summary>
    private static void CloseConnectionsOf(SessionContext c, List<AclUser> users)
    {
        if (users.Count == 0) return;
        foreach (var client in c.Services.Clients.All.ToList())
        {
            if (!users.Contains(client.User)) continue;
            // As Redis does, the connection falls back to the unauthenticated default user before it goes.
            client.User = c.Services.State.Acl.Default;
            client.Authenticated = false;
            c.CloseConnection(client);
        }
    }

    private static void GetUser(SessionContext c)
    {
        if (c.Services.State.Acl.Find(Text(c[2])) is not { } user)
        {
            c.Reply.WriteNull();
            return;
        }
        var rules = user.Rules;
        var reply = c.Reply;
        reply.WriteMapHeader(6);
        reply.WriteBulk("flags"u8);
        var flags = rules.Flags.ToList();
        reply.WriteSetHeader(flags.Count);
        foreach (var flag in flags) reply.WriteBulk(flag);
        reply.WriteBulk("passwords"u8);
        reply.WriteArrayHeader(rules.Passwords.Count);
        foreach (var hash in rules.Passwords) reply.WriteBulk(hash);
        // The root selector's fields at the top, for clients of Redis 6; then the others.
        WriteSelector(c, rules.Root);
        reply.WriteBulk("selectors"u8);
        reply.WriteArrayHeader(rules.Selectors.Count - 1);
        foreach (var selector in rules.Selectors.Skip(1))
        {
            reply.WriteMapHeader(3);
            WriteSelector(c, selector);
        }
    }

    private static void WriteSelector(SessionContext c, AclSelector selector)
    {
        c.Reply.WriteBulk("commands"u8);
        Bulk(c, selector.DescribeCommands());
        c.Reply.WriteBulk("keys"u8);
        Bulk(c, selector.DescribeKeys());
        c.Reply.WriteBulk("channels"u8);
        Bulk(c, selector.DescribeChannels());
    }

    private static void ListUsers(SessionContext c, bool namesOnly)
    {
        var users = c.Services.State.Acl.All();
        c.Reply.WriteArrayHeader(users.Count);
        foreach (var user in users) Bulk(c, namesOnly ? user.Name : $"user {user.Name} {user.Rules.Describe()}");
    }

    private const string NoAclFile =
        "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER " +
        "command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users " +
        "in the Redis configuration.";

    /// <summary>ACL LOAD: the users of the ACL file replace all others (whose connections close), or nothing changes.</summary>
    private static void Load(SessionContext c)
    {
        var fileName = c.Services.State.Config.AclFile;
        if (fileName.Length == 0)
        {
            c.Error(NoAclFile);
            return;
        }
        if (LoadFile(c.Services.State.Acl, c.Services.State.Config, out var dropped) is { } error)
        {
            c.Error("ERR " + error);
            return;
        }
        CloseConnectionsOf(c, dropped);
        c.Reply.WriteOk();
    }

    /// <summary>ACLLoadFromFile: null, or the errors, naming the file as configured (nothing is loaded then).</summary>
    public static string? LoadFile(AclUsers acl, Keyspace.Server.ServerConfig config, out List<AclUser> dropped)
    {
        dropped = [];
        var fileName = config.AclFile;
        string text;
        try
        {
            text = Encoding.Latin1.GetString(File.ReadAllBytes(config.AclFilePath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"Error loading ACLs, opening file '{fileName}': {(e is FileNotFoundException or DirectoryNotFoundException ? "No such file or directory" : e.Message)}";
        }
        return acl.Load(fileName, text, out dropped);
    }

    /// <summary>ACL SAVE: every user in the ACL file, written to a temporary file and renamed over it.</summary>
    private static void Save(SessionContext c)
    {
        var fileName = c.Services.State.Config.AclFile;
        if (fileName.Length == 0)
        {
            c.Error(NoAclFile);
            return;
        }
        var path = c.Services.State.Config.AclFilePath;
        var temporary = $"{path}.tmp-{Environment.ProcessId}-{Environment.TickCount64}";
        try
        {
            File.WriteAllBytes(temporary, Encoding.Latin1.GetBytes(c.Services.State.Acl.Save()));
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Writing ACL file for ACL SAVE: {e.Message}");
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            c.Error("ERR There was an error trying to save the ACLs. Please check the server logs for more information");
            return;
        }
        c.Reply.WriteOk();
    }

    /// <summary>ACL CAT: the categories, or every command (subcommands by their full name) in one.</summary>
    private static void Cat(SessionContext c)
    {
        if (c.Argc == 2)
        {
            c.Reply.WriteArrayHeader(AclCategories.All.Length);
            foreach (var category in AclCategories.All) c.Reply.WriteBulk(category);
            return;
        }
        if (c.Argc > 3)
        {
            c.Error(RespErrors.SubcommandSyntax(Text(c[1]), "acl"));
            return;
        }
        var wanted = Text(c[2]).ToLowerInvariant();
        if (!AclCategories.All.Contains(wanted))
        {
            c.Error($"ERR Unknown category '{Text(c[2])}'");
            return;
        }
        var names = c.Services.Table.AllSpecs.Where(s => s.Facts.AclCategories.Contains(wanted)).Select(s => s.Name).ToList();
        c.Reply.WriteArrayHeader(names.Count);
        foreach (var name in names) c.Reply.WriteBulk(name);
    }

    /// <summary>ACL GENPASS [bits]: that many random bits (256 by default) in hex, rounded up to whole hex digits.</summary>
    private static void GenPass(SessionContext c)
    {
        if (c.Argc > 3)
        {
            c.Error(RespErrors.SubcommandSyntax(Text(c[1]), "acl"));
            return;
        }
        long bits = 256;
        if (c.Argc == 3 && !Args.TryLong(c[2], out bits))
        {
            c.Error(RespErrors.NotInteger);
            return;
        }
        if (bits is <= 0 or > 4096)
        {
            c.Error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096");
            return;
        }
        int digits = (int)((bits + 3) / 4);
        c.Reply.WriteBulk(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes((digits + 1) / 2))[..digits]);
    }

    /// <summary>ACL LOG [count | RESET]: the newest entries (10 by default), each a map of seven fields.</summary>
    private static void Log(SessionContext c)
    {
        if (c.Argc > 3)
        {
            c.Error(RespErrors.SubcommandSyntax(Text(c[1]), "acl"));
            return;
        }
        var log = c.Services.State.Acl.Log;
        long count = 10;
        if (c.Argc == 3)
        {
            if (Args.Is(c[2], "RESET"))
            {
                log.Reset();
                c.Reply.WriteOk();
                return;
            }
            if (!Args.TryLong(c[2], out count))
            {
                c.Error(RespErrors.NotInteger);
                return;
            }
            count = Math.Max(count, 0);
        }
        var entries = log.Newest(count);
        long now = c.Services.State.Clock.NowMs;
        c.Reply.WriteArrayHeader(entries.Count);
        foreach (var (entry, times, timeMs, clientInfo) in entries)
        {
            c.Reply.WriteMapHeader(7);
            c.Reply.WriteBulk("count"u8);
            c.Reply.WriteInteger(times);
            c.Reply.WriteBulk("reason"u8);
            c.Reply.WriteBulk(entry.ReasonName);
            c.Reply.WriteBulk("context"u8);
            c.Reply.WriteBulk(entry.ContextName);
            c.Reply.WriteBulk("object"u8);
            Bulk(c, entry.Target);
            c.Reply.WriteBulk("username"u8);
            Bulk(c, entry.User);
            c.Reply.WriteBulk("age-seconds"u8);
            c.Reply.WriteDouble((now - timeMs) / 1000.0);
            c.Reply.WriteBulk("client-info"u8);
            c.Reply.WriteBulk(clientInfo);
        }
    }

    /// <summary>ACL DRYRUN user command [arg ...]: OK, or why the user may not run it (nothing is logged).</summary>
    private static void DryRun(SessionContext c)
    {
        if (c.Services.State.Acl.Find(Text(c[2])) is not { } user)
        {
            c.Error($"ERR User '{Text(c[2])}' not found");
            return;
        }
        var args = c.Args[3..];
        if (c.Services.Table.FindCommand(args) is not { } spec)
        {
            c.Error($"ERR Command '{Text(c[3])}' not found");
            return;
        }
        int arity = spec.Facts.Arity;
        if ((arity > 0 && arity != args.Length) || args.Length < -arity)
        {
            c.Error($"ERR wrong number of arguments for '{spec.Name}' command");
            return;
        }
        switch (user.Rules.Check(spec, args, out int at))
        {
            case AclDenial.None:
                c.Reply.WriteOk();
                break;
            case AclDenial.Command:
                Bulk(c, $"This user has no permissions to run the '{spec.Name}' command");
                break;
            case AclDenial.Key:
                Bulk(c, $"This user has no permissions to access the '{Text(args[at])}' key");
                break;
            default:
                Bulk(c, $"This user has no permissions to access the '{Text(args[at])}' channel");
                break;
        }
    }
}
