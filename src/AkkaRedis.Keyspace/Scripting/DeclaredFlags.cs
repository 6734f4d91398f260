using System.Text;
using AkkaRedis.Keyspace.Commands;

namespace AkkaRedis.Keyspace.Scripting;

/// <summary>
/// The flags a script or function declares (a shebang's flags=, a function's flags), which stand in for the command's
/// own write and denyoom flags where Redis judges a command before it runs (getCommandFlags, scriptFlagsToCmdFlags):
/// CLIENT PAUSE WRITE, MISCONF, NOREPLICAS and OOM refusals.
/// </summary>
public readonly record struct DeclaredFlags(bool Declared, bool NoWrites, bool AllowOom, bool NoCluster)
{
    /// <summary>The script may write (and is refused while writes are).</summary>
    public bool MayWrite => !NoWrites;

    /// <summary>The script may add data (and is refused over maxmemory): no-writes implies allow-oom.</summary>
    public bool DenyOom => !NoWrites && !AllowOom;

    private static readonly DeclaredFlags None = new(false, false, false, false);

    /// <summary>What a script's shebang declares (nothing without one).</summary>
    public static DeclaredFlags Of(ScriptShebang shebang) =>
        shebang.Declared ? new DeclaredFlags(true, shebang.NoWrites, shebang.AllowOom, shebang.NoCluster) : None;

    /// <summary>What a function declares: its flags, always (a function has no compatibility mode).</summary>
    public static DeclaredFlags Of(FunctionInfo function) => new(true, function.NoWrites, function.AllowOom, function.NoCluster);

    /// <summary>What EVAL's or EVALSHA's script (cached by its SHA), or FCALL's function, declares; none for other commands.</summary>
    public static DeclaredFlags Of(CommandSpec spec, byte[][] args, Server.ServerState state)
    {
        if (!spec.RunsUserCode || args.Length < 2) return None;
        switch (spec.Name)
        {
            case "eval" or "eval_ro":
                return Of(ScriptShebang.Of(args[1]));
            case "evalsha" or "evalsha_ro":
                return state.ScriptBodies.TryGetValue(Encoding.ASCII.GetString(args[1]).ToLowerInvariant(), out var body)
                    ? Of(ScriptShebang.Of(body))
                    : None;
            case "fcall" or "fcall_ro":
                return state.Functions.TryGetValue(Encoding.UTF8.GetString(args[1]), out var function)
                    ? Of(function)
                    : None;
            default:
                return None;
        }
    }
}
