using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>The reply of every HELP subcommand: one status line per text line.</summary>
public static class HelpText
{
    /// <summary>The lines, then HELP itself, as Redis's addReplyHelp ends every help.</summary>
    public static void Write(RespWriter reply, string[] lines)
    {
        reply.WriteArrayHeader(lines.Length + 2);
        foreach (var line in lines) reply.WriteSimple(line);
        reply.WriteSimple("HELP");
        reply.WriteSimple("    Prints this help.");
    }
}
