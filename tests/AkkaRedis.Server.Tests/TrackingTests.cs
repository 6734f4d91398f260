using System.Text.RegularExpressions;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// CLIENT TRACKING against redis-server: the same conversation on both, every reply and every invalidation compared
/// byte for byte (client ids, which differ between the two, replaced by names).
/// </summary>
public sealed class TrackingTests
{
    /// <summary>Nothing more arrives within this long: the next step may go (a push owed has long arrived by then).</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private sealed class Conversation(int port) : IDisposable
    {
        private readonly List<RespClient> _clients = [];
        private readonly Dictionary<string, string> _ids = [];
        public List<string> Log { get; } = [];

        public RespClient Open(string name)
        {
            var client = new RespClient(port);
            _clients.Add(client);
            _ids[name] = client.Call("CLIENT", "ID")!.ToString()!;
            return client;
        }

        public string Id(string name) => _ids[name];

        /// <summary>Client ids where replies carry them: a whole integer reply (GETREDIR), HELLO's id, after "redirect" and "tracking-redir-broken", redir=.</summary>
        private string Named(string raw) =>
            _ids.Aggregate(raw, (text, id) => Regex.Replace(text,
                $@"(?<=^:|\r\nid\r\n:|redirect\r\n:|tracking-redir-broken\r\n:|redir=){id.Value}(?=\r\n| |$)", "<" + id.Key + ">"));

        public void Call(RespClient client, params string[] args) =>
            Log.Add($"{string.Join(' ', args.Select((a, i) => i > 0 && args[i - 1] == "REDIRECT" && _ids.FirstOrDefault(id => id.Value == a).Key is { } name ? "<" + name + ">" : a))} -> {Named(client.CallRaw(args))}");

        /// <summary>Whatever arrives on its own (invalidations) until the connection is quiet.</summary>
        public void Pushes(RespClient client, string name)
        {
            while (client.ReadRawWithin(Quiet) is { } raw) Log.Add($"{name} gets {Named(raw)}");
            Log.Add($"{name} quiet");
        }

        public void Dispose()
        {
            foreach (var client in _clients) client.Dispose();
        }
    }

    private static List<string> Run(int port)
    {
        using var talk = new Conversation(port);
        var reader = talk.Open("reader");
        var writer = talk.Open("writer");
        var target = talk.Open("target");
        talk.Call(reader, "FLUSHALL");

        // Off: nothing is tracked; the errors, in Redis's order.
        talk.Call(reader, "CLIENT", "TRACKINGINFO");
        talk.Call(reader, "CLIENT", "GETREDIR");
        talk.Call(reader, "CLIENT", "CACHING", "yes");
        foreach (var args in new[]
                 {
                     new[] { "on", "PREFIX", "a" }, ["on", "BCAST", "OPTIN"], ["on", "OPTIN", "OPTOUT"], ["on", "REDIRECT", "999999"],
                     ["on", "REDIRECT", "x"], ["maybe"], ["on", "BCAST", "PREFIX", "ab", "PREFIX", "a"], ["on", "NOSUCH"], ["on", "REDIRECT"],
                     ["on", "REDIRECT", talk.Id("target"), "REDIRECT", talk.Id("target")],
                 })
            talk.Call(reader, ["CLIENT", "TRACKING", .. args]);

        // RESP2, redirected to a connection in pub/sub mode: keys read are invalidated one message each.
        talk.Call(target, "SUBSCRIBE", "__redis__:invalidate");
        talk.Call(reader, "CLIENT", "TRACKING", "on", "REDIRECT", talk.Id("target"));
        talk.Call(reader, "CLIENT", "TRACKINGINFO");
        talk.Call(reader, "CLIENT", "GETREDIR");
        talk.Call(reader, "MGET", "k1", "k2", "{k1}x");
        talk.Call(reader, "TYPE", "k3");
        talk.Call(writer, "MSET", "k1", "1", "{k1}x", "2");
        talk.Pushes(target, "target");
        talk.Call(writer, "DEL", "k2", "k3"); // they do not exist: nothing modified, nothing invalidated
        talk.Call(writer, "SET", "k3", "v");
        talk.Pushes(target, "target");
        talk.Call(writer, "SET", "k1", "again"); // invalidated once: no longer tracked
        talk.Pushes(target, "target");

        // OPTIN: only after CLIENT CACHING yes, for the next command; NOLOOP: not the reader's own writes.
        talk.Call(reader, "CLIENT", "TRACKING", "off");
        talk.Call(reader, "CLIENT", "TRACKING", "on", "REDIRECT", talk.Id("target"), "OPTIN", "NOLOOP");
        talk.Call(reader, "CLIENT", "CACHING", "no");
        talk.Call(reader, "CLIENT", "CACHING", "yes");
        talk.Call(reader, "CLIENT", "TRACKINGINFO");
        talk.Call(reader, "GET", "o1");
        talk.Call(reader, "GET", "o2");
        talk.Call(reader, "CLIENT", "TRACKINGINFO");
        talk.Call(reader, "CLIENT", "CACHING", "yes");
        talk.Call(reader, "MULTI");
        talk.Call(reader, "GET", "o3");
        talk.Call(reader, "EXEC");
        talk.Call(reader, "SET", "o1", "mine");
        talk.Call(writer, "MSET", "o2", "1", "o3", "1");
        talk.Pushes(target, "target");
        talk.Call(reader, "CLIENT", "TRACKING", "on", "OPTOUT");
        talk.Call(reader, "CLIENT", "TRACKING", "on", "BCAST");

        // BCAST with prefixes: a prefix's keys together, sorted, prefix by prefix; a flush as null.
        talk.Call(reader, "CLIENT", "TRACKING", "off");
        talk.Call(reader, "CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", talk.Id("target"), "PREFIX", "a:", "PREFIX", "b:");
        talk.Call(reader, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a:x");
        talk.Call(reader, "CLIENT", "TRACKINGINFO");
        talk.Call(writer, "MULTI");
        foreach (var key in new[] { "b:2{t}", "a:2{t}", "a:1{t}", "b:1{t}", "c:1{t}" }) talk.Call(writer, "INCR", key);
        talk.Call(writer, "EXEC");
        talk.Pushes(target, "target");
        talk.Call(writer, "FLUSHALL");
        talk.Pushes(target, "target");
        talk.Call(reader, "CLIENT", "TRACKING", "off");

        // RESP3 on the connection itself: invalidations are pushes, after the reply of the command that caused them.
        talk.Call(reader, "HELLO", "3", "SETNAME", "reader");
        talk.Call(reader, "CLIENT", "TRACKING", "on");
        talk.Call(reader, "GET", "q");
        talk.Call(reader, "SET", "q", "1");
        talk.Pushes(reader, "reader");
        talk.Call(reader, "GET", "q");
        talk.Call(writer, "SET", "q", "2");
        talk.Pushes(reader, "reader");
        talk.Call(reader, "MULTI");
        talk.Call(reader, "GET", "t1");
        talk.Call(reader, "SET", "t1", "v");
        talk.Call(reader, "EXEC");
        talk.Pushes(reader, "reader");
        talk.Call(reader, "EVAL", "return redis.call('get', KEYS[1])", "1", "s1");
        talk.Call(reader, "EVAL", "return redis.call('set', KEYS[1], 'x')", "1", "s2");
        talk.Call(writer, "MSET", "s1", "1", "s2", "1");
        talk.Pushes(reader, "reader");
        talk.Call(reader, "GET", "ex");
        talk.Call(writer, "SET", "ex", "1", "PX", "100");
        talk.Pushes(reader, "reader");
        talk.Call(reader, "FLUSHDB");
        talk.Pushes(reader, "reader");

        // BCAST without prefixes, NOLOOP: every key, but not the connection's own writes.
        talk.Call(reader, "CLIENT", "TRACKING", "off");
        talk.Call(reader, "CLIENT", "TRACKING", "on", "BCAST", "NOLOOP");
        talk.Call(reader, "SET", "zz", "1");
        talk.Call(reader, "MSET", "zz", "2", "yy", "3");
        talk.Call(writer, "SET", "zz", "4");
        talk.Pushes(reader, "reader");
        talk.Call(reader, "CLIENT", "TRACKINGINFO");

        // The connection redirected to goes: a RESP3 tracking connection is told, once its next invalidation is due.
        talk.Call(reader, "CLIENT", "TRACKING", "off");
        talk.Call(reader, "CLIENT", "TRACKING", "on", "REDIRECT", talk.Id("target"));
        talk.Call(reader, "GET", "gone");
        target.Dispose();
        // Once the server has closed it (CLIENT LIST no longer has it), as Redis has at once.
        for (int i = 0; i < 250 && ((string)writer.Call("CLIENT", "LIST")!).Contains($"id={talk.Id("target")} "); i++) Thread.Sleep(20);
        talk.Call(writer, "SET", "gone", "1");
        talk.Pushes(reader, "reader");
        talk.Call(reader, "CLIENT", "TRACKINGINFO");
        var list = (string)reader.Call("CLIENT", "INFO")!;
        talk.Log.Add(Regex.Match(list, "flags=[A-Za-z]+").Value + " " + Regex.Match(list, "redir=-?[0-9]+").Value.Replace(talk.Id("target"), "<target>"));
        return talk.Log;
    }

    /// <param name="appendOnly">With the AOF on, the journal's bookkeeping runs between a script and its tracking: a
    /// script that read was not tracked then (tracking.tcl, "Tracking only occurs for scripts ...").</param>
    [Theory]
    [InlineData("no")]
    [InlineData("yes")]
    public void InvalidationsGoWhereAndWhenRedisSendsThem(string appendOnly)
    {
        using var redis = new RedisServerProcess(appendOnly: false);
        using var akka = ServerProcess.Start("--appendonly", appendOnly, "--shards", "3");
        var expected = Run(redis.Port);
        var actual = Run(akka.Port);
        // The first step that differs, whole, with the step before it.
        for (int i = 0; i < Math.Min(expected.Count, actual.Count); i++)
            Assert.Equal((i > 0 ? expected[i - 1] : "") + "\n" + expected[i], (i > 0 ? actual[i - 1] : "") + "\n" + actual[i]);
        Assert.Equal(expected.Count, actual.Count);
    }

    [Fact]
    public void TrackingStatisticsAndTheTableLimit()
    {
        using var akka = ServerProcess.Start("--appendonly", "no", "--shards", "2");
        using var reader = new RespClient(akka.Port);
        using var writer = new RespClient(akka.Port);
        reader.Call("HELLO", "3");
        Assert.Equal("OK", reader.Call("CLIENT", "TRACKING", "on"));
        for (int i = 0; i < 10; i++) reader.Call("GET", "key:" + i);
        var stats = (string)writer.Call("INFO", "everything")!;
        Assert.Contains("tracking_clients:1\r\n", stats);
        Assert.Contains("tracking_total_keys:10\r\n", stats);
        Assert.Contains("tracking_total_items:10\r\n", stats);
        Assert.Contains("tracking_total_prefixes:0\r\n", stats);

        // Past tracking-table-max-keys, keys are forgotten and their readers told (each shard keeps its share: 2 of 4).
        Assert.Equal("OK", writer.Call("CONFIG", "SET", "tracking-table-max-keys", "4"));
        Assert.Equal(new List<object?> { "tracking-table-max-keys", "4" }, writer.Call("CONFIG", "GET", "tracking-table-max-keys"));
        reader.Call("GET", "key:10");
        int invalidated = 0;
        while (reader.ReadWithin(Quiet) is List<object?> push && (string)push[0]! == "invalidate") invalidated++;
        Assert.True(invalidated >= 7, $"{invalidated} keys invalidated to stay within the limit");
        Assert.Matches("tracking_total_keys:[0-4]\r\n", (string)writer.Call("INFO", "stats")!);

        Assert.Equal("OK", reader.Call("CLIENT", "TRACKING", "off"));
        Assert.Contains("tracking_clients:0\r\n", (string)writer.Call("INFO", "clients")!);
    }

    /// <summary>
    /// tracking.tcl's "evacuate enough keys": 250 keys read, then a limit of 1 leaves exactly one, so 249 invalidations,
    /// however many shards split the limit (before, each of 2 shards kept one: 248, and the test waited forever).
    /// </summary>
    /// <summary>
    /// tracking.tcl's "Regression test for #11715" sets the limit to 2 and reads two keys of one hash tag: both stay
    /// tracked, as in Redis's one table (each shard's share of the limit is only what it keeps while the whole is past it).
    /// </summary>
    [Fact]
    public void KeysOfOneShardKeepTheWholeLimit()
    {
        using var akka = ServerProcess.Start("--appendonly", "no", "--shards", "2");
        using var reader = new RespClient(akka.Port);
        using var writer = new RespClient(akka.Port);
        Assert.Equal("OK", writer.Call("CONFIG", "SET", "tracking-table-max-keys", "2"));
        reader.Call("HELLO", "3");
        Assert.Equal("OK", reader.Call("CLIENT", "TRACKING", "on"));
        Assert.Equal(new List<object?> { null, null }, reader.Call("MGET", "1{tag}", "2{tag}"));
        Assert.Equal("OK", reader.Call("MULTI")); // no invalidation comes first
        Assert.Null(reader.ReadWithin(Quiet));
        Assert.Contains("tracking_total_keys:2\r\n", (string)writer.Call("INFO", "stats")!);
        Assert.Equal("QUEUED", reader.Call("GET", "3{tag}"));
        Assert.Equal(new List<object?> { null }, reader.Call("EXEC"));
        // A third key puts the whole past the limit: one is forgotten.
        var push = Assert.IsType<List<object?>>(reader.ReadWithin(Quiet));
        Assert.Equal("invalidate", push[0]);
        Assert.Contains("tracking_total_keys:2\r\n", (string)writer.Call("INFO", "stats")!);
    }

    [Fact]
    public void ALimitOfOneKeepsOneKeyAcrossShards()
    {
        using var akka = ServerProcess.Start("--appendonly", "no", "--shards", "2");
        using var reader = new RespClient(akka.Port);
        using var writer = new RespClient(akka.Port);
        reader.Call("HELLO", "3");
        Assert.Equal("OK", reader.Call("CLIENT", "TRACKING", "on"));
        for (int i = 0; i < 250; i++) reader.Call("GET", "key" + i);
        Assert.Equal("OK", writer.Call("CONFIG", "SET", "tracking-table-max-keys", "1"));
        // Each shard applies the lowered limit on its timer, as serverCron does.
        int invalidated = 0;
        while (reader.ReadWithin(Quiet) is List<object?> push && (string)push[0]! == "invalidate") invalidated++;
        Assert.Equal(249, invalidated);
        Assert.Contains("tracking_total_keys:1\r\n", (string)writer.Call("INFO", "stats")!);
    }
}
