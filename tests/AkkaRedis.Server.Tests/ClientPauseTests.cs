using System.Diagnostics;

namespace AkkaRedis.Server.Tests;

/// <summary>CLIENT PAUSE and UNPAUSE against the real server: which commands wait, in order, and what ends the wait.</summary>
public sealed class ClientPauseTests(SharedServer server) : IClassFixture<SharedServer>
{
    [Fact]
    public void WritesWaitForTheEndOfAWritePauseInTheirOrderAndReadsDoNot()
    {
        using var admin = new RespClient(server.Port);
        using var client = new RespClient(server.Port);
        Assert.Equal("OK", client.Call("SET", "cp:k", "before"));
        Assert.Equal("OK", admin.Call("CLIENT", "PAUSE", "800", "WRITE"));
        var began = Stopwatch.StartNew();
        Assert.Equal("before", client.Call("GET", "cp:k"));
        Assert.InRange(began.ElapsedMilliseconds, 0, 500);
        // A pipeline: the write waits, and the read behind it waits for it, so it sees the write.
        client.SendRaw([.. RespClient.Encode("SET", "cp:k", "after"), .. RespClient.Encode("GET", "cp:k")]);
        Assert.Null(client.ReadWithin(TimeSpan.FromMilliseconds(300)));
        Assert.Equal("OK", client.Read());
        Assert.Equal("after", client.Read());
        Assert.InRange(began.ElapsedMilliseconds, 700, 5000);
    }

    /// <summary>Redis's pause.tcl: while clients are paused keys expire for readers only; none is deleted until the end.</summary>
    [Fact]
    public void NoKeyIsDeletedByExpiryDuringAPause()
    {
        using var admin = new RespClient(server.Port);
        using var client = new RespClient(server.Port);
        long Expired() => long.Parse(((string)admin.Call("INFO", "stats")!).Split("\r\n").First(l => l.StartsWith("expired_keys:"))[13..]);
        long before = Expired();
        Assert.Equal("OK", client.Call("MULTI"));
        Assert.Equal("QUEUED", client.Call("SET", "cp:e1{t}", "v", "PX", "10"));
        Assert.Equal("QUEUED", client.Call("SET", "cp:e2{t}", "v", "PX", "10"));
        Assert.Equal("QUEUED", client.Call("CLIENT", "PAUSE", "50000", "WRITE"));
        Assert.Equal(new List<object?> { "OK", "OK", "OK" }, client.Call("EXEC"));
        try
        {
            Thread.Sleep(300); // long past their expiry, and past several active expiry cycles
            Assert.Null(client.Call("GET", "cp:e1{t}"));
            Assert.Null(client.Call("GET", "cp:e2{t}"));
            Assert.Equal(before, Expired());
        }
        finally
        {
            Assert.Equal("OK", admin.Call("CLIENT", "UNPAUSE"));
        }
        Assert.Null(client.Call("GET", "cp:e1{t}"));
        Assert.Null(client.Call("GET", "cp:e2{t}"));
        Assert.Equal(before + 2, Expired());
    }

    [Fact]
    public void UnpauseReleasesWaitingCommandsAtOnceAndAnAllPauseHoldsEverything()
    {
        using var admin = new RespClient(server.Port);
        using var client = new RespClient(server.Port);
        Assert.Equal("OK", admin.Call("CLIENT", "PAUSE", "20000", "WRITE"));
        client.SendRaw(RespClient.Encode("INCR", "cp:n"));
        Assert.Null(client.ReadWithin(TimeSpan.FromMilliseconds(300)));
        // A paused client is blocked, as Redis blocks it: INFO and CLIENT LIST say so (pause.tcl waits on that count).
        Assert.Contains("blocked_clients:1\r\n", (string)admin.Call("INFO", "clients")!);
        Assert.Contains("flags=b ", (string)admin.Call("CLIENT", "LIST")!);
        var began = Stopwatch.StartNew();
        Assert.Equal("OK", admin.Call("CLIENT", "UNPAUSE"));
        Assert.Equal(1L, client.Read());
        Assert.InRange(began.ElapsedMilliseconds, 0, 2000);
        Assert.Contains("blocked_clients:0\r\n", (string)admin.Call("INFO", "clients")!);

        // ALL: every command waits, the pausing connection's own and CLIENT UNPAUSE too, as in Redis.
        Assert.Equal("OK", admin.Call("CLIENT", "PAUSE", "700", "ALL"));
        began.Restart();
        Assert.Equal("PONG", client.Call("PING"));
        Assert.InRange(began.ElapsedMilliseconds, 500, 5000);
        Assert.Equal("OK", admin.Call("CLIENT", "UNPAUSE"));
    }

    /// <summary>
    /// Redis's pause.tcl: a write pause lets scripts through that declare no-writes (a shebang, a cached script's shebang,
    /// a function's flags, inside MULTI too) and holds those that may write, with or without a shebang.
    /// </summary>
    [Fact]
    public void AWritePauseJudgesScriptsByTheFlagsTheyDeclare()
    {
        using var admin = new RespClient(server.Port);
        using var client = new RespClient(server.Port);
        admin.Call("FUNCTION", "LOAD", "REPLACE", "#!lua name=cplib\nredis.register_function{function_name='cp_ro', callback=function() return 'hello' end, flags={'no-writes'}}");
        var sha = (string)admin.Call("SCRIPT", "LOAD", "#!lua flags=no-writes\n return 2")!;
        Assert.Equal("OK", admin.Call("CLIENT", "PAUSE", "20000", "WRITE"));
        Assert.Equal(1L, client.Call("EVAL", "#!lua flags=no-writes\n return 1", "0"));
        Assert.Equal(2L, client.Call("EVALSHA", sha, "0"));
        Assert.Equal("hello", client.Call("FCALL", "cp_ro", "0"));
        client.Call("MULTI");
        client.Call("EVAL", "#!lua flags=no-writes\n return 12", "0");
        Assert.Equal(new List<object?> { 12L }, client.Call("EXEC"));

        client.SendRaw(RespClient.Encode("EVAL", "#!lua\n return 3", "0"));
        Assert.Null(client.ReadWithin(TimeSpan.FromMilliseconds(300)));
        Assert.Equal("OK", admin.Call("CLIENT", "UNPAUSE"));
        Assert.Equal(3L, client.Read());
    }

    [Fact]
    public void BadArgumentsGetRedisWords()
    {
        using var client = new RespClient(server.Port);
        Assert.Equal(new RespClient.RespError("ERR timeout is not an integer or out of range"), client.Call("CLIENT", "PAUSE", "abc"));
        Assert.Equal(new RespClient.RespError("ERR timeout is negative"), client.Call("CLIENT", "PAUSE", "-1"));
        Assert.Equal(new RespClient.RespError("ERR CLIENT PAUSE mode must be WRITE or ALL"), client.Call("CLIENT", "PAUSE", "abc", "BAD"));
        Assert.Equal(new RespClient.RespError("ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP."),
            client.Call("CLIENT", "PAUSE", "1", "ALL", "x"));
        Assert.Equal("OK", client.Call("CLIENT", "PAUSE", "0"));
        Assert.Equal("PONG", client.Call("PING"));
    }
}
