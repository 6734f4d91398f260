using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// DEBUG, as Redis's test suite and client libraries use it: digests equal to redis-server's for the same data, RESP
/// test replies byte for byte, RELOAD, SET-ACTIVE-EXPIRE, SLEEP, OBJECT, and enable-debug-command.
/// </summary>
public sealed class DebugCommandTests
{
    /// <summary>Every type and encoding, numbers stored as integers, scores that print differently, two databases, an expiry.</summary>
    private static readonly string[][] Data =
    [
        ["SET", "s", "hello"], ["SET", "n", "12345"], ["SET", "big", new string('x', 100)], ["SET", "ttl", "v", "EX", "1000"],
        ["RPUSH", "l", "a", "b", "c", "1", "2"], ["SADD", "ints", "1", "2", "3"], ["SADD", "set", "a", "b", "c"],
        ["ZADD", "z", "1", "a", "2.5", "b", "0.1", "c", "-3", "d"], ["HSET", "h", "f", "v", "g", "w"],
        ["CONFIG", "SET", "zset-max-listpack-entries", "0"], ["ZADD", "zs", "1", "a", "0.1", "c", "1e20", "e", "inf", "f"],
        ["CONFIG", "SET", "zset-max-listpack-entries", "128"],
        ["CONFIG", "SET", "hash-max-listpack-entries", "0"], ["HSET", "hs", "f", "v", "g", "w"],
        ["CONFIG", "SET", "hash-max-listpack-entries", "128"],
        ["SELECT", "3"], ["SET", "x", "y"], ["SELECT", "0"],
    ];

    private static readonly string[] DataKeys = ["s", "n", "big", "ttl", "l", "ints", "set", "z", "h", "zs", "hs", "missing"];

    private static List<string> Digests(int port)
    {
        using var client = new RespClient(port);
        client.Call("FLUSHALL");
        var empty = (string)client.Call("DEBUG", "DIGEST")!;
        foreach (var command in Data) client.Call(command);
        var values = ((List<object?>)client.Call(["DEBUG", "DIGEST-VALUE", .. DataKeys])!).Cast<string>();
        return [empty, (string)client.Call("DEBUG", "DIGEST")!, .. values];
    }

    /// <summary>Redis's list.tcl plain-node tests (DEBUG QUICKLIST-PACKED-THRESHOLD), run on both servers, every reply compared.</summary>
    private static readonly string[][] PlainNodeSteps =
    [
        ["FLUSHALL"], ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1b"],
        ["LPUSH", "lst", "9"], ["LPUSH", "lst", "xxxxxxxxxx"], ["LPUSH", "lst", "xxxxxxxxxx"], ["LLEN", "lst"], ["RPOP", "lst"], ["RPOP", "lst"],
        ["LLEN", "lst"], ["LPOP", "lst"], ["LPUSH", "lst", "xxxxxxxxxx"], ["LPUSH", "lst", "bb"], ["DEBUG", "RELOAD"], ["RPOP", "lst"],
        ["FLUSHDB"], ["LPUSH", "lst", "xxxxxxxxxxx"], ["LPUSH", "lst", "9"], ["LPUSH", "lst", "xxxxxxxxxxx"], ["LINSERT", "lst", "before", "9", "8"],
        ["LINDEX", "lst", "1"], ["LINSERT", "lst", "BEFORE", "9", "7"], ["LINSERT", "lst", "BEFORE", "9", "xxxxxxxxxxx"], ["LINDEX", "lst", "3"],
        ["FLUSHDB"], ["LPUSH", "lst1", "9"], ["LPUSH", "lst1", "xxxxxxxxxxx"], ["LPUSH", "lst1", "9"], ["LTRIM", "lst1", "1", "-1"], ["LLEN", "lst1"],
        ["FLUSHDB"], ["LPUSH", "lst", "one"], ["LPUSH", "lst", "xxxxxxxxxxx"], ["LPUSH", "lst", "9"], ["LREM", "lst", "-2", "one"], ["LLEN", "lst"],
        ["FLUSHDB"], ["RPUSH", "lst", "aa"], ["RPUSH", "lst", "bb"], ["RPUSH", "lst", "cc"], ["LSET", "lst", "0", "xxxxxxxxxxx"], ["LPOS", "lst", "xxxxxxxxxxx"],
        ["FLUSHDB"], ["RPUSH", "lst2{t}", "aa"], ["RPUSH", "lst2{t}", "bb"], ["LSET", "lst2{t}", "0", "xxxxxxxxxxx"], ["RPUSH", "lst2{t}", "cc"],
        ["RPUSH", "lst2{t}", "dd"], ["LMOVE", "lst2{t}", "lst{t}", "RIGHT", "LEFT"], ["LMOVE", "lst2{t}", "lst{t}", "LEFT", "RIGHT"],
        ["LRANGE", "lst{t}", "0", "-1"], ["LRANGE", "lst2{t}", "0", "-1"],
        ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5b"], ["FLUSHDB"],
        ["RPUSH", "lst", "aa"], ["RPUSH", "lst", "bb"], ["LSET", "lst", "0", new string('d', 50001)], ["LPOP", "lst"],
        ["RPUSH", "lst", new string('f', 50001)], ["LSET", "lst", "0", new string('e', 50001)], ["LPOP", "lst"],
        ["RPUSH", "lst", new string('m', 50001)], ["LSET", "lst", "0", "bb"], ["LPOP", "lst"], ["RPUSH", "lst", "bb"], ["LSET", "lst", "0", "cc"], ["LPOP", "lst"],
        ["FLUSHDB"], ["RPUSH", "lst", "aa", "bb", "cc", "dd", "ee"], ["LSET", "lst", "2", new string('e', 10)], ["LRANGE", "lst", "0", "-1"],
        ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100b"], ["FLUSHDB"], ["RPUSH", "lst", new string('x', 100)], ["RPUSH", "lst", new string('x', 32)],
        ["RPUSH", "lst", new string('x', 32)], ["LSET", "lst", "-1", new string('x', 100)], ["LRANGE", "lst", "0", "-1"],
        ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "10b"], ["FLUSHDB"], ["LPUSH", "lst", "aa"], ["LPUSH", "lst", "bb"],
        ["LSET", "lst", "-2", new string('x', 10)], ["RPOP", "lst"], ["LRANGE", "lst", "0", "-1"],
        ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5000000000"], ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "lots"], ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"],
    ];

    /// <summary>DEBUG PAUSE-CRON: while set, keys past their expiry are left for a lookup to find; once cleared, the cycle removes them.</summary>
    [Fact]
    public void PausedCronLeavesExpiredKeysUntilItResumes()
    {
        using var server = ServerProcess.Start("--appendonly", "no", "--hz", "100");
        using var c = new RespClient(server.Port);
        Assert.Equal("OK", c.Call("DEBUG", "PAUSE-CRON", "1"));
        for (int i = 0; i < 20; i++) c.Call("SET", "k" + i, "v", "PX", "1");
        Thread.Sleep(500);
        Assert.Equal(20L, c.Call("DBSIZE"));
        Assert.Equal("OK", c.Call("DEBUG", "PAUSE-CRON", "0"));
        long left = 20;
        for (int i = 0; i < 100 && left > 0; i++)
        {
            Thread.Sleep(50);
            left = (long)c.Call("DBSIZE")!;
        }
        Assert.Equal(0L, left);
    }

    [Fact]
    public void PlainListNodesAsRedissListSuiteUsesThem()
    {
        using var redis = new RedisServerProcess(appendOnly: false, extraArgs: "--enable-debug-command yes");
        using var akka = ServerProcess.Start("--shards", "2", "--appendonly", "no");
        using var expected = new RespClient(redis.Port);
        using var actual = new RespClient(akka.Port);
        static string Show(object? reply) => reply is List<object?> items ? "[" + string.Join(", ", items.Select(Show)) + "]" : reply?.ToString() ?? "(nil)";
        foreach (var step in PlainNodeSteps)
            Assert.Equal(string.Join(' ', step.Select(a => a.Length > 12 ? a[..12] + "..." : a)) + " -> " + Show(expected.Call(step)),
                string.Join(' ', step.Select(a => a.Length > 12 ? a[..12] + "..." : a)) + " -> " + Show(actual.Call(step)));
        // DEBUG OBJECT gives a list's node figures as Redis's quicklist's.
        actual.Call("RPUSH", "ql", "a", "b", "c");
        Assert.Matches(@"encoding:quicklist .* ql_nodes:1 ql_avg_node:3\.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:\d+$",
            (string)actual.Call("DEBUG", "OBJECT", "ql")!);
    }

    [Fact]
    public void DigestsAreRedissForTheSameData()
    {
        using var redis = new RedisServerProcess(extraArgs: "--enable-debug-command yes");
        using var akka = ServerProcess.Start("--shards", "3", "--appendonly", "no");
        var expected = Digests(redis.Port);
        Assert.Equal(new string('0', 40), expected[0]);
        Assert.Equal(expected, Digests(akka.Port));

        // StackExchange.Redis sends DEBUG as any other command.
        using var connection = ConnectionMultiplexer.Connect($"127.0.0.1:{akka.Port}");
        Assert.Equal(expected[1], connection.GetDatabase().Execute("DEBUG", "DIGEST").ToString());
    }

    [Fact]
    public void ReloadKeepsTheDataAndRecomputesEncodings()
    {
        var dir = ServerProcess.NewDataDirectory();
        using var akka = ServerProcess.Start("--shards", "3", "--appendonly", "no", "--dir", dir);
        var before = Digests(akka.Port);
        using var client = new RespClient(akka.Port);
        // An expired key that nothing has deleted yet, and a hash that grew out of its listpack.
        client.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
        client.Call("SET", "gone", "v", "PX", "1");
        Thread.Sleep(20);
        client.Call("CONFIG", "SET", "hash-max-listpack-entries", "0");
        client.Call("HSET", "grown", "f", "v");
        client.Call("CONFIG", "SET", "hash-max-listpack-entries", "128");
        Assert.Equal("hashtable", client.Call("OBJECT", "ENCODING", "grown"));
        long keys = (long)client.Call("DBSIZE")!;

        Assert.Equal("OK", client.Call("DEBUG", "RELOAD"));

        var after = ((List<object?>)client.Call(["DEBUG", "DIGEST-VALUE", .. DataKeys])!).Cast<string>();
        Assert.Equal(before[2..], after);
        Assert.Equal("listpack", client.Call("OBJECT", "ENCODING", "grown"));
        Assert.Equal(keys - 1, client.Call("DBSIZE")); // the expired key is not loaded, as rdbLoad leaves it out
        Assert.True(File.Exists(Path.Combine(dir, "dump.rdb")));
    }

    /// <summary>
    /// DEBUG LOADAOF empties the dataset and loads it from the AOF, as a restart would (Redis's expire.tcl and other.tcl
    /// use it to check what the AOF holds): values, TTLs kept or removed, other databases and functions come back.
    /// </summary>
    [Fact]
    public void LoadAofLoadsBackWhatTheAppendOnlyFileHolds()
    {
        using var akka = ServerProcess.Start("--shards", "3", "--appendonly", "yes");
        Digests(akka.Port); // writes keys of every type
        using var client = new RespClient(akka.Port);
        client.Call("SET", "foo", "bar", "EX", "100");
        client.Call("SET", "foo", "bar2", "KEEPTTL");
        client.Call("SET", "persisted", "x", "EX", "100");
        client.Call("GETEX", "persisted", "PERSIST");
        client.Call("RPUSH", "list", "a", "b", "c");
        client.Call("LPOP", "list");
        Assert.Equal("lib", client.Call("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 'fn' end)"));
        client.Call("SELECT", "3");
        client.Call("SET", "in3", "3");
        client.Call("SELECT", "0");
        var before = client.Call("DEBUG", "DIGEST");

        Assert.Equal("OK", client.Call("DEBUG", "LOADAOF"));
        Assert.Equal(before, client.Call("DEBUG", "DIGEST"));
        Assert.Equal("bar2", client.Call("GET", "foo"));
        Assert.InRange((long)client.Call("TTL", "foo")!, 90, 100);
        Assert.Equal(-1L, client.Call("TTL", "persisted"));
        Assert.Equal("fn", client.Call("FCALL", "f", "0"));
        Assert.Contains("rdb_changes_since_last_save:0", (string)client.Call("INFO", "persistence")!);
        // After a rewrite too: the base and what follows it.
        Assert.Equal("Background append only file rewriting started", client.Call("BGREWRITEAOF"));
        while (((string)client.Call("INFO", "persistence")!).Contains("aof_rewrite_in_progress:1")) Thread.Sleep(20);
        client.Call("DEL", "foo");
        Assert.Equal("OK", client.Call("DEBUG", "LOADAOF"));
        Assert.Null(client.Call("GET", "foo"));
        Assert.Equal(new List<object?> { "b", "c" }, client.Call("LRANGE", "list", "0", "-1"));

        using var withoutAof = ServerProcess.Start("--appendonly", "no");
        using var other = new RespClient(withoutAof.Port);
        Assert.Equal(new RespClient.RespError("ERR DEBUG LOADAOF needs appendonly yes on a single node (this server keeps no AOF)"),
            other.Call("DEBUG", "LOADAOF"));
    }

    /// <summary>
    /// RELOAD's MERGE, NOFLUSH and NOSAVE as redis-server answers them (Redis's functions.tcl): over data still there
    /// a library or key the file holds is an error without MERGE and replaced with it; NOSAVE loads the file as it is.
    /// </summary>
    [Fact]
    public void ReloadOptionsAnswerAsRedisDoes()
    {
        using var redis = new RedisServerProcess(appendOnly: false, extraArgs: "--enable-debug-command yes");
        using var akka = ServerProcess.Start("--enable-debug-command", "yes");
        string[][] requests =
        [
            ["FUNCTION", "LOAD", "#!lua name=test1\nredis.register_function('test1', function() return 'one' end)"],
            ["SET", "x", "1"], ["DEBUG", "RELOAD"], ["DEBUG", "RELOAD", "NOFLUSH"], ["DEBUG", "RELOAD", "noflush", "merge"],
            ["FUNCTION", "LOAD", "#!lua name=test2\nredis.register_function('test2', function() return 'two' end)"],
            ["SET", "y", "2"], ["SET", "x", "changed"], ["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"],
            ["FCALL", "test1", "0"], ["FCALL", "test2", "0"], ["MGET", "x", "y"],
            ["DEBUG", "RELOAD", "bogus"], ["DEBUG", "RELOAD", "NOSAVE"], ["MGET", "x", "y"], ["FCALL", "test2", "0"],
        ];
        using var expected = new RespClient(redis.Port);
        using var actual = new RespClient(akka.Port);
        foreach (var request in requests)
            Assert.Equal(ScriptReplies.Render(request, expected.Call(request)), ScriptReplies.Render(request, actual.Call(request)));
    }

    /// <summary>What the server sends for a command, byte for byte: everything before the PONG of a PING sent after it.</summary>
    private static byte[] RawReply(NetworkStream stream, params string[] command)
    {
        stream.Write([.. RespClient.Encode(command), .. RespClient.Encode("PING")]);
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (received.Count < 7 || !received.TakeLast(7).SequenceEqual("+PONG\r\n"u8.ToArray()))
        {
            int n = stream.Read(buffer);
            if (n == 0) throw new IOException("closed");
            received.AddRange(buffer.AsSpan(0, n));
        }
        return [.. received.Take(received.Count - 7)];
    }

    private static List<string> ProtocolReplies(int port)
    {
        using var tcp = new TcpClient("127.0.0.1", port);
        var stream = tcp.GetStream();
        string[] types = ["string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push", "verbatim", "true", "false", "nope"];
        var replies = types.Select(t => Encoding.Latin1.GetString(RawReply(stream, "DEBUG", "PROTOCOL", t))).ToList();
        RawReply(stream, "HELLO", "3");
        replies.AddRange(types.Select(t => Encoding.Latin1.GetString(RawReply(stream, "DEBUG", "PROTOCOL", t))));
        return replies;
    }

    [Fact]
    public void ProtocolRepliesAreRedissByteForByteInResp2AndResp3()
    {
        using var redis = new RedisServerProcess(extraArgs: "--enable-debug-command yes");
        using var akka = ServerProcess.Start("--appendonly", "no");
        var expected = ProtocolReplies(redis.Port);
        Assert.Contains("|1\r\n$14\r\nkey-popularity\r\n", expected[^6]); // the RESP3 attribute, so both protocols were compared
        Assert.Equal(expected, ProtocolReplies(akka.Port));
    }

    [Fact]
    public async Task ObjectErrorSleepAndActiveExpire()
    {
        using var akka = ServerProcess.Start("--shards", "2", "--appendonly", "no");
        using var client = new RespClient(akka.Port);
        client.Call("SET", "s", "abc");
        client.Call("SET", "n", "42");
        Assert.Matches("^Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:4 lru:[0-9]+ lru_seconds_idle:[0-9]+$",
            (string)client.Call("DEBUG", "OBJECT", "s")!);
        Assert.Matches("^Value at:0x[0-9a-f]+ refcount:2147483647 encoding:int ", (string)client.Call("DEBUG", "OBJECT", "n")!);
        Assert.Equal(new RespClient.RespError("ERR no such key"), client.Call("DEBUG", "OBJECT", "missing"));
        Assert.Equal(new RespClient.RespError("MYERR one two"), client.Call("DEBUG", "ERROR", "MYERR one\ntwo"));
        Assert.Equal(new RespClient.RespError("ERR unknown subcommand or wrong number of arguments for 'Nope'. Try DEBUG HELP."),
            client.Call("DEBUG", "Nope"));
        Assert.Equal("DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", ((List<object?>)client.Call("DEBUG", "HELP")!)[0]);

        // DEBUG SLEEP stops the keyspace: a GET sent meanwhile on another connection is answered after it.
        using var other = new RespClient(akka.Port);
        var sleep = Task.Run(() => client.Call("DEBUG", "SLEEP", "1.5"));
        // Once the connection has dispatched DEBUG (CLIENT LIST is answered by the connections, not the shards), GETs
        // go until one is held: it waits for the sleep's end (a GET otherwise takes about a millisecond). The hold of
        // the shards may take a moment to begin (longer on a loaded machine), so a GET answered at once is tried again.
        while (!((string)other.Call("CLIENT", "LIST")!).Contains("cmd=debug")) await Task.Delay(10);
        bool held = false;
        while (!held && !sleep.IsCompleted)
        {
            var sent = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal("abc", other.Call("GET", "s"));
            held = sent.ElapsedMilliseconds >= 250;
            if (!held) await Task.Delay(20);
        }
        await sleep;
        Assert.True(held, "a GET sent during DEBUG SLEEP waited for its end");

        // With active expiry off an expired key stays stored (DBSIZE counts it) until something reads it.
        client.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
        client.Call("SET", "e", "v", "PX", "10");
        await Task.Delay(500);
        Assert.Equal(3L, client.Call("DBSIZE"));
        Assert.Null(client.Call("GET", "e"));
        Assert.Equal(2L, client.Call("DBSIZE"));
        client.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
        client.Call("SET", "e", "v", "PX", "10");
        for (int i = 0; i < 100 && (long)client.Call("DBSIZE")! == 3; i++) await Task.Delay(50);
        Assert.Equal(2L, client.Call("DBSIZE"));
    }

    [Fact]
    public void EnableDebugCommandNoRefusesItAsRedisDoes()
    {
        using var akka = ServerProcess.Start("--appendonly", "no", "--enable-debug-command", "no");
        using var client = new RespClient(akka.Port);
        var refused = new RespClient.RespError("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", " +
            "you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");
        Assert.Equal(refused, client.Call("DEBUG", "DIGEST"));
        Assert.Equal(new List<object?> { "enable-debug-command", "no" }, client.Call("CONFIG", "GET", "enable-debug-command"));
        Assert.Equal(new RespClient.RespError("ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't set immutable config"),
            client.Call("CONFIG", "SET", "enable-debug-command", "yes"));
        // Refused inside MULTI too, which dooms the transaction.
        client.Call("MULTI");
        Assert.Equal(refused, client.Call("DEBUG", "DIGEST"));
        Assert.Equal(new RespClient.RespError("EXECABORT Transaction discarded because of previous errors."), client.Call("EXEC"));
    }
}
