using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Server.Sessions;

/// <summary>
/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: stops the server; on success no reply is sent, as Redis closes the
/// connection. dump.rdb is written before the server stops with SAVE, or without NOSAVE when save points are set.
/// </summary>
public static class ShutdownCommand
{
    public static void Register(SessionCommandTable table) => table.Add("shutdown", Run);

    private static void Run(SessionContext c)
    {
        bool abort = false, save = false, noSave = false;
        for (int i = 1; i < c.Argc; i++)
        {
            if (Args.Is(c[i], "NOSAVE")) noSave = true;
            else if (Args.Is(c[i], "SAVE")) save = true;
            else if (Args.Is(c[i], "NOW") || Args.Is(c[i], "FORCE")) { }
            else if (Args.Is(c[i], "ABORT")) abort = true;
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        if ((abort && c.Argc != 2) || (save && noSave))
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        if (abort)
        {
            c.Error("ERR No shutdown in progress.");
            return;
        }
        // shutdownCommand: while a script runs past its time limit only SHUTDOWN NOSAVE stops the server (and does not wait for it).
        var state = c.Services.State;
        if (!noSave && state.Script.IsBusy(state.Clock.NowMs, state.Config.BusyReplyThreshold))
        {
            c.Error(state.Script.BusyError);
            return;
        }
        c.CloseAfterReply = true;
        c.Services.RequestShutdown("SHUTDOWN from client " + c.Session.Address,
            ShutdownFlags.Saves(save ? "save" : noSave ? "nosave" : "default", c.Services.Config.Save));
    }
}
