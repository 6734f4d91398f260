using System.Text;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Scripting;

/// <summary>
/// EVAL, EVALSHA, their _RO forms and SCRIPT (eval.c). A script may touch any key, declared or not, so it runs
/// as a command over every shard (<see cref="Shards.CrossShard"/>): all are held while it runs, which makes it
/// atomic, and its effects are journaled as one MULTI/EXEC block.
/// </summary>
public static class ScriptCommands
{
    public static void Register(CommandTable.Builder table) => table
        .AllShards("eval", c => Eval(c, bySha: false, readOnly: false))
        .AllShards("evalsha", c => Eval(c, bySha: true, readOnly: false))
        .AllShards("eval_ro", c => Eval(c, bySha: false, readOnly: true))
        .AllShards("evalsha_ro", c => Eval(c, bySha: true, readOnly: true))
        .AllShards("script|load", Load)
        .AllShards("script|exists", Exists)
        .AllShards("script|flush", Flush)
        .AllShards("script|help", c => HelpText.Write(c.Reply,
        [
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ]));

    /// <summary>
    /// EVAL's and FCALL's "numkeys key... arg..." from argument 2 on, with Redis's errors (evalGenericCommand; FCALL
    /// words a numkeys that is not a number as <paramref name="notANumber"/>, fcallCommandGeneric).
    /// </summary>
    public static bool TryKeysAndArgs(CommandContext c, out byte[][] keys, out byte[][] argv, string notANumber = RespErrors.NotInteger)
    {
        keys = argv = [];
        if (!Args.TryLong(c[2], out long numKeys))
        {
            c.Error(notANumber);
            return false;
        }
        if (numKeys > c.Argc - 3)
        {
            c.Error("ERR Number of keys can't be greater than number of args");
            return false;
        }
        if (numKeys < 0)
        {
            c.Error("ERR Number of keys can't be negative");
            return false;
        }
        keys = c.Args[3..(3 + (int)numKeys)];
        argv = c.Args[(3 + (int)numKeys)..];
        return true;
    }

    private static void Eval(CommandContext c, bool bySha, bool readOnly)
    {
        // A SHA of the wrong length cannot match: Redis answers that before looking at numkeys (evalShaCommand).
        if (bySha && c[1].Length != 40)
        {
            c.Error(NoScript);
            return;
        }
        if (!TryKeysAndArgs(c, out var keys, out var argv)) return;
        var engine = c.Scripts;
        string sha;
        if (bySha)
        {
            sha = Encoding.ASCII.GetString(c[1]).ToLowerInvariant();
            if (!engine.TryLoad(sha))
            {
                c.Error(NoScript);
                return;
            }
        }
        else
        {
            sha = ScriptEngine.Sha1(c[1]);
            if (engine.Compile(sha, c[1]) is { } error)
            {
                c.Error(error);
                return;
            }
        }
        var declared = DeclaredFlags.Of(ScriptShebang.Of(c.Server.ScriptBodies.TryGetValue(sha, out var body) ? body : c[1]));
        if (RefusedBeforeRun(c, declared, readOnly)) return;
        engine.Run(c, sha, keys, argv, readOnly || declared.NoWrites, declared.AllowOom);
    }

    private const string NoScript = "NOSCRIPT No matching script. Please use EVAL.";

    /// <summary>
    /// scriptPrepareForRun: a script that declares its flags, and a function, is held to them: not on a cluster when
    /// no-cluster, not by a *_RO command unless no-writes, and (unless no-writes) not while writes are refused, nor
    /// over maxmemory (with nothing left to evict) unless allow-oom. True when refused (the error is the reply).
    /// </summary>
    public static bool RefusedBeforeRun(CommandContext c, DeclaredFlags declared, bool readOnly)
    {
        if (!declared.Declared) return false;
        var error = declared.NoCluster && c.Config.Cluster ? NoClusterFlagSet
            : readOnly && declared.MayWrite ? WriteFlagWithRo
            : declared.MayWrite && c.Server.WriteRefusal() is { } refusal ? refusal
            : c.OutOfMemory && declared.DenyOom ? "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'"
            : null;
        if (error != null) c.Error(error);
        return error != null;
    }

    /// <summary>scriptPrepareForRun's refusal of a script or function that may write, run by EVAL_RO, EVALSHA_RO or FCALL_RO.</summary>
    private const string WriteFlagWithRo = "ERR Can not execute a script with write flag using *_ro command.";

    /// <summary>scriptPrepareForRun's refusal of a script or function flagged no-cluster on a cluster node.</summary>
    private const string NoClusterFlagSet = "ERR Can not run script on cluster, 'no-cluster' flag is set.";

    private static void Load(CommandContext c)
    {
        var sha = ScriptEngine.Sha1(c[2]);
        if (c.Scripts.Compile(sha, c[2]) is { } error)
        {
            c.Error(error);
            return;
        }
        c.Reply.WriteBulk(sha);
    }

    private static void Exists(CommandContext c)
    {
        c.Reply.WriteArrayHeader(c.Argc - 2);
        for (int i = 2; i < c.Argc; i++)
            c.Reply.WriteInteger(c.Scripts.Exists(Encoding.ASCII.GetString(c[i]).ToLowerInvariant()) ? 1 : 0);
    }

    private static void Flush(CommandContext c)
    {
        if (c.Argc > 3 || c.Argc == 3 && !Args.Is(c[2], "ASYNC") && !Args.Is(c[2], "SYNC"))
        {
            c.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
            return;
        }
        c.Scripts.Flush();
        c.Reply.WriteOk();
    }
}
