using AkkaRedis.Keyspace.Scripting;

namespace AkkaRedis.Server.Sessions;

/// <summary>
/// SCRIPT KILL, FUNCTION KILL and FUNCTION STATS, answered by the connection itself: the script they concern holds
/// every shard, so a command routed to a shard would wait behind it. The running script sees a kill request at its
/// next instruction-count hook.
/// </summary>
public static class ScriptKillCommand
{
    public static void Register(SessionCommandTable table)
    {
        table.Add("script|kill", c => Kill(c, function: false));
        table.Add("function|kill", c => Kill(c, function: true));
        table.Add("function|stats", Stats);
    }

    private static void Kill(SessionContext c, bool function)
    {
        switch (c.Services.State.Script.RequestKill(function))
        {
            case ScriptRun.KillResult.OtherKind:
                // A function is not stopped by SCRIPT KILL, nor a script by FUNCTION KILL: the error names the right one.
                c.Error(function ? ScriptRun.ScriptBusy : ScriptRun.FunctionBusy);
                break;
            case ScriptRun.KillResult.NotBusy:
                c.Error("NOTBUSY No scripts in execution right now.");
                break;
            case ScriptRun.KillResult.Unkillable:
                c.Error("UNKILLABLE Sorry the script already executed write commands against the dataset. " +
                        "You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.");
                break;
            default:
                c.Reply.WriteOk();
                break;
        }
    }

    /// <summary>FUNCTION STATS: the function or script running now (name, command, duration) and the node's engine counts.</summary>
    private static void Stats(SessionContext c)
    {
        var state = c.Services.State;
        var reply = c.Reply;
        reply.WriteMapHeader(2);
        reply.WriteBulk("running_script");
        if (state.Script.Current is { } running)
        {
            reply.WriteMapHeader(3);
            reply.WriteBulk("name");
            reply.WriteBulk(running.Name);
            reply.WriteBulk("command");
            reply.WriteArrayHeader(running.Command.Length);
            foreach (var arg in running.Command) reply.WriteBulk(arg);
            reply.WriteBulk("duration_ms");
            reply.WriteInteger(Math.Max(0, state.Clock.NowMs - running.StartedMs));
        }
        else reply.WriteNull();
        reply.WriteBulk("engines");
        reply.WriteMapHeader(1);
        reply.WriteBulk("LUA");
        reply.WriteMapHeader(2);
        reply.WriteBulk("libraries_count");
        reply.WriteInteger(state.Functions.Values.Select(f => f.Library).Distinct().Count());
        reply.WriteBulk("functions_count");
        reply.WriteInteger(state.Functions.Count);
    }
}
