using AkkaRedis.Protocol;

namespace AkkaRedis.Server.Sessions;

/// <summary>MULTI, DISCARD, UNWATCH. EXEC and WATCH run on the shards; the connection stage routes them (and queues the rest inside MULTI).</summary>
public static class TransactionCommands
{
    public static void Register(SessionCommandTable table)
    {
        table.Add("multi", c =>
        {
            if (c.Transaction.InMulti)
            {
                c.Error("ERR MULTI calls can not be nested");
                return;
            }
            c.Transaction.InMulti = true;
            c.Session.QueuedInMulti = 0;
            c.Reply.WriteOk();
        });
        table.Add("discard", c =>
        {
            if (!c.Transaction.InMulti)
            {
                c.Error("ERR DISCARD without MULTI");
                return;
            }
            c.EndTransaction();
            c.Reply.WriteOk();
        });
        table.Add("unwatch", c =>
        {
            c.Transaction.Unwatch(c.Services.Shards);
            c.Reply.WriteOk();
        });
    }

    public const string ExecWithoutMulti = "ERR EXEC without MULTI";
    public const string ExecAbort = "EXECABORT Transaction discarded because of previous errors.";
    public const string WatchInsideMulti = "ERR WATCH inside MULTI is not allowed";
    public const string NotAllowedInMulti = "ERR Command not allowed inside a transaction";
}
