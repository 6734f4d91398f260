using System.Security.Cryptography;
using System.Text;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Protocol;

namespace AkkaRedis.Server.Sessions;

/// <summary>
/// The ACL subcommands that describe this server's one user (acl.c): "default", on, with every permission, and the
/// password requirepass sets (or nopass). Managing users (SETUSER, DELUSER, DRYRUN, LOAD, SAVE, LOG) is not supported
/// and answers Redis's unknown-subcommand error.
/// </summary>
public static class AclCommands
{
    /// <summary>Redis 7.0's ACL categories, in ACL CAT's order.</summary>
    private static readonly string[] Categories =
    [
        "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo", "stream",
        "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting",
    ];

    private const string User = "default";

    public static void Register(SessionCommandTable table)
    {
        table.Add("acl|whoami", c => c.Reply.WriteBulk(User));
        table.Add("acl|users", c =>
        {
            c.Reply.WriteArrayHeader(1);
            c.Reply.WriteBulk(User);
        });
        table.Add("acl|list", c =>
        {
            c.Reply.WriteArrayHeader(1);
            c.Reply.WriteBulk($"user {User} on {(PasswordHash(c) is { } hash ? "#" + hash : "nopass")} ~* &* +@all");
        });
        table.Add("acl|getuser", GetUser);
        table.Add("acl|cat", Cat);
        table.Add("acl|genpass", GenPass);
        table.Add("acl|help", c => HelpText.Write(c.Reply,
        [
            "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ]));
    }

    /// <summary>The SHA-256 of requirepass in hex, as ACL shows passwords, or null when there is none (nopass).</summary>
    private static string? PasswordHash(SessionContext c) =>
        c.Services.State.Config.RequirePass is { Length: > 0 } password
            ? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password)))
            : null;

    private static void GetUser(SessionContext c)
    {
        if (Args.Text(c[2]) != User)
        {
            c.Reply.WriteNull();
            return;
        }
        var hash = PasswordHash(c);
        c.Reply.WriteMapHeader(6);
        c.Reply.WriteBulk("flags");
        c.Reply.WriteSetHeader(hash == null ? 2 : 1);
        c.Reply.WriteBulk("on");
        if (hash == null) c.Reply.WriteBulk("nopass");
        c.Reply.WriteBulk("passwords");
        c.Reply.WriteArrayHeader(hash == null ? 0 : 1);
        if (hash != null) c.Reply.WriteBulk(hash);
        c.Reply.WriteBulk("commands");
        c.Reply.WriteBulk("+@all");
        c.Reply.WriteBulk("keys");
        c.Reply.WriteBulk("~*");
        c.Reply.WriteBulk("channels");
        c.Reply.WriteBulk("&*");
        c.Reply.WriteBulk("selectors");
        c.Reply.WriteArrayHeader(0);
    }

    /// <summary>ACL CAT: the categories, or every command (subcommands by their full name) in one.</summary>
    private static void Cat(SessionContext c)
    {
        if (c.Argc == 2)
        {
            c.Reply.WriteArrayHeader(Categories.Length);
            foreach (var category in Categories) c.Reply.WriteBulk(category);
            return;
        }
        var wanted = Args.Text(c[2]).ToLowerInvariant();
        if (!Categories.Contains(wanted))
        {
            c.Error($"ERR Unknown category '{Args.Text(c[2])}'");
            return;
        }
        var names = new List<string>();
        foreach (var spec in c.Services.Table.Commands)
        {
            if (spec.Facts.AclCategories.Contains(wanted)) names.Add(spec.Name);
            if (spec.Subcommands != null) names.AddRange(spec.Subcommands.Values.Where(s => s.Facts.AclCategories.Contains(wanted)).Select(s => s.Name));
        }
        c.Reply.WriteArrayHeader(names.Count);
        foreach (var name in names) c.Reply.WriteBulk(name);
    }

    /// <summary>ACL GENPASS [bits]: that many random bits (256 by default) in hex, rounded up to whole hex digits.</summary>
    private static void GenPass(SessionContext c)
    {
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
}
