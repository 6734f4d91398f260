using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Protocol;
using KeraLua;

namespace AkkaRedis.Keyspace.Scripting;

/// <summary>
/// One Lua state and its script cache, owned by the shard that runs scripts (the last shard: scripts hold every
/// shard, and a hold always ends on the last one). Scripts see Redis 7.0's environment (prelude.lua); redis.call
/// runs the ordinary command handlers against the held shards and turns their RESP replies into Lua values.
///
/// No Lua error is ever raised from C#: lua_error would longjmp across managed frames. The native functions
/// return (failed, value) and the Lua side raises.
/// </summary>
public sealed class ScriptEngine : IDisposable
{
    [ThreadStatic] private static ScriptEngine? _running;

    // Kept in fields: Lua holds only native pointers to these delegates.
    private static readonly LuaFunction CallFunction = NativeCall;
    private static readonly LuaFunction Sha1Function = NativeSha1;
    private static readonly LuaFunction LogFunction = NativeLog;
    private static readonly LuaFunction SetRespFunction = NativeSetResp;
    private static readonly LuaFunction KilledFunction = NativeKilled;
    private static readonly LuaFunction SetReplFunction = NativeSetRepl;
    private static readonly LuaFunction UntailFunction = NativeUntail;
    private static readonly LuaFunction LoadOverdueFunction = NativeLoadOverdue;
    private static readonly LuaFunction AclCheckFunction = NativeAclCheck;

    /// <summary>FUNCTION LOAD's deadline (Environment.TickCount64) while a library's code runs to register; 0: none.</summary>
    [ThreadStatic] private static long t_loadDeadline;

    /// <summary>How long FUNCTION LOAD lets a library's code run before it gives up (LOAD_TIMEOUT_MS).</summary>
    public const int LoadTimeoutMs = 500;

    private readonly Lua _lua;
    private readonly Server.ServerState _server;
    private readonly CommandContext _inner;
    private readonly RespWriter _callReply = new(256);
    private CommandContext _outer = null!;
    private bool _readOnly;
    /// <summary>The script declared allow-oom (scriptVerifyOOM lets it add data over maxmemory).</summary>
    private bool _allowOom;
    /// <summary>A call of the running script changed data: from then on it is not stopped for memory (SCRIPT_WRITE_DIRTY).</summary>
    private bool _wrote;
    private bool _resp3;
    private int _db;

    /// <summary>redis.set_repl: whether the script's writes from now on reach the AOF (REPL_AOF, REPL_ALL) or not.</summary>
    private bool _journaled = true;

    public ScriptEngine(Data.Keyspace keyspace, Server.ServerState server)
    {
        _server = server;
        _inner = new CommandContext(keyspace, server) { InScript = true };
        _lua = new Lua(openLibs: true);
        using var prelude = typeof(ScriptEngine).Assembly.GetManifestResourceStream("AkkaRedis.Keyspace.Scripting.prelude.lua")!;
        using var buffer = new MemoryStream();
        prelude.CopyTo(buffer);
        if (_lua.LoadBuffer(buffer.ToArray(), "=prelude") != LuaStatus.OK) throw new InvalidOperationException(_lua.ToString(-1));
        _lua.PushCFunction(CallFunction);
        _lua.PushCFunction(Sha1Function);
        _lua.PushCFunction(LogFunction);
        _lua.PushCFunction(SetRespFunction);
        _lua.PushCFunction(KilledFunction);
        _lua.PushCFunction(SetReplFunction);
        _lua.PushCFunction(UntailFunction);
        _lua.PushCFunction(LoadOverdueFunction);
        _lua.PushCFunction(AclCheckFunction);
        if (_lua.PCall(9, 1, 0) != LuaStatus.OK) throw new InvalidOperationException(_lua.ToString(-1));
        _lua.SetGlobal("__akkaredis");
    }

    public static string Sha1(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA1.HashData(body));

    /// <summary>Compiles <paramref name="body"/> into the cache; null, or Redis's compile error.</summary>
    public string? Compile(string sha, byte[] body)
    {
        if (ScriptShebang.TryRead(body, out var shebang) is { } invalid) return "ERR " + invalid;
        CallLibrary("compile", 1, () =>
        {
            _lua.PushString(sha);
            // The shebang line is left out but not its line feed, so line numbers stay the user's (luaCreateFunction).
            _lua.PushBuffer(shebang.Length == 0 ? body : body[shebang.Length..]);
        });
        string? error = _lua.Type(-1) == LuaType.String ? _lua.ToString(-1) : null;
        _lua.Pop(1);
        if (error == null)
        {
            _compiled.Add(sha);
            _server.ScriptBodies[sha] = body;
        }
        // Lua 5.4 writes "near <eof>" where 5.1 (and so Redis) wrote "near '<eof>'".
        return error == null ? null : "ERR Error compiling script (new function): " + OneLine(error).Replace("near <eof>", "near '<eof>'");
    }

    /// <summary>Whether the node's script cache has the script (SCRIPT EXISTS).</summary>
    public bool Exists(string sha) => _server.ScriptBodies.ContainsKey(sha);

    /// <summary>EVALSHA: whether the node's cache has the script; compiles it here first when this engine has not yet.</summary>
    public bool TryLoad(string sha)
    {
        if (!_server.ScriptBodies.TryGetValue(sha, out var body)) return false;
        return _compiled.Contains(sha) || Compile(sha, body) == null;
    }

    /// <summary>The scripts in the node's cache (INFO's number_of_cached_scripts).</summary>
    public int ScriptCount => _server.ScriptBodies.Count;

    /// <summary>The scripts compiled in this engine's Lua state.</summary>
    private readonly HashSet<string> _compiled = new(StringComparer.Ordinal);

    /// <summary>SCRIPT FLUSH: the node's cache, and this engine's compiled scripts (others recompile what they are asked for again).</summary>
    public void Flush()
    {
        _server.ScriptBodies.Clear();
        _compiled.Clear();
        CallLibrary("flush", 0, () => { });
        _lua.GarbageCollector(LuaGC.Collect, 0);
    }

    private readonly SortedDictionary<string, FunctionLibrary> _libraries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FunctionInfo> _functions = new(StringComparer.OrdinalIgnoreCase); // function names are case-insensitive (functionDictType)

    public IEnumerable<FunctionLibrary> Libraries => _libraries.Values;

    public bool HasLibrary(string name) => _libraries.ContainsKey(name);

    /// <summary>The name a library's code declares, or "" when its header is not valid.</summary>
    public static string LibraryName(string code) => ReadLibraryHeader(code, out var name, out _) == null ? name : "";
    public int FunctionCount => _functions.Count;
    public FunctionInfo? FindFunction(string name) => _functions.GetValueOrDefault(name);

    /// <summary>
    /// FUNCTION LOAD: the code starts with "#!lua name=&lt;library&gt;"; running it registers the library's functions.
    /// Null and the library's name, or Redis's error.
    /// </summary>
    /// <param name="timeoutMs">How long the code may run to register its functions (0: as long as it takes, for what
    /// a replay, a restore or a reload loads; FUNCTION LOAD from a client gives <see cref="LoadTimeoutMs"/>).</param>
    public string? LoadLibrary(string code, bool replace, out string name, int timeoutMs = 0)
    {
        if (ReadLibraryHeader(code, out name, out var engine) is { } invalid) return "ERR " + invalid;
        if (name.Length == 0 || !name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_'))
            return "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
        if (!engine.Equals("lua", StringComparison.OrdinalIgnoreCase)) return $"ERR Engine '{engine}' not found";
        if (_libraries.ContainsKey(name) && !replace) return $"ERR Library '{name}' already exists";
        // The header line is not Lua: it becomes an empty line, so line numbers stay those of the code as given.
        var body = code[code.IndexOf('\n')..];
        t_loadDeadline = timeoutMs > 0 ? Environment.TickCount64 + timeoutMs : 0;
        try
        {
            CallLibrary("load_library", 2, () => _lua.PushBuffer(Encoding.UTF8.GetBytes(body)));
        }
        finally
        {
            t_loadDeadline = 0;
        }
        if (_lua.Type(-2) != LuaType.Table)
        {
            var error = _lua.ToString(-1);
            _lua.Pop(2);
            if (error.StartsWith("No functions registered", StringComparison.Ordinal)) return "ERR No functions registered";
            if (error.StartsWith("user_function:", StringComparison.Ordinal) && !error.Contains("Script attempted", StringComparison.Ordinal))
                return "ERR Error compiling function: " + OneLine(error).Replace("near <eof>", "near '<eof>'");
            return "ERR Error registering functions: " + OneLine(error);
        }
        _lua.Pop(1);
        var functions = ReadRegistered(name);
        foreach (var function in functions)
            if (_functions.TryGetValue(function.Name, out var existing) && existing.Library != name)
            {
                _lua.Pop(1);
                return $"ERR Function {function.Name} already exists";
            }
        if (_libraries.ContainsKey(name)) DeleteLibrary(name);
        CallLibrary("install", 0, () => _lua.PushCopy(-2));
        _lua.Pop(1);
        _libraries[name] = new FunctionLibrary(name, code, functions);
        foreach (var function in functions) _functions[function.Name] = _server.Functions[function.Name] = function;
        return null;
    }

    /// <summary>
    /// The library's first line, "#!&lt;engine&gt; name=&lt;name&gt;", read as functionExtractLibMetaData reads it: null, or
    /// Redis's error (without "ERR ").
    /// </summary>
    private static string? ReadLibraryHeader(string code, out string name, out string engine)
    {
        name = engine = "";
        if (!code.StartsWith("#!", StringComparison.Ordinal)) return "Missing library metadata";
        int newline = code.IndexOf('\n');
        if (newline < 0) return "Invalid library metadata";
        // sdssplitargs, quotes and all: name="foo" is the name foo.
        var split = Protocol.InlineSplitter.Split(Encoding.UTF8.GetBytes(code[..newline]));
        if (split is not { Length: > 0 }) return "Invalid library metadata";
        var parts = split.Select(Encoding.UTF8.GetString).ToArray();
        engine = parts[0][2..];
        string? given = null;
        foreach (var part in parts.Skip(1))
        {
            if (!part.StartsWith("name=", StringComparison.OrdinalIgnoreCase)) return $"Invalid metadata value given: {part}";
            if (given != null) return "Invalid metadata value, name argument was given multiple times";
            given = part[5..];
        }
        if (given == null) return "Library name was not given";
        name = given;
        return null;
    }

    /// <summary>The table load_library returned (on the stack): each function's flags and description.</summary>
    private List<FunctionInfo> ReadRegistered(string library)
    {
        var functions = new List<FunctionInfo>();
        _lua.PushNil();
        while (_lua.Next(-2))
        {
            var name = _lua.ToString(-2);
            _lua.GetField(-1, "flags");
            var flags = new List<string>();
            for (int i = 1; _lua.RawGetInteger(-1, i) == LuaType.String; i++)
            {
                flags.Add(_lua.ToString(-1));
                _lua.Pop(1);
            }
            _lua.Pop(2);
            _lua.GetField(-1, "description");
            var description = _lua.Type(-1) == LuaType.String ? _lua.ToString(-1) : null;
            _lua.Pop(2);
            functions.Add(new FunctionInfo(name, library, flags.ToArray(), description));
        }
        functions.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return functions;
    }

    public bool DeleteLibrary(string name)
    {
        if (!_libraries.Remove(name, out var library)) return false;
        foreach (var function in library.Functions)
        {
            _functions.Remove(function.Name);
            _server.Functions.TryRemove(function.Name, out _);
            CallLibrary("uninstall", 0, () => _lua.PushString(function.Name));
        }
        return true;
    }

    public void FlushLibraries()
    {
        foreach (var name in _libraries.Keys.ToList()) DeleteLibrary(name);
    }

    /// <summary>FCALL: runs a function as a script runs (every shard held, effects in one block).</summary>
    public void Call(CommandContext c, FunctionInfo function, byte[][] keys, byte[][] argv, bool readOnly) =>
        RunInLua(c, "call_function", function.Name, keys, argv, readOnly || function.NoWrites, function.AllowOom);

    /// <summary>
    /// Runs a cached script with all shards held, writing its reply into <paramref name="c"/>'s writer. Its writes
    /// are journaled as one MULTI/EXEC block, as Redis 7 propagates a script's effects.
    /// </summary>
    /// <param name="allowOom">The script declared allow-oom: commands that may add data run even over maxmemory.</param>
    public void Run(CommandContext c, string sha, byte[][] keys, byte[][] argv, bool readOnly, bool allowOom = false) =>
        RunInLua(c, "run", sha, keys, argv, readOnly, allowOom);

    /// <summary>
    /// Calls the prelude's <paramref name="runner"/> ("run" for a script by its sha, "call_function" for a function
    /// by its name) and writes the reply, or the error with where it was raised, as Redis does.
    /// </summary>
    private void RunInLua(CommandContext c, string runner, string name, byte[][] keys, byte[][] argv, bool readOnly, bool allowOom)
    {
        _outer = c;
        _readOnly = readOnly;
        _allowOom = allowOom;
        _wrote = false;
        _resp3 = false;
        _journaled = true;
        _lastCountedError = null;
        int replyStart = c.Reply.Length;
        _db = c.Db;
        _running = this;
        c.Server.Script.Begin(c.Server.Clock.NowMs, runner == "call_function", name, c.Args);
        c.Journal?.BeginBlock();
        try
        {
            CallLibrary(runner, 2, () =>
            {
                _lua.PushString(name);
                PushArray(keys);
                PushArray(argv);
            });
            if (_lua.ToBoolean(-2)) WriteReply(c.Reply, -1, 0);
            else
            {
                _lua.GetField(-1, "err");
                var message = _lua.ToString(-1);
                _lua.Pop(1);
                _lua.GetField(-1, "line");
                var line = _lua.ToString(-1);
                _lua.Pop(1);
                var source = runner == "run" ? "@user_script" : "@user_function";
                c.Reply.WriteError($"{OneLine(message)} script: {name}, on {source}:{line}.");
            }
            _lua.Pop(2);
            // A reply that is (or was raised from) the error of a command the script called is counted once, there.
            if (_lastCountedError != null && c.Reply.Length > replyStart + 1 && c.Reply.Buffer[replyStart] == (byte)'-')
                c.ErrorCounted = c.Reply.Buffer.AsSpan(replyStart + 1).StartsWith(_lastCountedError);
        }
        finally
        {
            c.Server.Script.End();
            c.Journal?.EndBlock();
            c.ReadyKeys.AddRange(_inner.ReadyKeys);
            _inner.ReadyKeys.Clear();
            _running = null;
            _lua.GarbageCollector(LuaGC.Step, 1);
        }
    }

    private void CallLibrary(string function, int results, Action pushArguments)
    {
        _lua.GetGlobal("__akkaredis");
        _lua.GetField(-1, function);
        _lua.Remove(-2);
        int before = _lua.GetTop();
        pushArguments();
        if (_lua.PCall(_lua.GetTop() - before, results, 0) != LuaStatus.OK)
        {
            var error = _lua.ToString(-1);
            _lua.Pop(1);
            throw new InvalidOperationException(error);
        }
    }

    private void PushArray(byte[][] items)
    {
        _lua.CreateTable(items.Length, 0);
        for (int i = 0; i < items.Length; i++)
        {
            _lua.PushBuffer(items[i]);
            _lua.RawSetInteger(-2, i + 1);
        }
    }

    private static string OneLine(string? text) => (text ?? "").Replace('\r', ' ').Replace('\n', ' ');

    // ---------------------------------------------------------------------------------------- redis.call

    private static int NativeCall(IntPtr state)
    {
        var lua = Lua.FromIntPtr(state);
        var engine = _running;
        if (engine == null) return PushFailure(lua, "ERR redis.call is only available while a script runs");
        if (ReadArguments(lua, out var args) is { } invalid) return PushFailure(lua, invalid);
        try
        {
            var error = engine.RunCommand(args);
            if (error != null) return PushFailure(lua, error);
            var reply = engine._callReply;
            int position = 0;
            bool failed = reply.Length > 0 && reply.Buffer[0] == (byte)'-';
            lua.PushBoolean(failed);
            PushReply(lua, reply.Buffer, ref position);
            return 2;
        }
        catch (Exception e)
        {
            return PushFailure(lua, "ERR " + e.Message);
        }
    }

    /// <summary>luaArgsToRedisArgv: the call's arguments as a command; null, or why they are not one.</summary>
    private static string? ReadArguments(Lua lua, out byte[][] args)
    {
        int count = lua.GetTop();
        args = new byte[count][];
        if (count == 0) return "ERR Please specify at least one argument for this redis lib call";
        for (int i = 1; i <= count; i++)
        {
            var type = lua.Type(i);
            if (type == LuaType.String) args[i - 1] = lua.ToBuffer(i, false);
            else if (type == LuaType.Number) args[i - 1] = Encoding.ASCII.GetBytes(FormatNumber(lua, i));
            else return "ERR Lua redis lib command arguments must be strings or integers";
        }
        return null;
    }

    /// <summary>redis.acl_check_cmd: whether the calling connection's user may run the command (nothing is logged).</summary>
    private static int NativeAclCheck(IntPtr state)
    {
        var lua = Lua.FromIntPtr(state);
        var engine = _running;
        if (engine == null) return PushFailure(lua, "ERR redis.acl_check_cmd can only be called inside a script invocation");
        if (ReadArguments(lua, out var args) is { } invalid) return PushFailure(lua, invalid);
        var c = engine._outer;
        var spec = c.Server.Commands.FindCommand(args);
        if (spec == null) return PushFailure(lua, "ERR Invalid command passed to redis.acl_check_cmd()");
        bool allowed = c.Server.AclClientOf(c.ClientObject) is not { } caller || caller.User.Rules.Check(spec, args, out _) == Acl.AclDenial.None;
        lua.PushBoolean(false);
        lua.PushBoolean(allowed);
        return 2;
    }

    /// <summary>A number as Lua 5.1 turns it into a string for redis.call ("%.14g": 5.0 is "5").</summary>
    private static string FormatNumber(Lua lua, int index)
    {
        if (lua.IsInteger(index)) return lua.ToInteger(index).ToString(CultureInfo.InvariantCulture);
        double value = lua.ToNumber(index);
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        var text = value.ToString("G14", CultureInfo.InvariantCulture);
        int e = text.IndexOf('E');
        if (e < 0) return text;
        // C's %g writes the exponent as e+NN.
        var exponent = text[(e + 1)..];
        char sign = exponent[0] == '-' ? '-' : '+';
        var digits = exponent.TrimStart('+', '-');
        return text[..e] + "e" + sign + (digits.Length < 2 ? "0" + digits : digits);
    }

    /// <summary>The text of the last error a command called from the running script answered (counted in errorstats).</summary>
    private byte[]? _lastCountedError;

    private static int PushFailure(Lua lua, string message)
    {
        lua.PushBoolean(true);
        lua.CreateTable(0, 1);
        lua.PushString(message);
        lua.SetField(-2, "err");
        return 2;
    }

    /// <summary>Runs one command of the script against the held shards; null, or the error to raise.</summary>
    private string? RunCommand(byte[][] args)
    {
        var c = _outer;
        var (spec, error) = c.Server.Commands.Resolve(args);
        if (spec == null) return Refuse(null, "ERR Unknown Redis command called from script");
        if (error != null) return Refuse(spec, "ERR Wrong number of args calling Redis command from script");
        if (spec.Facts.HasFlag("noscript") && !c.Server.Config.ScriptDisableDenyScript) return Refuse(spec, "ERR This Redis command is not allowed from script");
        // scriptVerifyACL: the calling connection's user must be allowed the call (its keys and channels included).
        if (c.Server.Acl.AnyRestricted && c.Server.AclClientOf(c.ClientObject) is { } caller &&
            c.Server.Acl.Check(caller, spec, args, Acl.AclLogContext.Lua, c.Now) is var denial and not Acl.AclDenial.None)
            return Refuse(spec, "ERR The user executing the script " + Acl.AclErrors.Reason(denial));
        // scriptVerifyWriteCommandAllow: may_replicate commands (PUBLISH, ...) count as writes, so a read-only script
        // never needs to wait for CLIENT PAUSE WRITE.
        if (_readOnly && (spec.IsWrite || spec.Facts.HasFlag("may_replicate"))) return Refuse(spec, "ERR Write commands are not allowed from read-only scripts.");
        if (spec.IsWrite && c.Server.WriteRefusal() is { } refusal) return Refuse(spec, refusal);
        // scriptVerifyOOM: over maxmemory when the script began, its first data-adding call is refused.
        if (c.OutOfMemory && !_allowOom && !_wrote && spec.DenyOom) return Refuse(spec, Eviction.OutOfMemory);
        if (c.HeldShards != null)
            foreach (int position in spec.KeyPositions(args))
                if (!c.Holds(args[position])) return Refuse(spec, "ERR Script attempted to access a non local key in a cluster node script");
        if (c.Server.Monitors.Any && !spec.Facts.HasFlag("admin")) c.Server.Monitors.Feed(_db, "lua", args);
        _callReply.Clear();
        _callReply.Resp3 = _resp3;
        if (spec.Handler == null || spec.Route == CommandRoute.Session) return RunConnectionCommand(spec, args);
        _inner.Journal = _journaled ? c.Journal : null;
        _inner.Begin(spec, args, _db, _callReply, c.Shard, c.Now, null);
        _inner.Client = c.Client;
        spec.Handler(_inner);
        c.TakeInvalidationsFrom(_inner);
        if (spec.Facts.HasFlag("readonly")) c.ScriptRanReadonly = true;
        if (_inner.Changes > 0 || _inner.Effects != null)
        {
            c.Server.Script.MarkWrite();
            _wrote = true;
        }
        _inner.RecordEffects();
        c.Shard.Calls[spec.Id]++;
        if (c.Server.CountIfFailed(c.Shard, spec, _callReply, 0))
            _lastCountedError = _callReply.Buffer.AsSpan(1, _callReply.Length - 3).ToArray();
        return null;
    }

    /// <summary>
    /// scriptCall's refusals: a rejected call of the command in INFO commandstats (when it is known), and its error counted
    /// here, once (the script's reply, if it is that error, is not counted again).
    /// </summary>
    private string Refuse(CommandSpec? spec, string error)
    {
        if (spec != null) Interlocked.Increment(ref _outer.Server.Rejected[spec.Id]);
        return CountedOnce(error);
    }

    /// <summary>An error of a call counted in errorstats now, and remembered so the script's reply does not count it again.</summary>
    private string CountedOnce(string error)
    {
        _lastCountedError = Encoding.ASCII.GetBytes(error);
        _outer.Server.Errors.Count(_lastCountedError);
        return error;
    }

    /// <summary>
    /// The connection commands a script may call: SELECT (for the script only), PING, ECHO, TIME, PUBLISH, SPUBLISH.
    /// Each is a call in INFO commandstats, and a failed one when it fails (its error counted once).
    /// </summary>
    private string? RunConnectionCommand(CommandSpec spec, byte[][] args)
    {
        if (spec.Name is not ("select" or "ping" or "echo" or "publish" or "spublish" or "time")) return "ERR This Redis command is not allowed from script";
        var server = _outer.Server;
        Interlocked.Increment(ref server.SessionCalls[spec.Id]);
        if (RunConnectionCommand(spec.Name, args) is not { } error) return null;
        Interlocked.Increment(ref server.SessionFailed[spec.Id]);
        return CountedOnce(error);
    }

    private string? RunConnectionCommand(string name, byte[][] args)
    {
        switch (name)
        {
            case "select":
                if (Args.ParseDatabaseIndex(args[1], _outer.Keyspace.DatabaseCount, out int db) is { } error) return error;
                _db = db;
                _callReply.WriteOk();
                return null;
            case "ping":
                if (args.Length > 2) return RespErrors.WrongArgs("ping");
                if (args.Length == 2) _callReply.WriteBulk(args[1]);
                else _callReply.WriteSimple("PONG");
                return null;
            case "echo":
                _callReply.WriteBulk(args[1]);
                return null;
            case "publish":
                _callReply.WriteInteger(_outer.Server.PubSub.Publish(args[1], args[2]));
                return null;
            case "spublish":
                _callReply.WriteInteger(_outer.Server.PubSub.Publish(args[1], args[2], sharded: true));
                return null;
            case "time":
                long micros = _outer.Server.Clock.NowMs * 1000;
                _callReply.WriteArrayHeader(2);
                _callReply.WriteBulk(micros / 1_000_000);
                _callReply.WriteBulk(micros % 1_000_000);
                return null;
            default:
                throw new System.Diagnostics.UnreachableException(name); // the caller lets only the names above through
        }
    }

    /// <summary>A RESP reply as a Lua value (script_lua.c redisProtocolToLuaType).</summary>
    private static void PushReply(Lua lua, byte[] resp, ref int position)
    {
        // Room for what one level pushes (redisProtocolToLuaType's lua_checkstack); replies nest only a few levels.
        if (!lua.CheckStack(5)) throw new InvalidOperationException("lua stack limit reached when parsing a redis.call reply");
        byte type = resp[position];
        var line = Line(resp, ref position);
        switch (type)
        {
            case (byte)'+':
                lua.CreateTable(0, 1);
                lua.PushBuffer(line.ToArray());
                lua.SetField(-2, "ok");
                return;
            case (byte)'-':
                lua.CreateTable(0, 1);
                lua.PushBuffer(line.ToArray());
                lua.SetField(-2, "err");
                return;
            case (byte)':':
                lua.PushInteger(long.Parse(line, CultureInfo.InvariantCulture));
                return;
            case (byte)'=':
            {
                // {verbatim_string={format=..., string=...}}, as redisProtocolToLuaType_VerbatimString.
                long size = long.Parse(line, CultureInfo.InvariantCulture);
                var text = resp.AsSpan(position, (int)size);
                lua.CreateTable(0, 1);
                lua.CreateTable(0, 2);
                lua.PushBuffer(text[4..].ToArray());
                lua.SetField(-2, "string");
                lua.PushBuffer(text[..3].ToArray());
                lua.SetField(-2, "format");
                lua.SetField(-2, "verbatim_string");
                position += (int)size + 2;
                return;
            }
            case (byte)'(':
                lua.CreateTable(0, 1);
                lua.PushBuffer(line.ToArray());
                lua.SetField(-2, "big_number");
                return;
            case (byte)'$':
            {
                long length = long.Parse(line, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    lua.PushBoolean(false);
                    return;
                }
                var value = resp.AsSpan(position, (int)length);
                lua.PushBuffer(value.ToArray());
                position += (int)length + 2;
                return;
            }
            case (byte)'*':
            case (byte)'~':
            case (byte)'%':
            {
                long count = long.Parse(line, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    lua.PushBoolean(false);
                    return;
                }
                if (type == (byte)'*')
                {
                    lua.CreateTable((int)count, 0);
                    for (int i = 1; i <= count; i++)
                    {
                        PushReply(lua, resp, ref position);
                        lua.RawSetInteger(-2, i);
                    }
                    return;
                }
                // RESP3: {map={k=v}} and {set={member=true}}.
                lua.CreateTable(0, 1);
                lua.CreateTable(0, (int)count);
                for (int i = 0; i < count; i++)
                {
                    PushReply(lua, resp, ref position);
                    if (type == (byte)'%') PushReply(lua, resp, ref position);
                    else lua.PushBoolean(true);
                    lua.SetTable(-3);
                }
                lua.SetField(-2, type == (byte)'%' ? "map" : "set");
                return;
            }
            case (byte)'|':
            {
                // An attribute is not shown to scripts (redisProtocolToLuaType_Attribute): read past it to the reply it annotates.
                long pairs = long.Parse(line, CultureInfo.InvariantCulture);
                for (long i = 0; i < pairs * 2; i++)
                {
                    PushReply(lua, resp, ref position);
                    lua.Pop(1);
                }
                PushReply(lua, resp, ref position);
                return;
            }
            case (byte)'_':
                lua.PushNil();
                return;
            case (byte)'#':
                lua.PushBoolean(line.Length > 0 && line[0] == (byte)'t');
                return;
            case (byte)',':
                lua.CreateTable(0, 1);
                lua.PushNumber(Encoding.ASCII.GetString(line) switch
                {
                    "inf" => double.PositiveInfinity,
                    "-inf" => double.NegativeInfinity,
                    "nan" or "-nan" => double.NaN,
                    var number => double.Parse(number, CultureInfo.InvariantCulture),
                });
                lua.SetField(-2, "double");
                return;
            default:
                throw new InvalidOperationException($"Unexpected RESP type '{(char)type}'");
        }
    }

    private static ReadOnlySpan<byte> Line(byte[] resp, ref int position)
    {
        int start = position + 1;
        int end = resp.AsSpan(start).IndexOf("\r\n"u8) + start;
        position = end + 2;
        return resp.AsSpan(start, end - start);
    }

    // ---------------------------------------------------------------------------------------- the script's reply

    /// <summary>The Lua value at <paramref name="index"/> as the script's reply (script_lua.c luaReplyToRedisReply).</summary>
    private void WriteReply(RespWriter reply, int index, int depth)
    {
        int absolute = index < 0 ? _lua.GetTop() + index + 1 : index;
        switch (_lua.Type(absolute))
        {
            case LuaType.String:
                reply.WriteBulk(_lua.ToBuffer(absolute, false));
                return;
            case LuaType.Number:
                reply.WriteInteger(_lua.IsInteger(absolute) ? _lua.ToInteger(absolute) : (long)Math.Truncate(_lua.ToNumber(absolute)));
                return;
            case LuaType.Boolean:
                // A RESP3 script's booleans are booleans (:1 and :0 to a RESP2 client); a RESP2 script's false is nil.
                if (_resp3) reply.WriteBoolean(_lua.ToBoolean(absolute));
                else if (_lua.ToBoolean(absolute)) reply.WriteInteger(1);
                else reply.WriteNull();
                return;
            case LuaType.Table:
                // A C function may push only 20 values unless it grows the stack: each level of a nested reply pushes
                // up to 4, so without this a deep (or self-referencing) table wrote past the stack and crashed the
                // process (scripting.tcl's "Script return recursive object"). The depth bound keeps our own stack safe.
                if (depth > 1000 || !_lua.CheckStack(4))
                {
                    reply.WriteError("ERR reached lua stack limit");
                    return;
                }
                if (TryField(absolute, "err", LuaType.String))
                {
                    reply.WriteError(OneLine(_lua.ToString(-1)));
                    _lua.Pop(1);
                    return;
                }
                if (TryField(absolute, "ok", LuaType.String))
                {
                    reply.WriteSimple(OneLine(_lua.ToString(-1)));
                    _lua.Pop(1);
                    return;
                }
                if (TryField(absolute, "double", LuaType.Number))
                {
                    reply.WriteDouble(_lua.ToNumber(-1));
                    _lua.Pop(1);
                    return;
                }
                if (TryField(absolute, "big_number", LuaType.String))
                {
                    reply.WriteBigNumber(OneLine(_lua.ToString(-1)));
                    _lua.Pop(1);
                    return;
                }
                if (TryField(absolute, "verbatim_string", LuaType.Table))
                {
                    bool written = false;
                    if (TryField(_lua.GetTop(), "format", LuaType.String))
                    {
                        if (TryField(_lua.GetTop() - 1, "string", LuaType.String))
                        {
                            reply.WriteVerbatim(_lua.ToBuffer(-1, false), _lua.ToBuffer(-2, false));
                            written = true;
                            _lua.Pop(1);
                        }
                        _lua.Pop(1);
                    }
                    _lua.Pop(1);
                    if (written) return;
                }
                if (TryField(absolute, "map", LuaType.Table) || TryField(absolute, "set", LuaType.Table))
                {
                    // {map={k=v}} and {set={member=true}}: RESP3 maps and sets (arrays of pairs or members in RESP2).
                    _lua.PushString("map");
                    bool map = _lua.RawGet(absolute) == LuaType.Table;
                    _lua.Pop(1);
                    int inner = _lua.GetTop();
                    int pairs = 0;
                    _lua.PushNil();
                    while (_lua.Next(inner)) { pairs++; _lua.Pop(1); }
                    if (map) reply.WriteMapHeader(pairs);
                    else reply.WriteSetHeader(pairs);
                    _lua.PushNil();
                    while (_lua.Next(inner))
                    {
                        WriteReply(reply, -2, depth + 1);
                        if (map) WriteReply(reply, -1, depth + 1);
                        _lua.Pop(1);
                    }
                    _lua.Pop(1);
                    return;
                }
                // An array: elements 1, 2, ... up to the first nil.
                int count = 0;
                while (true)
                {
                    var type = _lua.RawGetInteger(absolute, count + 1);
                    _lua.Pop(1);
                    if (type == LuaType.Nil) break;
                    count++;
                }
                reply.WriteArrayHeader(count);
                for (int i = 1; i <= count; i++)
                {
                    _lua.RawGetInteger(absolute, i);
                    WriteReply(reply, -1, depth + 1);
                    _lua.Pop(1);
                }
                return;
            default:
                reply.WriteNull();
                return;
        }
    }

    /// <summary>Pushes t[name] and keeps it when it has <paramref name="type"/>; otherwise pops it and says false.</summary>
    private bool TryField(int table, string name, LuaType type)
    {
        _lua.PushString(name);
        if (_lua.RawGet(table) == type) return true;
        _lua.Pop(1);
        return false;
    }

    // ---------------------------------------------------------------------------------------- small natives

    /// <summary>The dump of a compiled chunk with its tail calls made plain calls (see <see cref="TailCalls"/>).</summary>
    private static int NativeUntail(IntPtr state)
    {
        var lua = Lua.FromIntPtr(state);
        lua.PushBuffer(TailCalls.Untail(lua.ToBuffer(1, false)));
        return 1;
    }

    private static int NativeSha1(IntPtr state)
    {
        var lua = Lua.FromIntPtr(state);
        lua.PushString(Sha1(lua.ToBuffer(1, false)));
        return 1;
    }

    private static int NativeLog(IntPtr state)
    {
        var lua = Lua.FromIntPtr(state);
        long level = lua.ToInteger(1);
        var levels = new[] { "debug", "verbose", "notice", "warning" };
        var configured = _running?._outer.Config.LogLevel ?? "notice";
        if (Array.IndexOf(levels, configured) is int minimum && minimum >= 0 && level >= minimum)
            Console.WriteLine($"{(level == 3 ? "#" : level == 2 ? "*" : "-")} {lua.ToString(2)}");
        return 0;
    }

    private static int NativeSetResp(IntPtr state)
    {
        var lua = Lua.FromIntPtr(state);
        if (_running != null) _running._resp3 = lua.ToInteger(1) == 3;
        return 0;
    }

    /// <summary>REPL_AOF is bit 1 of redis.set_repl's flags (REPL_REPLICA bit 2: there are no replicas).</summary>
    private static int NativeSetRepl(IntPtr state)
    {
        var lua = Lua.FromIntPtr(state);
        if (_running != null) _running._journaled = (lua.ToInteger(1) & 1) != 0;
        return 0;
    }

    private static int NativeLoadOverdue(IntPtr state)
    {
        var lua = Lua.FromIntPtr(state);
        lua.PushBoolean(t_loadDeadline != 0 && Environment.TickCount64 > t_loadDeadline);
        return 1;
    }

    private static int NativeKilled(IntPtr state)
    {
        var lua = Lua.FromIntPtr(state);
        lua.PushBoolean(_running?._outer.Server.Script.KillRequested == true);
        return 1;
    }

    public void Dispose() => _lua.Dispose();
}
