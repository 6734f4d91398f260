using AkkaRedis.Keyspace.Scripting;

namespace AkkaRedis.Server.Sessions;

/// <summary>
/// SCRIPT KILL, answered by the connection itself: the script it stops holds every shard, so a command routed to
/// a shard would wait behind it. The running script sees the request at its next instruction-count hook.
/// </summary>
public static class ScriptKillCommand
{
    public static void Register(SessionCommandTable table)
    {
        table.Add("script|kill", Kill);
        table.Add("function|kill", Kill);
    }

    private static void Kill(SessionContext c)
    {
        switch (c.Services.State.Script.RequestKill())
        {
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
}
