using StackExchange.Redis;

namespace AkkaRedis.Server.Tests;

/// <summary>requirepass: nothing runs before AUTH, as Redis refuses it, and clients that send the password work.</summary>
public sealed class AuthTests
{
    private static RespClient.RespError Err(string message) => new(message);

    [Fact]
    public void CommandsWaitForAuthAndClientsWithThePasswordWork()
    {
        using var server = ServerProcess.Start("--requirepass", "s3cret", "--appendonly", "no");
        using (var c = new RespClient(server.Port))
        {
            var noAuth = Err("NOAUTH Authentication required.");
            Assert.Equal(noAuth, c.Call("PING"));
            Assert.Equal(noAuth, c.Call("SET", "k", "v"));
            Assert.Equal(noAuth, c.Call("MULTI"));
            Assert.IsType<RespClient.RespError>(c.Call("HELLO", "3"));
            var wrong = Err("WRONGPASS invalid username-password pair or user is disabled.");
            Assert.Equal(wrong, c.Call("AUTH", "nope"));
            Assert.Equal(wrong, c.Call("AUTH", "someone", "s3cret"));
            Assert.Equal("OK", c.Call("AUTH", "s3cret"));
            Assert.Equal("OK", c.Call("SET", "k", "v"));
            // RESET goes back to an unauthenticated connection; HELLO can authenticate.
            Assert.Equal("RESET", c.Call("RESET"));
            Assert.Equal(noAuth, c.Call("GET", "k"));
            Assert.IsType<List<object?>>(c.Call("HELLO", "2", "AUTH", "default", "s3cret"));
            Assert.Equal("v", c.Call("GET", "k"));
            // A new password applies to new connections; this one stays authenticated.
            Assert.Equal("OK", c.Call("CONFIG", "SET", "requirepass", "other"));
            Assert.Equal("v", c.Call("GET", "k"));
        }
        using (var c = new RespClient(server.Port))
        {
            Assert.Equal(Err("WRONGPASS invalid username-password pair or user is disabled."), c.Call("AUTH", "s3cret"));
            Assert.Equal("OK", c.Call("AUTH", "default", "other"));
        }
        using var redis = ConnectionMultiplexer.Connect($"127.0.0.1:{server.Port},password=other");
        Assert.Equal("v", (string?)redis.GetDatabase().StringGet("k"));
    }
}
