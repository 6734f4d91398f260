using System.Text;
using StackExchange.Redis;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// Streams end to end: random stream commands, valid and not, against redis-server and AkkaRedis side by side; blocking
/// reads across shards; the AOF and RDB forms surviving a kill; and StackExchange.Redis's stream API.
/// </summary>
public sealed class StreamTests
{
    private static readonly string[] StreamKeys = ["{x}a", "{x}b", "s1", "s2", "str"];
    private static readonly string[] Groups = ["g1", "g2", "nogroup"];
    private static readonly string[] Consumers = ["alice", "bob", "carol"];

    /// <summary>Only commands whose replies do not depend on the clock: explicit IDs, and idle times of 0.</summary>
    private sealed class Generator(int seed)
    {
        private readonly Random _r = new(seed);
        private T Pick<T>(T[] items) => items[_r.Next(items.Length)];
        private string Key() => Pick(StreamKeys);
        private string Id() => _r.Next(12) switch
        {
            0 => "-",
            1 => "+",
            2 => "abc",
            3 => "(" + _r.Next(60) + "-" + _r.Next(3),
            4 => _r.Next(60).ToString(),
            5 => "0-0",
            6 => "18446744073709551615-18446744073709551615",
            _ => _r.Next(60) + "-" + _r.Next(4),
        };
        private string NewId() => _r.Next(10) switch
        {
            0 => "0-0",
            1 => _r.Next(80) + "-*",
            2 => "bad",
            _ => _r.Next(80) + "-" + _r.Next(5),
        };
        private string[] Fields() => _r.Next(8) == 0 ? ["f"] : [.. Enumerable.Range(0, _r.Next(1, 4)).SelectMany(i => new[] { "f" + _r.Next(4), "v" + _r.Next(100) })];
        private string[] Trim() => _r.Next(6) switch
        {
            0 => ["MAXLEN", _r.Next(2) == 0 ? "~" : "=", _r.Next(-1, 30).ToString()],
            1 => ["MINID", _r.Next(2) == 0 ? "~" : "=", Id()],
            2 => ["MAXLEN", "~", _r.Next(30).ToString(), "LIMIT", _r.Next(-1, 20).ToString()],
            3 => ["MAXLEN", _r.Next(30).ToString(), "LIMIT", "5"],
            _ => [],
        };
        private string Count() => _r.Next(5) == 0 ? _r.Next(-2, 3).ToString() : _r.Next(1, 12).ToString();

        public string[] Next() => _r.Next(30) switch
        {
            < 8 => ["XADD", Key(), .. _r.Next(6) == 0 ? ["NOMKSTREAM"] : (string[])[], .. Trim(), NewId(), .. Fields()],
            8 => ["XLEN", Key()],
            9 => ["XRANGE", Key(), Id(), Id(), .. _r.Next(2) == 0 ? ["COUNT", Count()] : (string[])[]],
            10 => ["XREVRANGE", Key(), Id(), Id(), .. _r.Next(2) == 0 ? ["COUNT", Count()] : (string[])[]],
            11 => ["XDEL", Key(), Id(), Id()],
            12 => ["XTRIM", Key(), .. Trim()],
            13 => ["XSETID", Key(), Id(), .. _r.Next(3) == 0 ? ["ENTRIESADDED", _r.Next(-1, 40).ToString(), "MAXDELETEDID", Id()] : (string[])[]],
            14 => ["XREAD", "COUNT", Count(), "STREAMS", .. _r.Next(2) == 0 ? new[] { "{x}a", "{x}b", Id(), "$" } : [Key(), Id()]],
            15 => ["XGROUP", "CREATE", Key(), Pick(Groups), _r.Next(3) == 0 ? "$" : Id(), .. _r.Next(2) == 0 ? ["MKSTREAM"] : (string[])[]],
            16 => ["XGROUP", "SETID", Key(), Pick(Groups), _r.Next(3) == 0 ? "$" : Id(), .. _r.Next(3) == 0 ? ["ENTRIESREAD", _r.Next(-2, 20).ToString()] : (string[])[]],
            17 => ["XGROUP", Pick(new[] { "DESTROY", "CREATECONSUMER", "DELCONSUMER" }), Key(), Pick(Groups), .. _r.Next(4) == 0 ? (string[])[] : [Pick(Consumers)]],
            < 21 => ["XREADGROUP", "GROUP", Pick(Groups), Pick(Consumers), .. _r.Next(4) == 0 ? ["NOACK"] : (string[])[], "COUNT", Count(), "STREAMS", Key(), _r.Next(3) == 0 ? Id() : ">"],
            21 => ["XACK", Key(), Pick(Groups), Id(), Id()],
            22 => ["XPENDING", Key(), Pick(Groups)],
            23 => ["XCLAIM", Key(), Pick(Groups), Pick(Consumers), "0", Id(), Id(), "JUSTID", .. _r.Next(3) == 0 ? ["LASTID", Id()] : (string[])[]],
            24 => ["XAUTOCLAIM", Key(), Pick(Groups), Pick(Consumers), "0", Id(), "COUNT", Count(), "JUSTID"],
            25 => ["XINFO", "GROUPS", Key()],
            26 => ["XINFO", "STREAM", Key()],
            27 => ["DEBUG", "DIGEST-VALUE", Key()],
            28 => ["XPENDING", Key(), Pick(Groups), "-", "+", "10", Pick(Consumers)],
            _ => _r.Next(3) == 0 ? ["SET", "str", "x"] : ["TYPE", Key()],
        };
    }

    private static string Show(object? reply) => DifferentialTests.Show(reply);

    /// <summary>Replies compared as they are, except what is the server's own: XINFO STREAM's radix-tree-nodes and XPENDING's idle times.</summary>
    private static string Normalize(string[] command, object? reply)
    {
        if (command is ["XINFO", "STREAM", ..] && reply is List<object?> info && info.Count > 5) info[5] = "nodes";
        if (command[0] == "XPENDING" && command.Length > 3 && reply is List<object?> rows)
            foreach (var row in rows.OfType<List<object?>>()) row[2] = "idle";
        return Show(reply);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomStreamCommandsGetTheSameRepliesAsRedis(int seed)
    {
        using var redis = new RedisServerProcess(appendOnly: false, extraArgs: "--enable-debug-command yes --stream-node-max-entries 4");
        using var akka = ServerProcess.Start("--shards", "3");
        using var expected = new RespClient(redis.Port);
        using var actual = new RespClient(akka.Port);
        Assert.Equal("OK", actual.Call("CONFIG", "SET", "stream-node-max-entries", "4"));
        var generator = new Generator(seed);
        var mismatches = new StringBuilder();
        for (int i = 0; i < 4000 && mismatches.Length < 3000; i++)
        {
            var command = generator.Next();
            var want = Normalize(command, expected.Call(command));
            var got = Normalize(command, actual.Call(command));
            if (want != got) mismatches.Append($"#{i} {string.Join(' ', command)}\n  redis: {want}\n  akka:  {got}\n");
        }
        Assert.True(mismatches.Length == 0, mismatches.ToString());
        // Whole streams, groups and pending lists at the end: the state, not only the replies, is the same.
        foreach (var key in StreamKeys)
        {
            var command = new[] { "XINFO", "STREAM", key, "FULL" };
            var want = Normalize(command, expected.Call(command));
            Assert.Equal(Regex_TimesOut(want), Regex_TimesOut(Normalize(command, actual.Call(command))));
        }
    }

    /// <summary>XINFO STREAM FULL with its times (seen-time, delivery times) left out: each server has its own clock.</summary>
    private static string Regex_TimesOut(string full) => System.Text.RegularExpressions.Regex.Replace(full, @"\b1\d{12}\b", "T");

    [Fact]
    public void BlockedXReadOnStreamsOfTwoShardsIsServedByTheFirstAdd()
    {
        using var akka = ServerProcess.Start("--shards", "4");
        using var reader = new RespClient(akka.Port);
        using var writer = new RespClient(akka.Port);
        // s1 and s2 hash to different slots; with 4 shards they are served by different shards.
        writer.Call("XADD", "s1", "5-0", "a", "1");
        reader.SendRaw(Encoding.ASCII.GetString(RespClient.Encode("XREAD", "BLOCK", "0", "STREAMS", "s1", "s2", "$", "$")));
        Assert.Null(reader.ReadRawWithin(TimeSpan.FromMilliseconds(200)));
        Assert.Equal("7-1", writer.Call("XADD", "s2", "7-1", "b", "2"));
        var served = Assert.IsType<List<object?>>(reader.ReadWithin(TimeSpan.FromSeconds(5)));
        Assert.Equal("[[s2, [[7-1, [b, 2]]]]]", Show(served));

        // A timeout answers the null array; a group's reader with NOACK takes new entries without pending them.
        var started = DateTime.UtcNow;
        Assert.Null(reader.Call("XREAD", "BLOCK", "150", "STREAMS", "s1", "$"));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(140));
        Assert.Equal("OK", writer.Call("XGROUP", "CREATE", "s2", "g", "$"));
        reader.SendRaw(Encoding.ASCII.GetString(RespClient.Encode("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s2", ">")));
        Assert.Null(reader.ReadRawWithin(TimeSpan.FromMilliseconds(200)));
        writer.Call("XGROUP", "DESTROY", "s2", "g");
        var error = Assert.IsType<RespClient.RespError>(reader.ReadWithin(TimeSpan.FromSeconds(5)));
        Assert.Equal("NOGROUP the consumer group this client was blocked on no longer exists", error.Message);
        // Inside MULTI, BLOCK does not block: the null array at once.
        writer.Call("MULTI");
        writer.Call("XREAD", "BLOCK", "0", "STREAMS", "nothing", "$");
        Assert.Equal("[(nil)]", Show(writer.Call("EXEC")));
        Assert.Equal("ERR timeout is negative", Assert.IsType<RespClient.RespError>(writer.Call("XREAD", "BLOCK", "-1", "STREAMS", "s1", "0")).Message);
    }

    [Fact]
    public void StreamsAndTheirGroupsSurviveAKillAndARewrite()
    {
        var directory = ServerProcess.NewDataDirectory();
        string[] keys = ["events", "{o}orders", "empty"];
        List<string> Snapshot(RespClient c) =>
        [
            .. keys.Select(k => Show(c.Call("XRANGE", k, "-", "+"))),
            .. keys.Select(k => Show(c.Call("XINFO", "GROUPS", k))),
            .. keys.Select(k => Show(c.Call("XPENDING", k, "g"))),
            .. keys.Select(k => Regex_TimesOut(Normalize(["XINFO", "STREAM", k], c.Call("XINFO", "STREAM", k)))),
            Show(c.Call("DEBUG", "DIGEST")),
        ];
        List<string> before;
        using (var server = ServerProcess.Start("--dir", directory, "--appendonly", "yes", "--appendfsync", "always"))
        using (var c = new RespClient(server.Port))
        {
            for (int i = 0; i < 300; i++) c.Call("XADD", i % 2 == 0 ? "events" : "{o}orders", "MAXLEN", "~", "120", "*", "n", i.ToString());
            c.Call("XGROUP", "CREATE", "events", "g", "0");
            c.Call("XGROUP", "CREATE", "{o}orders", "g", "0", "ENTRIESREAD", "3");
            c.Call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "10", "STREAMS", "events", "{o}orders", ">", ">");
            c.Call("XREADGROUP", "GROUP", "g", "bob", "NOACK", "COUNT", "5", "STREAMS", "events", ">");
            var first = (List<object?>)c.Call("XRANGE", "events", "-", "+", "COUNT", "20")!;
            c.Call("XACK", "events", "g", (string)((List<object?>)first[0]!)[0]!);
            // An entry nobody has pending: a pending entry whose entry is deleted does not outlive a rewrite, in Redis either.
            c.Call("XDEL", "events", (string)((List<object?>)first[18]!)[0]!);
            c.Call("XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM");
            c.Call("XGROUP", "CREATECONSUMER", "empty", "g", "idle");
            Assert.Equal("Background append only file rewriting started", c.Call("BGREWRITEAOF"));
            for (int i = 0; i < 100 && Show(c.Call("INFO", "persistence")).Contains("aof_rewrite_in_progress:1"); i++) Thread.Sleep(50);
            c.Call("XCLAIM", "events", "g", "carol", "0", (string)((List<object?>)first[2]!)[0]!);
            c.Call("XTRIM", "{o}orders", "MAXLEN", "100");
            before = Snapshot(c);
            server.Kill();
        }
        using (var server = ServerProcess.Start("--dir", directory, "--appendonly", "yes"))
        using (var c = new RespClient(server.Port))
        {
            Assert.Equal(before, Snapshot(c));
            Assert.Equal("OK", c.Call("SAVE"));
        }
        // The same from the RDB file: with the AOF off, dump.rdb is what is loaded.
        using (var server = ServerProcess.Start("--dir", directory, "--appendonly", "no"))
        using (var c = new RespClient(server.Port))
            Assert.Equal(before, Snapshot(c));
    }

    /// <summary>
    /// A blocked XREADGROUP woken by an entry deleted in the same transaction delivers nothing, yet refreshes its
    /// consumer. Before, that change was journaled as the served client's "command as sent", which it has none of: an
    /// empty command (*0) that made the AOF unloadable, so the server could not start again.
    /// </summary>
    [Fact]
    public void AWokenXReadGroupThatDeliversNothingLeavesALoadableAof()
    {
        var directory = ServerProcess.NewDataDirectory();
        using (var server = ServerProcess.Start("--dir", directory, "--appendonly", "yes", "--appendfsync", "always"))
        using (var reader = new RespClient(server.Port))
        using (var writer = new RespClient(server.Port))
        {
            writer.Call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
            Assert.Null(writer.Call("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"));
            reader.SendRaw(Encoding.ASCII.GetString(RespClient.Encode("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")));
            Assert.Null(reader.ReadRawWithin(TimeSpan.FromMilliseconds(200)));
            writer.Call("MULTI");
            writer.Call("XADD", "s", "1-1", "f", "v");
            writer.Call("XDEL", "s", "1-1");
            Assert.Equal("[1-1, 1]", Show(writer.Call("EXEC")));
            Assert.Equal("[[s, []]]", Show(reader.ReadWithin(TimeSpan.FromSeconds(5))));
            Assert.Equal("OK", writer.Call("DEBUG", "LOADAOF"));
            server.Kill();
        }
        // It starts again, with the group as it was. The consumer made when serving is not journaled (Redis propagates
        // a consumer's creation only with NOACK, else by the XCLAIM of what it was given), so it is not there.
        using (var server = ServerProcess.Start("--dir", directory, "--appendonly", "yes"))
        using (var c = new RespClient(server.Port))
        {
            Assert.Equal("[[name, g, consumers, 0, pending, 0, last-delivered-id, 0-0, entries-read, (nil), lag, 0]]", Show(c.Call("XINFO", "GROUPS", "s")));
            Assert.Equal(0L, c.Call("XLEN", "s"));
        }
    }

    [Fact]
    public void RedisServerLoadsOurStreamsAndWeLoadItsFromDump()
    {
        using var redis = new RedisServerProcess(appendOnly: false, extraArgs: "--enable-debug-command yes");
        using var akka = ServerProcess.Start();
        using var theirs = new RespClient(redis.Port);
        using var ours = new RespClient(akka.Port);
        foreach (var c in new[] { theirs, ours })
        {
            c.Call("CONFIG", "SET", "stream-node-max-entries", "3");
            for (int i = 1; i <= 20; i++) c.Call("XADD", "s", $"{i}-{i % 3}", "f" + (i % 2), "v" + i, "same", "x");
            c.Call("XADD", "s", "99-0", "big", new string('b', 5000));
            c.Call("XDEL", "s", "4-1", "5-2");
            c.Call("XGROUP", "CREATE", "s", "g", "0");
            c.Call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "4", "STREAMS", "s", ">");
            c.Call("XGROUP", "CREATECONSUMER", "s", "g", "bob");
        }
        var ourDump = (byte[])ours.CallBinary("DUMP", "s")!;
        var theirDump = (byte[])theirs.CallBinary("DUMP", "s")!;
        Assert.Equal("OK", theirs.CallBinary("RESTORE", "from-us", "0", ourDump));
        Assert.Equal("OK", ours.CallBinary("RESTORE", "from-them", "0", theirDump));
        string[] full(string key) => ["XINFO", "STREAM", key, "FULL"];
        Assert.Equal(Regex_TimesOut(Normalize(full("s"), theirs.Call(full("s")))), Regex_TimesOut(Normalize(full("from-us"), theirs.Call(full("from-us")))));
        Assert.Equal(Regex_TimesOut(Normalize(full("s"), ours.Call(full("s")))), Regex_TimesOut(Normalize(full("from-them"), ours.Call(full("from-them")))));
        Assert.Equal(theirs.Call("DEBUG", "DIGEST-VALUE", "s"), ours.Call("DEBUG", "DIGEST-VALUE", "from-them"));
    }

    [Fact]
    public void StackExchangeRedisStreamApiWorks()
    {
        using var akka = ServerProcess.Start();
        using var redis = ConnectionMultiplexer.Connect($"127.0.0.1:{akka.Port}");
        var db = redis.GetDatabase();
        var id1 = db.StreamAdd("orders", [new NameValueEntry("item", "apple"), new NameValueEntry("qty", 3)]);
        var id2 = db.StreamAdd("orders", "item", "pear", maxLength: 10, useApproximateMaxLength: true);
        Assert.Equal(2, db.StreamLength("orders"));
        Assert.True(db.StreamCreateConsumerGroup("orders", "shipping", StreamPosition.Beginning));
        var delivered = db.StreamReadGroup("orders", "shipping", "worker-1", StreamPosition.NewMessages);
        Assert.Equal([id1, id2], delivered.Select(e => e.Id).ToArray());
        Assert.Equal("apple", delivered[0]["item"]);
        var pending = db.StreamPending("orders", "shipping");
        Assert.Equal(2, pending.PendingMessageCount);
        Assert.Equal("worker-1", pending.Consumers.Single().Name);
        Assert.Equal(1, db.StreamAcknowledge("orders", "shipping", id1));
        var claimed = db.StreamClaim("orders", "shipping", "worker-2", 0, [id2]);
        Assert.Equal(id2, claimed.Single().Id);
        var info = db.StreamInfo("orders");
        Assert.Equal(2, info.Length);
        Assert.Equal(1, info.ConsumerGroupCount);
        Assert.Equal(id1, info.FirstEntry.Id);
        var groups = db.StreamGroupInfo("orders");
        Assert.Equal(1, groups.Single().PendingMessageCount);
        Assert.Equal(2, db.StreamConsumerInfo("orders", "shipping").Length);
        Assert.Equal(1, db.StreamDelete("orders", [id1]));
        Assert.Equal(1, db.StreamTrim("orders", 0));
        Assert.Empty(db.StreamRange("orders"));
        var error = Assert.Throws<RedisServerException>(() => db.StreamReadGroup("orders", "missing", "c", ">"));
        Assert.Equal("NOGROUP No such key 'orders' or consumer group 'missing' in XREADGROUP with GROUP option", error.Message);
    }
}
