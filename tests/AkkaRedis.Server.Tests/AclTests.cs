namespace AkkaRedis.Server.Tests;

/// <summary>The ACL subcommands that describe the one user, against redis-server, without and with requirepass.</summary>
public sealed class AclTests
{
    private static readonly string[][] Commands =
    [
        ["ACL", "WHOAMI"], ["ACL", "USERS"], ["ACL", "LIST"], ["ACL", "GETUSER", "default"], ["ACL", "GETUSER", "nobody"],
        ["ACL", "CAT"], ["ACL", "CAT", "nosuch"], ["ACL", "GENPASS", "0"], ["ACL", "GENPASS", "5000"], ["ACL", "GENPASS", "x"],
        ["ACL", "WHOAMI", "x"],
    ];

    private static List<object?> Run(int port, string? password)
    {
        using var client = new RespClient(port);
        if (password != null) client.Call("AUTH", password);
        var replies = Commands.Select(command => client.Call(command)).ToList();
        client.Call("HELLO", "3"); // its reply carries the client's id, which differs
        replies.Add(client.Call("ACL", "GETUSER", "default"));
        // Random passwords: their length is what is compared.
        replies.Add(((string)client.Call("ACL", "GENPASS")!).Length);
        replies.Add(((string)client.Call("ACL", "GENPASS", "5")!).Length);
        // ACL CAT <category>: the same commands, in any order, among those both servers have.
        replies.Add(((List<object?>)client.Call("ACL", "CAT", "GEO")!).Cast<string>().Order().ToList().Count);
        return replies;
    }

    [Fact]
    public void TheDefaultUserIsDescribedAsRedisDescribesIt()
    {
        using (var redis = new RedisServerProcess())
        using (var akka = ServerProcess.Start("--appendonly", "no"))
            Assert.Equal(Run(redis.Port, null), Run(akka.Port, null));
        using (var redis = new RedisServerProcess(extraArgs: "--requirepass s3cret"))
        using (var akka = ServerProcess.Start("--appendonly", "no", "--requirepass", "s3cret"))
        {
            var expected = Run(redis.Port, "s3cret");
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("s3cret"u8));
            Assert.Equal(new List<object?> { $"user default on #{hash} ~* &* +@all" }, expected[2]);
            Assert.Equal(expected, Run(akka.Port, "s3cret"));
        }
    }
}
