using System.Diagnostics;

namespace AkkaRedis.Server.Tests;

/// <summary>Debian's redis-cli and redis-benchmark against the server (.ci/run installs redis-tools).</summary>
public sealed class ToolTests(SharedServer server) : IClassFixture<SharedServer>
{
    private readonly int _port = server.Port;

    private static (int Exit, string Output) Run(string tool, string args, string? input = null, int timeoutSeconds = 120)
    {
        var info = new ProcessStartInfo(tool, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input != null,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        if (input != null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(true);
            throw new TimeoutException($"{tool} {args} did not finish");
        }
        return (process.ExitCode, output.Result + error.Result);
    }

    [Fact]
    public void RedisCliArguments()
    {
        Assert.Equal("OK\n", Run("redis-cli", $"-p {_port} SET cli:a hello").Output);
        Assert.Equal("hello\n", Run("redis-cli", $"-p {_port} GET cli:a").Output);
        Assert.Equal("(nil)\n", Run("redis-cli", $"-p {_port} --no-raw GET cli:missing").Output);
        Assert.Equal("ERR unknown command 'FOO', with args beginning with: 'bar' \n\n", Run("redis-cli", $"-p {_port} FOO bar").Output);
    }

    [Fact]
    public void RedisCliResp3()
    {
        var (exit, output) = Run("redis-cli", $"-3 -p {_port} --no-raw HELLO 3");
        Assert.Equal(0, exit);
        Assert.Contains("\"proto\"", output);
        Assert.Contains("(integer) 3", output);
        Assert.Equal("(nil)\n", Run("redis-cli", $"-3 -p {_port} --no-raw GET cli:missing").Output);
    }

    [Fact]
    public void RedisCliReadsCommandsFromStdin()
    {
        var (exit, output) = Run("redis-cli", $"-p {_port}", "SET cli:b 1\nINCR cli:b\nGET cli:b\n");
        Assert.Equal(0, exit);
        Assert.Equal("OK\n2\n2\n", output);
    }

    [Fact]
    public void RedisCliPipeMode()
    {
        var input = string.Concat(Enumerable.Range(0, 1000).Select(i => $"SET cli:pipe:{i} {i}\r\n"));
        var (exit, output) = Run("redis-cli", $"-p {_port} --pipe", input);
        Assert.Equal(0, exit);
        Assert.Contains("errors: 0, replies: 1000", output);
        Assert.Equal("999\n", Run("redis-cli", $"-p {_port} GET cli:pipe:999").Output);
    }

    [Fact]
    public void RedisBenchmarkCompletesWithoutErrors()
    {
        var (exit, output) = Run("redis-benchmark", $"-p {_port} -t set,get,incr,mset,zadd,zpopmin -P 16 -n 100000 -q", timeoutSeconds: 300);
        Assert.Equal(0, exit);
        Assert.DoesNotContain("ERR", output);
        foreach (var test in new[] { "SET", "GET", "INCR", "MSET (10 keys)", "ZADD", "ZPOPMIN" })
            Assert.Contains(test + ":", output);
    }
}
