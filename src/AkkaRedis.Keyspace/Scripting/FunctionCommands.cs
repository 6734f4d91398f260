using System.Text;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Scripting;

/// <summary>
/// FUNCTION and FCALL (functions.c). Like scripts, they run on the script engine with every shard held. FUNCTION
/// LOAD, DELETE, FLUSH and RESTORE change the libraries and are journaled as sent, as Redis keeps them in its AOF;
/// a rewrite writes every library as a FUNCTION LOAD.
/// </summary>
public static class FunctionCommands
{
    public static void Register(CommandTable.Builder table) => table
        .AllShards("fcall", c => FCall(c, readOnly: false))
        .AllShards("fcall_ro", c => FCall(c, readOnly: true))
        .AllShards("function|load", Load)
        .AllShards("function|delete", Delete)
        .AllShards("function|flush", Flush)
        .AllShards("function|list", List)
        .AllShards("function|dump", c => c.Reply.WriteBulk(FunctionPayload.Dump(c.Scripts.Libraries)))
        .AllShards("function|restore", Restore)
        .AllShards("function|help", c => HelpText.Write(c.Reply,
        [
            "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ]));

    private static void FCall(CommandContext c, bool readOnly)
    {
        // The function is looked up before numkeys is read (fcallCommandGeneric).
        var function = c.Scripts.FindFunction(Encoding.UTF8.GetString(c[1]));
        if (function == null)
        {
            c.Error("ERR Function not found");
            return;
        }
        if (!ScriptCommands.TryKeysAndArgs(c, out var keys, out var argv, "ERR Bad number of keys provided")) return;
        if (ScriptCommands.RefusedBeforeRun(c, DeclaredFlags.Of(function), readOnly)) return;
        c.Scripts.Call(c, function, keys, argv, readOnly);
    }

    private static void Load(CommandContext c)
    {
        // functionLoadCommand: every argument before the code is an option, and REPLACE (in any case, any number of
        // times) is the only one.
        bool replace = false;
        int codeAt = 2;
        for (; codeAt < c.Argc - 1; codeAt++)
        {
            if (!Args.Is(c[codeAt], "REPLACE"))
            {
                c.Error($"ERR Unknown option given: {Encoding.UTF8.GetString(c[codeAt])}");
                return;
            }
            replace = true;
        }
        var error = c.Scripts.LoadLibrary(Encoding.UTF8.GetString(c[codeAt]), replace, out string name,
            c.Replaying ? 0 : ScriptEngine.LoadTimeoutMs);
        if (error != null)
        {
            c.Error(error);
            return;
        }
        c.Changes++;
        c.Reply.WriteBulk(name);
    }

    private static void Delete(CommandContext c)
    {
        if (!c.Scripts.DeleteLibrary(Encoding.UTF8.GetString(c[2])))
        {
            c.Error("ERR Library not found");
            return;
        }
        c.Changes++;
        c.Reply.WriteOk();
    }

    private static void Flush(CommandContext c)
    {
        if (c.Argc > 3)
        {
            c.Error(RespErrors.SubcommandSyntax(Encoding.UTF8.GetString(c[1]), "function"));
            return;
        }
        if (c.Argc == 3 && !Args.Is(c[2], "ASYNC") && !Args.Is(c[2], "SYNC"))
        {
            c.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
            return;
        }
        c.Scripts.FlushLibraries();
        c.Changes++;
        c.Reply.WriteOk();
    }

    private static void List(CommandContext c)
    {
        byte[]? pattern = null;
        bool withCode = false;
        for (int i = 2; i < c.Argc; i++)
        {
            if (Args.Is(c[i], "WITHCODE") && !withCode) withCode = true;
            else if (Args.Is(c[i], "LIBRARYNAME") && pattern == null && i + 1 < c.Argc) pattern = c[++i];
            else
            {
                c.Error(Args.Is(c[i], "LIBRARYNAME") && i + 1 >= c.Argc ? "ERR library name argument was not given" : $"ERR Unknown argument {Encoding.UTF8.GetString(c[i])}");
                return;
            }
        }
        var libraries = c.Scripts.Libraries.Where(l => pattern == null || Glob.Match(pattern, Encoding.UTF8.GetBytes(l.Name))).ToList();
        var reply = c.Reply;
        reply.WriteArrayHeader(libraries.Count);
        foreach (var library in libraries)
        {
            reply.WriteMapHeader(withCode ? 4 : 3);
            reply.WriteBulk("library_name");
            reply.WriteBulk(library.Name);
            reply.WriteBulk("engine");
            reply.WriteBulk("LUA");
            reply.WriteBulk("functions");
            reply.WriteArrayHeader(library.Functions.Count);
            foreach (var function in library.Functions)
            {
                reply.WriteMapHeader(3);
                reply.WriteBulk("name");
                reply.WriteBulk(function.Name);
                reply.WriteBulk("description");
                if (function.Description == null) reply.WriteNull();
                else reply.WriteBulk(function.Description);
                reply.WriteBulk("flags");
                reply.WriteSetHeader(function.Flags.Length);
                foreach (var flag in function.Flags) reply.WriteBulk(flag);
            }
            if (withCode)
            {
                reply.WriteBulk("library_code");
                reply.WriteBulk(library.Code);
            }
        }
    }

    private static void Restore(CommandContext c)
    {
        string policy = "APPEND";
        if (c.Argc == 4)
        {
            policy = Encoding.UTF8.GetString(c[3]).ToUpperInvariant();
            if (policy is not ("APPEND" or "REPLACE" or "FLUSH"))
            {
                c.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
                return;
            }
        }
        else if (c.Argc > 4)
        {
            c.Error(RespErrors.SubcommandSyntax(Encoding.UTF8.GetString(c[1]), "function"));
            return;
        }
        var codes = FunctionPayload.Parse(c[2]);
        if (codes == null)
        {
            c.Error("ERR DUMP payload version or checksum are wrong");
            return;
        }
        var engine = c.Scripts;
        var previous = engine.Libraries.Select(l => l.Code).ToList();
        if (policy == "FLUSH") engine.FlushLibraries();
        foreach (var code in codes)
        {
            // libraryJoin words a library that is there already without quotes, unlike FUNCTION LOAD.
            var library = ScriptEngine.LibraryName(code);
            var error = policy == "APPEND" && engine.HasLibrary(library)
                ? $"ERR Library {library} already exists"
                : engine.LoadLibrary(code, policy == "REPLACE", out _);
            if (error == null) continue;
            // All or nothing: put the libraries back as they were.
            engine.FlushLibraries();
            foreach (var old in previous) engine.LoadLibrary(old, replace: false, out _);
            c.Error(error);
            return;
        }
        c.Changes++;
        c.Reply.WriteOk();
    }
}
