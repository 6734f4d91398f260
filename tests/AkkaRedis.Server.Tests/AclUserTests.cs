using StackExchange.Redis;

namespace AkkaRedis.Server.Tests;

/// <summary>ACL users end to end: the same session against redis-server and AkkaRedis, and what users do to connections.</summary>
public sealed class AclUserTests
{
    private static RespClient.RespError Err(string message) => new(message);

    /// <summary>Commands by client: 0 is the default user, 1 and 2 log in as users the script makes.</summary>
    private static readonly (int Client, string[] Args)[] Session =
    [
        (0, ["ACL", "SETUSER", "alice", "on", ">pw1", ">pw2", "~obj:*", "%R~read*", "%W~write*", "&news.*", "+@string", "-append", "+multi", "+exec", "+eval", "+publish", "+psubscribe", "+acl|whoami", "+select|0"]),
        (0, ["ACL", "SETUSER", "bob", "on", "nopass", "resetkeys", "(+get", "~b*)", "(+set ~c*)", "+ping"]),
        (0, ["ACL", "SETUSER", "alice", "+nosuch"]),
        (0, ["ACL", "SETUSER", "alice", "(~a"]),
        (0, ["ACL", "SETUSER", "alice", "#0123"]),
        (0, ["ACL", "SETUSER", "bad name"]),
        (0, ["ACL", "GETUSER", "alice"]),
        (0, ["ACL", "GETUSER", "bob"]),
        (0, ["ACL", "GETUSER", "nobody"]),
        (0, ["ACL", "LIST"]),
        (0, ["ACL", "USERS"]),
        (0, ["ACL", "DRYRUN", "alice", "GET", "obj:1"]),
        (0, ["ACL", "DRYRUN", "alice", "SET", "read1", "v"]),
        (0, ["ACL", "DRYRUN", "alice", "PUBLISH", "weather", "m"]),
        (0, ["ACL", "DRYRUN", "alice", "HSET", "obj:1", "f", "v"]),
        (0, ["ACL", "DRYRUN", "alice", "GET"]),
        (0, ["ACL", "DRYRUN", "alice", "NOSUCH"]),
        (0, ["ACL", "DRYRUN", "nobody", "GET", "x"]),
        (0, ["ACL", "DELUSER", "default"]),
        (1, ["AUTH", "alice", "wrong"]),
        (1, ["AUTH", "alice", "pw2"]),
        (1, ["ACL", "WHOAMI"]),
        (1, ["SET", "obj:1", "v"]),
        (1, ["GET", "obj:1"]),
        (1, ["APPEND", "obj:1", "w"]),
        (1, ["GET", "other"]),
        (1, ["GET", "read1"]),
        (1, ["SET", "read1", "v"]),
        (1, ["SET", "write1", "v"]),
        (1, ["SET", "write1", "v", "GET"]),
        (1, ["MSET", "obj:2", "v", "other", "v"]),
        (1, ["PUBLISH", "news.sport", "m"]),
        (1, ["PUBLISH", "weather", "m"]),
        (1, ["SELECT", "0"]),
        (1, ["SELECT", "1"]),
        (1, ["HSET", "obj:1", "f", "v"]),
        (1, ["EVAL", "return redis.call('get', KEYS[1])", "1", "obj:1"]),
        (1, ["EVAL", "return redis.call('get', 'other')", "0"]),
        (1, ["EVAL", "return redis.call('hget', 'obj:1', 'f')", "0"]),
        (1, ["EVAL", "return {redis.acl_check_cmd('get', 'obj:1'), redis.acl_check_cmd('get', 'x')}", "0"]),
        (1, ["EVAL", "return redis.acl_check_cmd('nosuch')", "0"]),
        (1, ["MULTI"]),
        (1, ["GET", "other"]),
        (1, ["EXEC"]),
        (1, ["MULTI"]),
        (1, ["GET", "obj:1"]),
        (1, ["SET", "obj:1", "x"]),
        (0, ["ACL", "SETUSER", "alice", "-set"]),
        (1, ["EXEC"]),
        (2, ["AUTH", "bob", "anything"]),
        (2, ["GET", "b1"]),
        (2, ["GET", "c1"]),
        (2, ["SET", "c1", "v"]),
        (2, ["SET", "b1", "v"]),
        (2, ["DEL", "b1"]),
        (2, ["PING"]),
        (0, ["CLIENT", "KILL", "USER", "nobody"]),
        (0, ["ACL", "LOG", "2"]),
        (0, ["ACL", "LOG"]),
        (0, ["ACL", "LOG", "RESET"]),
        (0, ["ACL", "LOG"]),
        (0, ["ACL", "DELUSER", "bob", "nobody"]),
        (0, ["ACL", "USERS"]),
    ];

    private static List<object?> Run(int port)
    {
        var clients = Enumerable.Range(0, 3).Select(_ => new RespClient(port)).ToArray();
        try
        {
            return Session.Select(step => Normalize(clients[step.Client].Call(step.Args))).ToList();
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }

    /// <summary>
    /// What may differ between the servers: the order of single-command rules (Redis walks its command dict in hash
    /// order), an ACL LOG entry's age and client line (checked to be there), script SHAs in errors are the same.
    /// </summary>
    private static object? Normalize(object? reply)
    {
        switch (reply)
        {
            case string text when text.Contains("@all"):
                return string.Join(' ', text.Split(' ').Order(StringComparer.Ordinal));
            case List<object?> items:
                var normalized = items.Select(Normalize).ToList();
                for (int i = 0; i + 1 < normalized.Count; i++)
                {
                    if (normalized[i] is "age-seconds") normalized[i + 1] = double.Parse((string)normalized[i + 1]!) < 60 ? "recent" : "old";
                    if (normalized[i] is "client-info") normalized[i + 1] = ((string)normalized[i + 1]!).Contains(" user=") ? "client" : "?";
                }
                return normalized;
            default:
                return reply;
        }
    }

    [Fact]
    public void UsersTheirChecksAndTheLogAnswerAsRedisAnswers()
    {
        List<object?> expected;
        using (var redis = new RedisServerProcess()) expected = Run(redis.Port);
        using var akka = ServerProcess.Start("--appendonly", "no");
        var actual = Run(akka.Port);
        for (int i = 0; i < Session.Length; i++)
            Assert.True(Show(expected[i]) == Show(actual[i]), $"{string.Join(' ', Session[i].Args)}: expected {Show(expected[i])}, got {Show(actual[i])}");
    }

    private static string Show(object? reply) => reply switch
    {
        List<object?> items => "[" + string.Join(", ", items.Select(Show)) + "]",
        null => "nil",
        _ => reply.ToString()!,
    };

    [Fact]
    public void DeletedUsersAndSubscribersWhoLostTheirChannelsAreDisconnected()
    {
        using var server = ServerProcess.Start("--appendonly", "no");
        using var admin = new RespClient(server.Port);
        Assert.Equal("OK", admin.Call("ACL", "SETUSER", "sub", "on", ">p", "resetchannels", "&news.*", "&orders", "+@all"));
        using var kept = new RespClient(server.Port);
        using var subscriber = new RespClient(server.Port);
        foreach (var c in new[] { kept, subscriber })
        {
            Assert.Equal("OK", c.Call("AUTH", "sub", "p"));
            Assert.Equal("OK", c.Call("CLIENT", "SETNAME", c == kept ? "kept" : "lost"));
        }
        kept.Call("SUBSCRIBE", "orders");
        subscriber.Call("SUBSCRIBE", "news.sport");
        // Keeping orders, losing news.*: only the news subscriber goes, before SETUSER answers.
        Assert.Equal("OK", admin.Call("ACL", "SETUSER", "sub", "resetchannels", "&orders"));
        var list = (string)admin.Call("CLIENT", "LIST")!;
        Assert.DoesNotContain("name=lost", list);
        Assert.Contains("name=kept", list);
        Assert.Contains("user=sub", list);
        Assert.True(subscriber.IsClosedByServer());
        Assert.Equal(new List<object?> { "orders", 1L }, admin.Call("PUBSUB", "NUMSUB", "orders"));

        // ACL DELUSER closes the user's connections, and CLIENT KILL USER finds them.
        using var other = new RespClient(server.Port);
        Assert.Equal("OK", admin.Call("ACL", "SETUSER", "temp", "on", "nopass", "+@all", "~*"));
        Assert.Equal("OK", other.Call("AUTH", "temp", "x"));
        Assert.Equal(1L, admin.Call("CLIENT", "KILL", "USER", "temp"));
        Assert.True(other.IsClosedByServer());
        Assert.Equal(2L, admin.Call("ACL", "DELUSER", "sub", "temp", "nobody"));
        Assert.True(kept.IsClosedByServer());
        Assert.Equal(Err("ERR No such user 'sub'"), admin.Call("CLIENT", "KILL", "USER", "sub"));

        // A user deleting itself is answered first, then closed.
        Assert.Equal("OK", admin.Call("ACL", "SETUSER", "self", "on", "nopass", "+@all"));
        Assert.Equal("OK", admin.Call("AUTH", "self", "x"));
        Assert.Equal(1L, admin.Call("ACL", "DELUSER", "self"));
        Assert.True(admin.IsClosedByServer());
    }

    [Fact]
    public void TheDefaultUserTurnedOffOrGivenAPasswordMakesNewConnectionsAuthenticate()
    {
        using var server = ServerProcess.Start("--appendonly", "no");
        using var admin = new RespClient(server.Port);
        Assert.Equal("OK", admin.Call("ACL", "SETUSER", "admin", "on", ">a", "+@all", "~*", "&*"));
        Assert.Equal("OK", admin.Call("ACL", "SETUSER", "default", "off"));
        using (var c = new RespClient(server.Port))
        {
            Assert.Equal(Err("NOAUTH Authentication required."), c.Call("PING"));
            // Until then a request may carry at most 10 arguments (and bulks of at most 16384 bytes), as in Redis.
            c.SendRaw("*11\r\n");
            Assert.Equal(Err("ERR Protocol error: unauthenticated multibulk length"), c.Read());
            Assert.True(c.IsClosedByServer());
        }
        using (var c = new RespClient(server.Port))
        {
            c.SendRaw("*2\r\n$100000\r\n");
            Assert.Equal(Err("ERR Protocol error: unauthenticated bulk length"), c.Read());
        }
        using (var c = new RespClient(server.Port))
        {
            // HELLO is allowed to any user, whatever its commands.
            Assert.IsType<List<object?>>(c.Call("HELLO", "2", "AUTH", "admin", "a"));
            Assert.Equal("admin", c.Call("ACL", "WHOAMI"));
            Assert.Equal("RESET", c.Call("RESET"));
            Assert.Equal(Err("NOAUTH Authentication required."), c.Call("ACL", "WHOAMI"));
        }
        Assert.Equal("OK", admin.Call("ACL", "SETUSER", "default", "on", "resetpass", ">d"));
        using var redis = ConnectionMultiplexer.Connect($"127.0.0.1:{server.Port},user=admin,password=a");
        var db = redis.GetDatabase();
        db.StringSet("k", "v");
        Assert.Equal("v", (string?)db.StringGet("k"));
        Assert.Equal("admin", (string?)db.Execute("ACL", "WHOAMI"));
    }

    [Fact]
    public void TheAclFileIsReadAtStartByAclLoadAndWrittenByAclSave()
    {
        var directory = ServerProcess.NewDataDirectory();
        try
        {
            var file = Path.Combine(directory, "users.acl");
            File.WriteAllText(file, "user alice on #" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("pw"u8)) +
                                    " ~* +@all\n\nuser default on nopass ~* &* +@all\n");
            // A relative name is under --dir, as Redis's is once it has changed to its dir; errors name it as given.
            using (var server = ServerProcess.Start("--appendonly", "no", "--dir", directory, "--aclfile", "users.acl"))
            {
                using var admin = new RespClient(server.Port);
                using var alice = new RespClient(server.Port);
                Assert.Equal("OK", alice.Call("AUTH", "alice", "pw"));
                Assert.Equal("OK", admin.Call("ACL", "SETUSER", "bob", "on", ">b", "~b*", "+get"));
                Assert.Equal("OK", admin.Call("ACL", "SAVE"));
                Assert.Contains("user bob on #", File.ReadAllText(file));
                // A bad file changes nothing and says where; a good one replaces the users, closing their connections.
                File.WriteAllText(file, "user carol on nopass +nosuch\nnot a user\n");
                Assert.Equal(Err("ERR users.acl:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. " +
                                 "users.acl:2 should start with user keyword followed by the username. " +
                                 "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"),
                    admin.Call("ACL", "LOAD"));
                Assert.Equal(new List<object?> { "alice", "bob", "default" }, admin.Call("ACL", "USERS"));
                File.WriteAllText(file, "user carol on nopass ~* +@all\n");
                Assert.Equal("OK", admin.Call("ACL", "LOAD"));
                Assert.Equal(new List<object?> { "carol", "default" }, admin.Call("ACL", "USERS"));
                Assert.True(alice.IsClosedByServer());
                Assert.Equal("PONG", admin.Call("PING"));
            }
            File.WriteAllText(file, "user broken on +nosuch\n");
            var e = Assert.ThrowsAny<Exception>(() => ServerProcess.Start("--appendonly", "no", "--aclfile", file));
            Assert.Contains("Aborting Redis startup because of ACL errors", e.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
        using var plain = ServerProcess.Start("--appendonly", "no");
        using var client = new RespClient(plain.Port);
        Assert.Equal(Err("ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL " +
                         "SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order " +
                         "to store users in the Redis configuration."), client.Call("ACL", "LOAD"));
    }
}
