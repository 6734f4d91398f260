namespace AkkaRedis.Server.Tests;

/// <summary>A request and its reply as one line of text, for comparing scripting replies with redis-server's.</summary>
public static class ScriptReplies
{
    public static string Render(string[] request, object? reply) => $"{string.Join(" ", request)} -> {Render(reply)}";

    private static string Render(object? reply) => reply switch
    {
        null => "(nil)",
        RespClient.RespError e => "(error) " + e.Message,
        List<object?> items => "[" + string.Join(", ", items.Select(Render)) + "]",
        _ => reply.ToString()!,
    };
}
