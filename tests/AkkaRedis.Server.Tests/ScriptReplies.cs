using System.Text.RegularExpressions;

namespace AkkaRedis.Server.Tests;

/// <summary>A request and its reply as one line of text, for comparing scripting replies with redis-server's.</summary>
public static partial class ScriptReplies
{
    public static string Render(string[] request, object? reply) => $"{string.Join(" ", request)} -> {Render(reply)}";

    private static string Render(object? reply) => reply switch
    {
        null => "(nil)",
        RespClient.RespError e => "(error) " + LineOfTailCall().Replace(e.Message, "on @user_$1:N."),
        List<object?> items => "[" + string.Join(", ", items.Select(Render)) + "]",
        _ => reply.ToString()!,
    };

    // A redis.call that is the operand of "return" is a tail call in Lua 5.4, which drops the caller's frame, so the
    // line of an error it raises is unknown here ("?"); Redis's Lua 5.1 keeps it. Only that number is normalized.
    [GeneratedRegex(@"on @user_(script|function):(\d+|\?)\.")]
    private static partial Regex LineOfTailCall();
}
