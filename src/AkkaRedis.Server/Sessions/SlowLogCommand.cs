using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Protocol;

namespace AkkaRedis.Server.Sessions;

/// <summary>SLOWLOG GET / LEN / RESET / HELP (slowlog.c), over the server's <see cref="Keyspace.Server.SlowLog"/>.</summary>
public static class SlowLogCommand
{
    public static void Register(SessionCommandTable table)
    {
        table.Add("slowlog|get", Get);
        table.Add("slowlog|len", c => c.Reply.WriteInteger(c.Services.State.SlowLog.Length));
        table.Add("slowlog|reset", c =>
        {
            c.Services.State.SlowLog.Reset();
            c.Reply.WriteOk();
        });
        table.Add("slowlog|help", c => HelpText.Write(c.Reply,
        [
            "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ]));
    }

    private static void Get(SessionContext c)
    {
        long count = 10;
        if (c.Argc > 3)
        {
            c.Error(RespErrors.SubcommandSyntax(Args.Text(c[1]), "slowlog"));
            return;
        }
        if (c.Argc == 3 && (!Args.TryLong(c[2], out count) || count < -1))
        {
            c.Error("ERR count should be greater than or equal to -1");
            return;
        }
        var entries = c.Services.State.SlowLog.Newest(count);
        c.Reply.WriteArrayHeader(entries.Count);
        foreach (var entry in entries)
        {
            c.Reply.WriteArrayHeader(6);
            c.Reply.WriteInteger(entry.Id);
            c.Reply.WriteInteger(entry.TimeSeconds);
            c.Reply.WriteInteger(entry.Micros);
            c.Reply.WriteArrayHeader(entry.Args.Length);
            foreach (var arg in entry.Args) c.Reply.WriteBulk(arg);
            c.Reply.WriteBulk(entry.ClientAddress);
            c.Reply.WriteBulk(entry.ClientName);
        }
    }
}
