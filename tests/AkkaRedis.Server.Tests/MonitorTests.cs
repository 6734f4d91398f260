using System.Diagnostics;
using System.Text.RegularExpressions;

namespace AkkaRedis.Server.Tests;

/// <summary>MONITOR against the real server: what it shows, compared line by line with redis-server's, and how it ends.</summary>
public sealed partial class MonitorTests(SharedServer server) : IClassFixture<SharedServer>
{
    private readonly int _port = server.Port;

    /// <summary>What a monitor sees of a client's session, with times and client addresses normalized.</summary>
    private static List<string> Session(int port)
    {
        using var monitor = new RespClient(port);
        using var client = new RespClient(port);
        Assert.Equal("OK", monitor.Call("MONITOR"));
        string[][] commands =
        [
            ["SET", "mon:k", "v\u0001\"\n\u00e9\\"], ["SELECT", "3"], ["GET", "mon:k"],
            ["CONFIG", "SET", "maxmemory-policy", "noeviction"], // administrative: not shown
            ["MULTI"], ["INCR", "mon:n"], ["GET", "mon:k"], ["EXEC"],
            ["MULTI"], ["SET", "mon:k", "1"], ["NOSUCH"], ["EXEC"], // aborted: only EXEC shows
            ["EVAL", "redis.call('set', KEYS[1], '1') return redis.call('get', KEYS[1])", "1", "mon:e"],
            ["AUTH", "secret"], ["HELLO", "3", "AUTH", "default", "secret"], ["HELLO", "2", "SETNAME", "watched"],
            ["NOSUCH", "x"], ["GET"], // refused before running: not shown
            ["MULTI"], ["MONITOR"], ["EXEC"],
            ["PING"],
        ];
        foreach (var command in commands) client.Call(command);
        // The monitor's own commands are shown to it too, after their replies; a second MONITOR is ignored without a reply.
        monitor.SendRaw(RespClient.Encode("PING"));
        monitor.SendRaw(RespClient.Encode("MONITOR"));
        var lines = new List<string>();
        while (monitor.ReadWithin(TimeSpan.FromSeconds(2)) is string line) lines.Add(Normalize().Replace(line, "T [$1 $2]"));
        return lines;
    }

    [GeneratedRegex(@"^\d+\.\d{6} \[(\d+) (?:127\.0\.0\.1:\d+|(lua))\]")]
    private static partial Regex Normalize();

    [Fact]
    public void MonitorShowsWhatRedisServerShows()
    {
        using var redis = new RedisServerProcess(appendOnly: false);
        var expected = Session(redis.Port);
        Assert.Contains("T [3 lua] \"set\" \"mon:e\" \"1\"", expected); // the comparison is about something
        Assert.Equal(expected, Session(_port));
    }

    [Fact]
    public void ResetAndLeavingEndMonitoring()
    {
        using var monitor = new RespClient(_port);
        using var client = new RespClient(_port);
        Assert.Equal("OK", monitor.Call("MONITOR"));
        Assert.Matches(@"flags=O db=0", (string)client.Call("CLIENT", "LIST")!); // administrative: not shown
        Assert.Equal("hi", client.Call("ECHO", "hi"));
        Assert.Matches(@"^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] ""ECHO"" ""hi""$", (string)monitor.Read()!);
        Assert.Equal("RESET", monitor.Call("RESET"));
        client.Call("SET", "mon:after", "1");
        Assert.Null(monitor.ReadWithin(TimeSpan.FromMilliseconds(300)));
        Assert.DoesNotMatch("flags=O", (string)client.Call("CLIENT", "LIST")!);

        // A monitor that leaves is forgotten: the next commands run as before.
        using (var leaving = new RespClient(_port)) Assert.Equal("OK", leaving.Call("MONITOR"));
        Thread.Sleep(200);
        Assert.Equal("OK", client.Call("SET", "mon:after", "2"));
    }

    [Fact]
    public void RedisCliMonitorPrintsTheCommandsOfOtherClients()
    {
        var cli = Process.Start(new ProcessStartInfo("redis-cli", $"-p {_port} monitor") { RedirectStandardOutput = true })!;
        try
        {
            Assert.Equal("OK", cli.StandardOutput.ReadLine());
            using var client = new RespClient(_port);
            Assert.Equal("OK", client.Call("SET", "mon:cli", "hello world"));
            var line = cli.StandardOutput.ReadLine();
            Assert.Matches(@"^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] ""SET"" ""mon:cli"" ""hello world""$", line);
        }
        finally
        {
            cli.Kill();
            cli.WaitForExit();
        }
    }
}
