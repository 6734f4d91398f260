using System.Text;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Protocol;

namespace AkkaRedis.Server.Sessions;

/// <summary>COMMAND and its subcommands, all read from the command table (server.c commandCommand and friends).</summary>
public static class CommandCommands
{
    public static void Register(SessionCommandTable table)
    {
        table.Add("command", All);
        table.Add("command|count", c => c.Reply.WriteInteger(c.Services.Table.Commands.Count()));
        table.Add("command|info", Info);
        table.Add("command|docs", Docs);
        table.Add("command|getkeys", c => GetKeys(c, withFlags: false));
        table.Add("command|getkeysandflags", c => GetKeys(c, withFlags: true));
        table.Add("command|list", List);
        table.Add("command|help", c => HelpText.Write(c.Reply,
        [
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ]));
    }

    private static void All(SessionContext c)
    {
        var commands = c.Services.Table.Commands.ToList();
        c.Reply.WriteArrayHeader(commands.Count);
        foreach (var spec in commands) WriteInfo(c.Reply, spec);
    }

    private static void Info(SessionContext c)
    {
        if (c.Argc == 2)
        {
            All(c);
            return;
        }
        c.Reply.WriteArrayHeader(c.Argc - 2);
        for (int i = 2; i < c.Argc; i++)
        {
            var spec = FindByFullName(c, Encoding.UTF8.GetString(c[i]));
            if (spec == null) c.Reply.WriteNullArray();
            else WriteInfo(c.Reply, spec);
        }
    }

    /// <summary>"get" or "config|get".</summary>
    private static CommandSpec? FindByFullName(SessionContext c, string name)
    {
        int bar = name.IndexOf('|');
        var top = c.Services.Table.Find(bar < 0 ? name : name[..bar]);
        if (bar < 0 || top == null) return top;
        return top.Subcommands?.GetValueOrDefault(name[(bar + 1)..].ToLowerInvariant());
    }

    private static void WriteInfo(RespWriter reply, CommandSpec spec)
    {
        var f = spec.Facts;
        reply.WriteArrayHeader(10);
        reply.WriteBulk(spec.Name);
        reply.WriteInteger(f.Arity);
        reply.WriteSetHeader(f.Flags.Length);
        foreach (var flag in f.Flags) reply.WriteSimple(flag);
        reply.WriteInteger(f.FirstKey);
        reply.WriteInteger(f.LastKey);
        reply.WriteInteger(f.Step);
        reply.WriteSetHeader(f.AclCategories.Length);
        foreach (var category in f.AclCategories) reply.WriteSimple("@" + category);
        reply.WriteSetHeader(f.Tips.Length);
        foreach (var tip in f.Tips) reply.WriteSimple(tip);
        reply.WriteArrayHeader(f.KeySpecs.Length);
        foreach (var keySpec in f.KeySpecs) WriteKeySpec(reply, keySpec);
        var subs = spec.Subcommands?.Values.OrderBy(s => s.Name).ToList() ?? [];
        reply.WriteArrayHeader(subs.Count);
        foreach (var sub in subs) WriteInfo(reply, sub);
    }

    private static void WriteKeySpec(RespWriter reply, KeySpec spec)
    {
        var flags = spec.Flags.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        reply.WriteMapHeader(3);
        reply.WriteBulk("flags"u8);
        reply.WriteSetHeader(flags.Length);
        foreach (var flag in flags) reply.WriteSimple(flag);
        if (spec.Search.Word != null)
            WriteTyped(reply, "begin_search", "keyword", ("keyword", spec.Search.Word), ("startfrom", spec.Search.StartFrom));
        else if (spec.Search.Position > 0) WriteTyped(reply, "begin_search", "index", ("index", spec.Search.Position));
        else WriteTyped(reply, "begin_search", "unknown");
        if (spec.Find.IsRange)
            WriteTyped(reply, "find_keys", "range", ("lastkey", spec.Find.LastKey), ("keystep", spec.Find.Step), ("limit", spec.Find.Limit));
        else if (spec.Find.KeyNumIndex >= 0)
            WriteTyped(reply, "find_keys", "keynum", ("keynumidx", spec.Find.KeyNumIndex), ("firstkey", spec.Find.FirstKey), ("keystep", spec.Find.Step));
        else WriteTyped(reply, "find_keys", "unknown");
    }

    /// <summary>One "name => {type: ..., spec: {field: value, ...}}" entry of a key spec; values are strings or integers.</summary>
    private static void WriteTyped(RespWriter reply, string name, string type, params (string Field, object Value)[] fields)
    {
        reply.WriteBulk(name);
        reply.WriteMapHeader(2);
        reply.WriteBulk("type"u8);
        reply.WriteBulk(type);
        reply.WriteBulk("spec"u8);
        reply.WriteMapHeader(fields.Length);
        foreach (var (field, value) in fields)
        {
            reply.WriteBulk(field);
            if (value is string text) reply.WriteBulk(text);
            else reply.WriteInteger(Convert.ToInt64(value));
        }
    }

    /// <summary>COMMAND DOCS: the facts we carry (group, since); the prose of Redis's docs is not ours to copy.</summary>
    private static void Docs(SessionContext c)
    {
        var specs = c.Argc == 2
            ? c.Services.Table.Commands.ToList()
            : Enumerable.Range(2, c.Argc - 2).Select(i => FindByFullName(c, Encoding.UTF8.GetString(c[i]))).Where(s => s != null).Select(s => s!).ToList();
        c.Reply.WriteMapHeader(specs.Count);
        foreach (var spec in specs) WriteDoc(c.Reply, spec);
    }

    private static void WriteDoc(RespWriter reply, CommandSpec spec)
    {
        reply.WriteBulk(spec.Name);
        var subs = spec.Subcommands?.Values.OrderBy(s => s.Name).ToList();
        reply.WriteMapHeader(subs is { Count: > 0 } ? 3 : 2);
        reply.WriteBulk("since"u8);
        reply.WriteBulk(spec.Facts.Since);
        reply.WriteBulk("group"u8);
        reply.WriteBulk(spec.Facts.Group);
        if (subs is { Count: > 0 })
        {
            reply.WriteBulk("subcommands"u8);
            reply.WriteMapHeader(subs.Count);
            foreach (var sub in subs) WriteDoc(reply, sub);
        }
    }

    private static void GetKeys(SessionContext c, bool withFlags)
    {
        var args = c.Args[2..];
        var (spec, error) = c.Services.Table.Resolve(args);
        if (spec == null)
        {
            c.Error("ERR Invalid command specified");
            return;
        }
        // commandGetKeysCommand's order: a command without key specs, then arity, then the keys found.
        if (!spec.HasKeys)
        {
            c.Error("ERR The command has no key arguments");
            return;
        }
        if (error != null)
        {
            c.Error("ERR Invalid number of arguments specified for command");
            return;
        }
        var keys = spec.KeysWithFlags(args, out bool valid);
        if (!valid || keys.Count == 0)
        {
            // EVAL, FCALL and the like may have no keys at all (CMD_NO_MANDATORY_KEYS): none is an empty answer.
            if (spec.Facts.HasFlag("no_mandatory_keys")) c.Reply.WriteArrayHeader(0);
            else c.Error("ERR Invalid arguments specified for command");
            return;
        }
        c.Reply.WriteArrayHeader(keys.Count);
        foreach (var (position, flags) in keys)
        {
            if (!withFlags)
            {
                c.Reply.WriteBulk(args[position]);
                continue;
            }
            var split = flags.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            c.Reply.WriteArrayHeader(2);
            c.Reply.WriteBulk(args[position]);
            c.Reply.WriteSetHeader(split.Length);
            foreach (var flag in split) c.Reply.WriteSimple(flag);
        }
    }

    private static void List(SessionContext c)
    {
        var names = new List<string>();
        foreach (var spec in c.Services.Table.Commands)
        {
            names.Add(spec.Name);
            if (spec.Subcommands != null) names.AddRange(spec.Subcommands.Values.Select(s => s.Name));
        }
        if (c.Argc == 5 && Args.Is(c[2], "FILTERBY"))
        {
            var value = c[4];
            var text = Encoding.UTF8.GetString(value);
            if (Args.Is(c[3], "MODULE")) names.Clear();
            else if (Args.Is(c[3], "ACLCAT"))
                names = names.Where(n => FindByFullName(c, n)!.Facts.AclCategories.Contains(text.ToLowerInvariant())).ToList();
            else if (Args.Is(c[3], "PATTERN"))
                names = names.Where(n => Glob.Match(value, Encoding.UTF8.GetBytes(n), noCase: true)).ToList();
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        else if (c.Argc != 2)
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        c.Reply.WriteArrayHeader(names.Count);
        foreach (var name in names) c.Reply.WriteBulk(name);
    }
}
