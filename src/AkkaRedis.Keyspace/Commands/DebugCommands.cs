using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Scripting;
using AkkaRedis.Keyspace.Snapshot;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>
/// DEBUG (debug.c): the subcommands test suites use to look inside the server and to steer it. It runs with every shard
/// held, as Redis runs it with the whole server stopped. The connection lets it through only as enable-debug-command
/// allows. Subcommands about Redis's own internals (ziplists, quicklist nodes, jemalloc, crashes, replication) are not
/// here and answer Redis's unknown-subcommand error.
/// </summary>
public static class DebugCommands
{
    public static void Register(CommandTable.Builder table) => table.AllShards("debug", Debug);

    private static void Debug(CommandContext c)
    {
        string sub = Encoding.UTF8.GetString(c[1]).ToLowerInvariant();
        switch (sub)
        {
            case "help" when c.Argc == 2:
                HelpText.Write(c.Reply, Help);
                return;
            case "digest" when c.Argc == 2:
                var shards = c.ShardsInScope.Select(s => s.Databases).ToList();
                c.Reply.WriteSimple(Digest.Hex(Digest.OfDataset(shards, c.Keyspace.DatabaseCount)));
                return;
            case "digest-value":
                c.Reply.WriteArrayHeader(c.Argc - 2);
                for (int j = 2; j < c.Argc; j++) c.Reply.WriteSimple(Digest.Hex(ValueDigest(c, c[j])));
                return;
            case "object" when c.Argc == 3:
                Object(c);
                return;
            case "error" when c.Argc == 3:
                // The argument is the whole error line, without an ERR of its own.
                c.Error(Encoding.UTF8.GetString(c[2]));
                return;
            case "log" when c.Argc == 3:
                Console.WriteLine("DEBUG LOG: " + Encoding.UTF8.GetString(c[2]));
                c.Reply.WriteOk();
                return;
            case "protocol" when c.Argc == 3:
                Protocol(c, Encoding.UTF8.GetString(c[2]).ToLowerInvariant());
                return;
            case "set-active-expire" when c.Argc == 3:
                c.Config.ActiveExpire = Atoi(c[2]) != 0;
                c.Reply.WriteOk();
                return;
            case "pause-cron" when c.Argc == 3:
                c.Config.CronPaused = Atoi(c[2]) != 0;
                c.Reply.WriteOk();
                return;
            case "set-disable-deny-scripts" when c.Argc == 3:
                // Lets scripts call commands flagged noscript (those a script can reach here: see ScriptEngine).
                c.Config.ScriptDisableDenyScript = Atoi(c[2]) != 0;
                c.Reply.WriteOk();
                return;
            case "sleep" when c.Argc == 3:
                Sleep(c[2]);
                c.Reply.WriteOk();
                return;
            case "reload":
                Reload(c);
                return;
            case "config-rewrite-force-all" when c.Argc == 2:
                // Redis answers its own words around the reason (strerror): ours follow "ERR " there.
                if (c.Server.RewriteConfig(true) is { } failure) c.Error("ERR CONFIG-REWRITE-FORCE-ALL failed: " + failure["ERR ".Length..]);
                else c.Reply.WriteOk();
                return;
            case "loadaof" when c.Argc == 2:
                LoadAof(c);
                return;
            case "quicklist-packed-threshold" when c.Argc == 3:
                // quicklistisSetPackedThreshold: up to 4 GB less 1 MB; 0 brings back the default.
                if (!Args.TryMemory(Encoding.UTF8.GetString(c[2]), out long threshold) || threshold > (1L << 32) - (1 << 20))
                {
                    c.Error("ERR argument must be a memory value bigger than 1 and smaller than 4gb");
                    return;
                }
                RedisList.PackedThreshold = threshold == 0 ? RedisList.DefaultPackedThreshold : threshold;
                c.Reply.WriteOk();
                return;
            default:
                c.Error(RespErrors.SubcommandSyntax(Encoding.UTF8.GetString(c[1]), "debug"));
                return;
        }
    }

    private static readonly string[] Help =
    [
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONFIG-REWRITE-FORCE-ALL",
        "    Like CONFIG REWRITE but writes all configuration options, including",
        "    keywords not listed in original configuration file or default values.",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LOADAOF",
        "    Flush the AOF buffers on disk and reload the AOF in memory.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "PAUSE-CRON <0|1>",
        "    Stop periodic cron job processing.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "RELOAD",
        "    Save the RDB on disk and reload it back to memory.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "QUICKLIST-PACKED-THRESHOLD <size>",
        "    Sets the threshold for elements to be inserted as plain vs packed nodes",
        "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
    ];

    /// <summary>The key's entry as it is stored, expired or not: DEBUG looks at the dictionary, not through lookupKey.</summary>
    private static Entry? Raw(CommandContext c, byte[] key)
    {
        int slot = c.SlotOf(key);
        return c.DatabaseOf(slot, c.Db).FindRaw(slot, key);
    }

    private static byte[] ValueDigest(CommandContext c, byte[] key)
    {
        var digest = new byte[Digest.Length];
        if (Raw(c, key) is { } entry) Digest.AddValue(digest, entry);
        return digest;
    }

    /// <summary>
    /// Redis's line with this server's figures: the value's identity in place of its address, the refcount OBJECT
    /// REFCOUNT answers, the size of the value in a DUMP payload (without its type byte, RDB version and checksum; Redis
    /// would compress long strings) and the access clock; for a list, its nodes' figures as Redis gives its quicklist's
    /// (sizes are this list's entry bytes, not a listpack's).
    /// </summary>
    private static void Object(CommandContext c)
    {
        var entry = Raw(c, c[2]);
        if (entry == null)
        {
            c.Error("ERR no such key");
            return;
        }
        long serializedLength = RdbFile.Dump(entry.Value, c.Config.RdbCompression).Length - 11;
        long idle = Math.Max(0, c.NowSeconds - entry.LastAccessSeconds);
        long lru = entry.LastAccessSeconds & ((1 << 24) - 1); // Redis's LRU clock: seconds, 24 bits
        c.Reply.WriteSimple(string.Create(CultureInfo.InvariantCulture,
            $"Value at:0x{RuntimeHelpers.GetHashCode(entry.Value):x} refcount:{Keys.RefCount(entry)} encoding:{Values.Encoding(entry)} " +
            $"serializedlength:{serializedLength} lru:{lru} lru_seconds_idle:{idle}") + (entry.Value is RedisList list ? QuicklistFields(c, list) : ""));
    }

    /// <summary>What DEBUG OBJECT adds for a quicklist: its nodes, elements per node, list-max-listpack-size, compression, entry bytes.</summary>
    private static string QuicklistFields(CommandContext c, RedisList list) => string.Create(CultureInfo.InvariantCulture,
        $" ql_nodes:{list.NodeCount} ql_avg_node:{(double)list.Count / list.NodeCount:0.00} ql_listpack_max:{c.Config.ListMaxListpackSize} " +
        $"ql_compressed:{(c.Config.ListCompressDepth != 0 ? 1 : 0)} ql_uncompressed_size:{list.UsedBytes}");

    /// <summary>One reply of each RESP type, as Redis's DEBUG PROTOCOL sends them (client libraries test against it).</summary>
    private static void Protocol(CommandContext c, string type)
    {
        var reply = c.Reply;
        switch (type)
        {
            case "string": reply.WriteBulk("Hello World"); break;
            case "integer": reply.WriteInteger(12345); break;
            case "double": reply.WriteDouble(3.141); break;
            case "bignum": reply.WriteBigNumber("1234567999999999999999999999999999999"); break;
            case "null": reply.WriteNull(); break;
            case "array":
                reply.WriteArrayHeader(3);
                for (int j = 0; j < 3; j++) reply.WriteInteger(j);
                break;
            case "set":
                reply.WriteSetHeader(3);
                for (int j = 0; j < 3; j++) reply.WriteInteger(j);
                break;
            case "map":
                reply.WriteMapHeader(3);
                for (int j = 0; j < 3; j++)
                {
                    reply.WriteInteger(j);
                    reply.WriteBoolean(j == 1);
                }
                break;
            case "attrib":
                reply.WriteAttributeHeader(1);
                if (reply.Resp3)
                {
                    reply.WriteBulk("key-popularity");
                    reply.WriteArrayHeader(2);
                    reply.WriteBulk("key:123");
                    reply.WriteInteger(90);
                }
                // An attribute is not a reply: a real one follows.
                reply.WriteBulk("Some real reply following the attribute");
                break;
            case "push":
                if (!reply.Resp3)
                {
                    c.Error("ERR RESP2 is not supported by this command");
                    return;
                }
                reply.WritePushHeader(2);
                reply.WriteBulk("server-cpu-usage");
                reply.WriteInteger(42);
                // A push is not a reply either: blocking clients that drop pushes read this one.
                reply.WriteBulk("Some real reply following the push reply");
                break;
            case "true": reply.WriteBoolean(true); break;
            case "false": reply.WriteBoolean(false); break;
            case "verbatim": reply.WriteVerbatim("This is a verbatim\nstring"); break;
            default:
                c.Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
                break;
        }
    }

    /// <summary>strtod, as Redis reads the seconds: a number that does not parse sleeps 0, a negative one not at all.</summary>
    private static void Sleep(byte[] argument)
    {
        if (!double.TryParse(Encoding.ASCII.GetString(argument), NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds)) return;
        if (seconds > 0) Thread.Sleep(TimeSpan.FromSeconds(Math.Min(seconds, int.MaxValue / 1000.0)));
    }

    /// <summary>C's atoi: optional blanks and sign, then the digits there are (none is 0).</summary>
    private static long Atoi(byte[] text)
    {
        int i = 0;
        while (i < text.Length && text[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\v' or (byte)'\f') i++;
        bool negative = i < text.Length && text[i] == '-';
        if (i < text.Length && text[i] is (byte)'-' or (byte)'+') i++;
        long value = 0;
        for (; i < text.Length && text[i] is >= (byte)'0' and <= (byte)'9' && value < int.MaxValue; i++) value = value * 10 + (text[i] - '0');
        return negative ? -value : value;
    }

    /// <summary>
    /// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE], as debug.c: SAVE (unless NOSAVE), empty every database (unless NOFLUSH),
    /// then load dbfilename, so values come back as loading them makes them (encodings recomputed, expired keys left
    /// out). Loaded over data that is still there (NOFLUSH), a key or library the file holds too is replaced with MERGE
    /// and is an error without it; where Redis would stop the process for a duplicated key, this answers the error and
    /// changes nothing. Nothing is journaled: Redis does not propagate DEBUG RELOAD either.
    /// </summary>
    private static void Reload(CommandContext c)
    {
        bool merge = false, flush = true, save = true;
        for (int i = 2; i < c.Argc; i++)
        {
            if (Args.Is(c[i], "MERGE")) merge = true;
            else if (Args.Is(c[i], "NOFLUSH")) flush = false;
            else if (Args.Is(c[i], "NOSAVE")) save = false;
            else
            {
                c.Error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
                return;
            }
        }
        const string loadFailed = "ERR Error trying to load the RDB dump";
        byte[]? saved;
        if (save)
        {
            saved = SaveCommands.SaveNow(c);
            if (saved == null) return;
        }
        else if ((saved = SaveCommands.ReadSaved(c)) == null)
        {
            c.Error(loadFailed);
            return;
        }
        RdbFile.Contents contents;
        try
        {
            contents = RdbFile.Read(saved, c.Config);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or InvalidOperationException)
        {
            c.Error(loadFailed);
            return;
        }
        if (!flush && !merge && (contents.Libraries.Any(code => c.Scripts.HasLibrary(ScriptEngine.LibraryName(code))) ||
                                 contents.Entries.Any(e => c.Lookup(e.Key, e.Db) != null)))
        {
            c.Error(loadFailed);
            return;
        }
        if (flush)
        {
            // emptyData takes the functions too: the file's libraries are what there is after.
            Databases.EmptyData(c);
            c.Scripts.FlushLibraries();
        }
        else
        {
            foreach (var shard in c.ShardsInScope)
                for (int db = 0; db < shard.Databases.Length; db++) shard.TouchWatchedExisting(db, c.Now);
        }
        foreach (var code in contents.Libraries) c.Scripts.LoadLibrary(code, replace: true, out _);
        RdbFile.LoadInto(contents, c.Keyspace, c.Now, replace: !flush, c.Config.KeyLoadDelay);
        c.Reply.WriteOk();
    }

    /// <summary>
    /// DEBUG LOADAOF, as debug.c: the dataset emptied and loaded back from the AOF files, as a restart would load them.
    /// Everything acknowledged is in the files (a write is answered once the journal has it, and the shards, all held
    /// here, took part only once their earlier writes had reached it). Each shard's part replays on a context of its
    /// own, as recovery replays it, and the function libraries the replay made become the live ones. Files that do not
    /// load whole are an error and change nothing (Redis would stop the process).
    /// </summary>
    private static void LoadAof(CommandContext c)
    {
        var directory = Path.Combine(Path.GetFullPath(c.Config.Dir), c.Config.AppendDirName);
        var manifestPath = Path.Combine(directory, c.Config.AppendFilename + ".manifest");
        // With appendonly no there are files only once BGREWRITEAOF wrote them; Redis loads them then too.
        if (c.Server.Aof == null || c.Config.Cluster || !File.Exists(manifestPath))
        {
            c.Error("ERR DEBUG LOADAOF needs appendonly yes on a single node (this server keeps no AOF)");
            return;
        }
        Persistence.AofLoadResult loaded;
        try
        {
            var manifest = Persistence.AofManifest.Parse(File.ReadAllText(manifestPath, Encoding.UTF8), manifestPath);
            var router = new Journal.KeyRouter(c.Server.Commands, c.Keyspace.SlotOwner, c.Keyspace.Shards.Length);
            loaded = Persistence.AofLoader.Load(directory, manifest, router, new Persistence.AofLoadOptions(false, false), Console.WriteLine,
                new RdbPreamble(c.Config));
        }
        catch (Exception e) when (e is Persistence.AofLoadException or IOException or UnauthorizedAccessException)
        {
            c.Error("ERR Error loading the append only file: " + e.Message);
            return;
        }
        Databases.EmptyData(c);
        c.InvalidateAllTracked();
        var sink = new RespWriter(256);
        IReadOnlyList<string> libraries = [];
        for (int index = 0; index < c.Keyspace.Shards.Length; index++)
        {
            var replay = new CommandContext(c.Keyspace, c.Server) { Replaying = true };
            foreach (var chunk in loaded.Chunks[index])
                Journal.EffectReplay.Run(replay, c.Keyspace.Shards[index], chunk, sink, c.Now,
                    (e, spec) => Console.Error.WriteLine($"DEBUG LOADAOF: replaying {spec.Name} failed: {e.Message}"));
            // Every shard replays the FUNCTION commands (they belong to all): one's libraries are all of them.
            if (index == 0) libraries = replay.LoadedLibraries.Select(library => library.Code).ToList();
            replay.DisposeScripts();
        }
        c.Scripts.FlushLibraries();
        foreach (var code in libraries) c.Scripts.LoadLibrary(code, replace: true, out _);
        foreach (var shard in c.Keyspace.Shards) shard.Dirty = 0;
        Console.WriteLine("Append Only File loaded by DEBUG LOADAOF");
        c.Reply.WriteOk();
    }
}
