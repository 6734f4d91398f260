using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>The reply of every HELP subcommand: one status line per text line.</summary>
public static class HelpText
{
    public static void Write(RespWriter reply, string[] lines)
    {
        reply.WriteArrayHeader(lines.Length);
        foreach (var line in lines) reply.WriteSimple(line);
    }
}
