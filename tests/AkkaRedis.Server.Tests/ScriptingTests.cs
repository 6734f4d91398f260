using StackExchange.Redis;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// Lua scripting: the same scripts against redis-server 7.0 and AkkaRedis give the same replies; StackExchange.Redis's
/// scripting API works; scripts are atomic across shards, survive a crash as their effects, and can be killed.
/// </summary>
public sealed class ScriptingTests(SharedServer server) : IClassFixture<SharedServer>
{
    private readonly int _port = server.Port;

    private static readonly string[][] Scripts =
    [
        ["EVAL", "x = 5", "0"],
        ["EVAL", "return y", "0"],
        ["EVAL", "return redis.call('nosuch')", "0"],
        ["EVAL", "return redis.call('get')", "0"],
        ["EVAL", "redis.call('set', KEYS[1], '1') return redis.call('lpush', KEYS[1], 'x')", "1", "sc:a"],
        ["EVAL", "return redis.pcall('lpush', KEYS[1], 'x')", "1", "sc:a"],
        // Lua's type errors in Lua 5.1's words, as Redis's interpreter gives them.
        ["EVAL", "return redis.nope()", "0"],
        ["EVAL", "local t = nil; return t.x", "0"],
        ["EVAL", "local a; return a .. 'x'", "0"],
        ["EVAL", "local a = {}; return a:nomethod()", "0"],
        ["EVAL", "return #nil", "0"],
        ["EVAL", "error('boom')", "0"],
        ["EVAL", "error('boom', 0)", "0"],
        ["EVAL", "error({err='MY custom'})", "0"],
        ["EVAL", "return {1, 2, {3, 'x'}, nil, 5}", "0"],
        ["EVAL", "return 3.99", "0"],
        ["EVAL", "return -2.5", "0"],
        ["EVAL", "return {ok='fine'}", "0"],
        ["EVAL", "return redis.error_reply('bad thing')", "0"],
        ["EVAL", "return redis.status_reply('DONE')", "0"],
        ["EVAL", "return x(", "0"],
        ["EVAL", "return redis.call('eval', 'return 1', 0)", "0"],
        ["EVAL", "return redis.call('select', '1')", "0"],
        ["EVAL", "redis.call('set', KEYS[1], 1.5) return redis.call('get', KEYS[1])", "1", "sc:f"],
        ["EVAL", "redis.call('set', KEYS[1], 10/2) return redis.call('get', KEYS[1])", "1", "sc:f"],
        ["EVAL", "return redis.call('set', 'k', {})", "0"],
        ["EVAL", "return os", "0"],
        ["EVAL", "return loadfile", "0"],
        ["EVAL", "return type(unpack)", "0"],
        ["EVAL", "return cjson.encode({1, 2, 'x', {true, false}})", "0"],
        ["EVAL", "return cjson.decode('[1,2,{\"a\":\"b\"}]')[3].a", "0"],
        ["EVAL", "return tostring(10/2)", "0"],
        ["EVAL", "return redis.sha1hex('')", "0"],
        ["EVAL", "return true", "0"],
        ["EVAL", "return false", "0"],
        ["EVALSHA", "0000000000000000000000000000000000000000", "0"],
        ["EVAL_RO", "return redis.call('set', 'z', '1')", "0"],
        ["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "sc:a"],
        ["EVAL", "return redis.call('blpop', 'nolist', 0)", "0"],
        ["EVAL", "return {KEYS[1], KEYS[2], ARGV[1], #ARGV}", "2", "k1", "k2", "a1", "a2", "a3"],
        ["EVAL", "return redis.call('incrby', KEYS[1], ARGV[1])", "1", "sc:counter", "5"],
        ["SCRIPT", "LOAD", "return 'loaded'"],
        ["EVALSHA", "e9e80c77bd8f5cd62bc4b1fc4d0ea8238cd7d9a7", "0"],
        ["SCRIPT", "EXISTS", "e9e80c77bd8f5cd62bc4b1fc4d0ea8238cd7d9a7", "ffffffffffffffffffffffffffffffffffffffff"],
        ["EVAL", "return bit.band(0xff, 0x0f)", "0"],
        ["EVAL", "return bit.tohex(65535)", "0"],
        ["EVAL", "return bit.bnot(0)", "0"],
        ["EVAL", "return bit.bor(1, 2, 4)", "0"],
        ["EVAL", "return bit.lshift(1, 31)", "0"],
        ["EVAL", "return struct.unpack('>I2', struct.pack('>I2', 258))", "0"],
        ["EVAL", "return table.getn({1, 2, 3})", "0"],
        ["EVAL", "return redis.call('hgetall', 'sc:nohash')", "0"],
        ["EVAL", "redis.call('del', KEYS[1]) redis.call('rpush', KEYS[1], 'a', 'b') return redis.call('lrange', KEYS[1], 0, -1)", "1", "sc:l"],
        ["EVAL", "return redis.call('get', 'sc:missing')", "0"],
        ["EVAL", "return 10", "1"],
        ["EVAL", "return 1", "-1"],
        ["EVAL", "return 1", "x"],
        ["EVAL", "return redis.call('ping')", "0"],
        ["EVAL", "return math.floor(7/2)", "0"],
        ["EVAL", "string.foo = 1", "0"],
        ["EVAL", "redis.call = 1", "0"],
        ["EVAL", "return _G.KEYS[1]", "1", "kk"],
        ["EVAL", "local t = {} for i = 1, 3 do t[i] = i * i end return t", "0"],
        ["EVAL", "return redis.call('hset', KEYS[1], 'f', 'v', 'g', 'w')", "1", "sc:h"],
        ["EVAL", "local r = redis.call('hgetall', KEYS[1]) table.sort(r) return r", "1", "sc:h"],
        ["EVAL", "return loadstring('return 1 + 1')()", "0"],
        ["EVAL", "return redis.log(redis.LOG_NOTICE, 'hello')", "0"],
        ["EVAL", "return redis.log(99, 'x')", "0"],
        ["SCRIPT", "FLUSH", "BOGUS"],
        ["EVAL", "return cmsgpack.pack({1, 2, 3})", "0"],
        ["EVAL", "return cmsgpack.pack(-1, 127, 128, 255, 256, 65536, -33, -129, -32769, 5.0, 0.5, string.rep('x', 40), {a=1})", "0"],
        ["EVAL", "local t = cmsgpack.unpack(cmsgpack.pack({1, 2, {a='b'}, 'x', true, false, -5, 300, 70000, -40000, 3.5, 1.25e300})) " +
                 "return {t[1], t[2], t[3].a, t[4], tostring(t[5]), tostring(t[6]), t[7], t[8], t[9], t[10], tostring(t[11]), tostring(t[12])}", "0"],
        ["EVAL", "return {cmsgpack.unpack(cmsgpack.pack(1, 'two', 3))}", "0"],
        ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 0)}", "0"],
        ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 0)}", "0"],
        ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}", "0"],
        // Errors keep the line of the script that raised them, also through a function it returns the result of.
        ["EVAL", "redis.call('set', KEYS[1], 'x')\nreturn redis.call('lpush', KEYS[1], 'a')", "1", "sc:s"],
        ["EVAL", "local function push(k)\n  return redis.call('lpush', k, 'a')\nend\nreturn push(KEYS[1])", "1", "sc:s"],
        ["EVAL", "\n\nreturn redis.call('nosuchcommand')", "0"],
        ["EVAL", "local r = redis.log(99, 'x') return r", "0"],
        ["EVAL", "return redis.setresp(4)", "0"],
        ["EVAL", "return redis.status_reply(1)", "0"],
        ["EVAL", "return redis.error_reply({})", "0"],
        ["EVAL", "return cjson.encode({1, {a = 0/0}})", "0"],
        ["EVAL", "return cjson.encode({[{}] = 1})", "0"],
        ["EVAL", "return cjson.decode(12)", "0"],
        ["EVAL", "return cjson.decode()", "0"],
        ["EVAL", "return cjson.decode('{\"a\" 1}')", "0"],
        ["EVAL", "return cjson.decode('[1,}')", "0"],
        ["EVAL", "return cjson.decode('{\"a\\\\q\":1}')", "0"],
        ["EVAL", "return cjson.decode('[\"abc')", "0"],
        ["EVAL", "return cmsgpack.pack()", "0"],
        ["EVAL", "return cmsgpack.unpack(1)", "0"],
        ["EVAL", "return bit.tohex({})", "0"],
        ["EVAL", "return bit.lshift(1)", "0"],
        ["EVAL", "return {bit.band('3', 5), bit.bor(1, 2, 4), bit.arshift(-256, 4), bit.rol(1, 33), bit.tohex(255, -4)}", "0"],
        ["EVAL", "return struct.pack('i', {})", "0"],
        ["EVAL", "return struct.pack('q', 1)", "0"],
        ["EVAL", "return struct.unpack('i', 'ab')", "0"],
        ["EVAL", "return {struct.unpack('>iH', struct.pack('>iH', -5, 7))}", "0"],
        // Shebangs (Redis 7): the engine and flags a script declares, and what they allow.
        ["EVAL", "#!lua\n return 1", "0"],
        ["EVAL", "#!lua\n\n error('x')", "0"],
        ["EVAL", "#!lua flags=no-writes\n return redis.call('set', KEYS[1], '1')", "1", "sc:shebang"],
        ["EVAL", "#!lua flags=no-writes,allow-oom,allow-stale\n return redis.call('get', KEYS[1])", "1", "sc:shebang"],
        ["EVAL", "#!lua flags=\n return 3", "0"],
        ["EVAL", "#!lua\n return redis.call('set', KEYS[1], '2')", "1", "sc:shebang"],
        ["EVAL", "#!foo\n return 1", "0"],
        ["EVAL", "#!lua", "0"],
        ["EVAL", "#!lua flags=bad\n return 1", "0"],
        ["EVAL", "#!lua x=1\n return 1", "0"],
        ["EVAL_RO", "#!lua\n return 1", "0"],
        ["EVAL_RO", "#!lua flags=no-writes\n return redis.call('get', KEYS[1])", "1", "sc:shebang"],
        ["SCRIPT", "LOAD", "#!lua flags=nope\n return 1"],
        ["EVAL_RO", "return redis.call('publish', 'ch', 'msg')", "0"],
        ["EVAL", "#!lua flags=no-writes\n return redis.call('publish', 'ch', 'msg')", "0"],
        ["EVAL", "return redis.call('publish', 'ch', 'msg')", "0"],
        // sdssplitargs reads a shebang: quoted parts, and unbalanced quotes.
        ["EVAL", "#!lua flags=\"no-writes\"\n return redis.call('set', KEYS[1], '1')", "1", "sc:shebang"],
        ["EVAL", "#!lua flags=\"no-writes\n return 1", "0"],
        ["FUNCTION", "LOAD", "REPLACE", "#!lua name=\"quoted_lib\"\n redis.register_function('quoted_f', function() return 7 end)"],
        ["FUNCTION", "LOAD", "REPLACE", "#!lua name='unbalanced\n redis.register_function('u_f', function() return 7 end)"],
        // lua_cjson's settings: each answers what is in force, limits depth and precision, and says how to treat NaN,
        // Inf and sparse arrays; each script puts the defaults back.
        ["EVAL", "return {cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision(), tostring(cjson.encode_invalid_numbers()), tostring(cjson.decode_invalid_numbers()), tostring(cjson.encode_keep_buffer())}", "0"],
        ["EVAL", "cjson.encode_max_depth(2) local ok, e = pcall(cjson.encode, {{{1}}}) cjson.encode_max_depth(1000) return {tostring(ok), e, cjson.encode({{1}})}", "0"],
        ["EVAL", "cjson.decode_max_depth(2) local ok, e = pcall(cjson.decode, '[[[1]]]') cjson.decode_max_depth(1000) return {tostring(ok), e}", "0"],
        ["EVAL", "cjson.encode_invalid_numbers(true) local a = cjson.encode({1/0, -1/0}) cjson.encode_invalid_numbers('null') local b = cjson.encode({1/0}) cjson.encode_invalid_numbers(false) return {a, b, tostring(pcall(cjson.encode, {1/0}))}", "0"],
        ["EVAL", "cjson.encode_number_precision(3) local a = cjson.encode({3.14159, 1234567}) cjson.encode_number_precision(14) return a", "0"],
        ["EVAL", "local before = cjson.encode_sparse_array(true) local a = cjson.encode({[20]=2}) cjson.encode_sparse_array(false) return {a, tostring(pcall(cjson.encode, {[20]=2})), tostring(before)}", "0"],
        ["EVAL", "local t = cjson.decode('[nan, inf, -Infinity, 0x10, 5]') return {tostring(t[1] ~= t[1]), tostring(t[2]), tostring(t[3]), t[4], t[5]}", "0"],
        ["EVAL", "return {pcall(cjson.encode_max_depth, 0)}", "0"],
        ["EVAL", "return {pcall(cjson.encode_invalid_numbers, 'maybe')}", "0"],
        ["EVAL", "return {pcall(cjson.encode_max_depth, 1, 2)}", "0"],
        // RESP3 values in a script's reply: maps and sets as arrays to a RESP2 caller, big numbers and verbatim strings as bulk.
        ["EVAL", "redis.setresp(3) redis.call('hset', KEYS[1], 'f', 'v') return redis.call('hgetall', KEYS[1])", "1", "sc:map"],
        ["EVAL", "return {big_number='1234567890123456789012345'}", "0"],
        ["EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0"],
        ["EVAL", "return {set={only=true}}", "0"],
        // The sandbox: globals and libraries are read-only tables, to assignment, rawset and setmetatable alike (a rawset
        // global used to outlive its script); Redis 7.0 has no print, rawlen or warn, and has gcinfo.
        ["EVAL", "rawset(_G, 'sc_leak', 1) return 1", "0"],
        ["EVAL", "return sc_leak", "0"],
        ["EVAL", "rawset(redis, 'x', 1) return 1", "0"],
        ["EVAL", "setmetatable(_G, {})", "0"],
        ["EVAL", "setmetatable(string, {})", "0"],
        ["EVAL", "local g = getmetatable(_G) g.__index = {}", "0"],
        ["EVAL", "return {type(getmetatable(_G)), type(getmetatable(redis)), type(rawget(_G, 'redis')), type(getmetatable(setmetatable({}, {})))}", "0"],
        ["EVAL", "string.x = 1", "0"],
        ["EVAL", "print('x')", "0"],
        ["EVAL", "return rawlen({1})", "0"],
        ["EVAL", "return gcinfo() > 0", "0"],
        // A RESP3 script's false is a boolean (:0 to a RESP2 caller); a RESP2 script's is nil.
        ["EVAL", "redis.setresp(3) return false", "0"],
        ["EVAL", "return false", "0"],
    ];

    /// <summary>The same scripts' replies to a RESP3 caller, byte for byte: maps, sets, big numbers, verbatim strings, doubles.</summary>
    [Fact]
    public void Resp3RepliesOfScriptsMatchRedisServer()
    {
        using var redis = new RedisServerProcess();
        using var expected = new RespClient(redis.Port);
        using var actual = new RespClient(_port);
        string[][] scripts =
        [
            ["EVAL", "redis.setresp(3) redis.call('del', KEYS[1]) redis.call('hset', KEYS[1], 'f', 'v') return redis.call('hgetall', KEYS[1])", "1", "sc:map3"],
            ["EVAL", "return {big_number='1234567890123456789012345'}", "0"],
            ["EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0"],
            ["EVAL", "return {set={only=true}}", "0"],
            ["EVAL", "return {map={k={1, 2}}}", "0"],
            ["EVAL", "return {double=1.5}", "0"],
            ["EVAL", "redis.setresp(3) redis.call('del', KEYS[1]) redis.call('zadd', KEYS[1], 2.5, 'm') return redis.call('zscore', KEYS[1], 'm')", "1", "sc:z3"],
        ];
        expected.Call("HELLO", "3");
        actual.Call("HELLO", "3");
        foreach (var script in scripts)
        {
            var want = expected.CallRaw(script);
            Assert.Equal(want, actual.CallRaw(script));
        }
    }

    [Fact]
    public void InfoMemoryCountsCachedScriptsAndScriptFlushEmptiesTheCache()
    {
        using var c = new RespClient(_port);
        // The class's tests share the server and its cache: count from what this one adds.
        Assert.Equal("OK", c.Call("SCRIPT", "FLUSH", "ASYNC"));
        for (int j = 0; j < 10; j++) c.Call("SCRIPT", "LOAD", $"return 'cached {j}'");
        Assert.Equal(1L, c.Call("EVAL", "return 1", "0"));
        Assert.Contains("number_of_cached_scripts:11", (string)c.Call("INFO", "memory")!);
        Assert.Equal("OK", c.Call("SCRIPT", "FLUSH", "SYNC"));
        Assert.Contains("number_of_cached_scripts:0", (string)c.Call("INFO", "memory")!);
    }

    /// <summary>
    /// A table that contains itself is answered level by level until Lua's stack runs out, then "reached lua stack limit";
    /// the server lives on. Before, the nested reply wrote past the Lua stack and the process crashed (scripting.tcl).
    /// </summary>
    [Fact]
    public void ASelfReferencingReplyEndsInAnErrorNotACrash()
    {
        using var c = new RespClient(_port);
        var reply = c.Call("EVAL", "local a = {}; local b = {a}; a[1] = b; return a", "0");
        int levels = 0;
        for (; reply is List<object?> { Count: 1 } nested; levels++) reply = nested[0];
        Assert.Equal("ERR reached lua stack limit", Assert.IsType<RespClient.RespError>(reply).Message);
        Assert.True(levels > 100, $"{levels} levels");
        Assert.Equal("PONG", c.Call("PING"));
        Assert.Equal(7999L, c.Call("EVAL", "local a = {} for i=1,7999 do a[i] = 1 end return redis.call('rpush', KEYS[1], unpack(a))", "1", "sc:unpack"));
    }

    [Fact]
    public void RepliesMatchRedisServer()
    {
        using var redis = new RedisServerProcess();
        using var expected = new RespClient(redis.Port);
        using var actual = new RespClient(_port);
        foreach (var script in Scripts)
            Assert.Equal(ScriptReplies.Render(script, expected.Call(script)), ScriptReplies.Render(script, actual.Call(script)));
    }

    [Fact]
    public async Task StackExchangeRedisScriptingWorks()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_port}");
        var db = redis.GetDatabase();
        var result = await db.ScriptEvaluateAsync("redis.call('set', KEYS[1], ARGV[1]) return redis.call('incrby', KEYS[1], ARGV[2])",
            ["se:script"], ["40", "2"]);
        Assert.Equal(42, (long)result);

        var prepared = LuaScript.Prepare("return redis.call('get', @key)");
        Assert.Equal("42", (string?)await db.ScriptEvaluateAsync(prepared, new { key = (RedisKey)"se:script" }));

        var sha = await redis.GetServer($"127.0.0.1:{_port}").ScriptLoadAsync("return ARGV[1] .. ARGV[2]");
        Assert.Equal("ab", (string?)await db.ScriptEvaluateAsync(sha, values: ["a", "b"]));
        await Assert.ThrowsAsync<RedisServerException>(() => db.ScriptEvaluateAsync("return redis.call('lpush', KEYS[1], 'x')", ["se:script"]));
    }

    [Fact]
    public async Task ScriptsMovingAmountsBetweenShardsNeverShowAPartialTotal()
    {
        const int accounts = 8, initial = 1000;
        using (var setup = new RespClient(_port))
            for (int i = 0; i < accounts; i++) setup.Call("SET", $"acct:{i}", initial.ToString());
        const string transfer = "local a = tonumber(redis.call('get', KEYS[1])) if a < tonumber(ARGV[1]) then return 0 end " +
                                "redis.call('decrby', KEYS[1], ARGV[1]) redis.call('incrby', KEYS[2], ARGV[1]) return 1";
        const string total = "local s = 0 for i = 1, #KEYS do s = s + tonumber(redis.call('get', KEYS[i])) end return s";
        var keys = Enumerable.Range(0, accounts).Select(i => $"acct:{i}").ToArray();
        var violations = 0;
        var movers = Enumerable.Range(0, 3).Select(w => BlockingWork.Run(() =>
        {
            using var client = new RespClient(_port);
            var random = new Random(w);
            for (int n = 0; n < 500; n++)
            {
                int from = random.Next(accounts), to = (from + 1 + random.Next(accounts - 1)) % accounts;
                client.Call("EVAL", transfer, "2", keys[from], keys[to], random.Next(1, 50).ToString());
            }
        })).ToArray();
        var reader = BlockingWork.Run(() =>
        {
            using var client = new RespClient(_port);
            for (int n = 0; n < 500; n++)
                if ((long)client.Call(["EVAL", total, accounts.ToString(), .. keys])! != accounts * initial) Interlocked.Increment(ref violations);
        });
        await Task.WhenAll([.. movers, reader]).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(0, violations);
        using var check = new RespClient(_port);
        Assert.Equal((long)accounts * initial, check.Call(["EVAL", total, accounts.ToString(), .. keys]));
    }

    private static readonly RespClient.RespError BusyError =
        new("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.");

    /// <summary>Runs a script that loops until SCRIPT KILL, on a connection of its own; the task checks it was killed.</summary>
    private Task LoopUntilKilled(params string[] keys) => LoopUntilKilled("local i = 0 while true do i = i + 1 end", keys);

    private Task LoopUntilKilled(string body, string[] keys) => BlockingWork.Run(() =>
    {
        using var client = new RespClient(_port);
        var reply = client.Call(["EVAL", body, .. keys]);
        Assert.StartsWith("ERR Script killed by user with SCRIPT KILL...", ((RespClient.RespError)reply!).Message);
    });

    /// <summary>
    /// PINGs until the answer is an error (BUSY once the script passed the threshold). PING is answered by the connection
    /// itself, so polling with it never waits behind the script (a GET sent to a held shard before the threshold would).
    /// </summary>
    private static async Task<object?> PollUntilBusy(RespClient admin)
    {
        object? busy = null;
        for (int i = 0; i < 100 && busy is not RespClient.RespError; i++)
        {
            await Task.Delay(50);
            busy = admin.Call("PING");
        }
        return busy;
    }

    /// <summary>
    /// Redis's functions.tcl: a looping function makes others BUSY naming FUNCTION KILL, FUNCTION STATS shows it without
    /// waiting behind it, SCRIPT KILL does not stop it (nor FUNCTION KILL a script), and FUNCTION KILL does.
    /// </summary>
    [Fact]
    public async Task FunctionKillStopsALoopingFunctionAndFunctionStatsShowsIt()
    {
        using var admin = new RespClient(_port);
        admin.Call("CONFIG", "SET", "busy-reply-threshold", "200");
        try
        {
            admin.Call("FUNCTION", "LOAD", "REPLACE", "#!lua name=sc_loop\nredis.register_function('sc_loop', function() local a = 1 while true do a = a + 1 end end)");
            var looping = BlockingWork.Run(() =>
            {
                using var client = new RespClient(_port);
                var reply = client.Call("FCALL", "sc_loop", "0");
                Assert.StartsWith("ERR Script killed by user with SCRIPT KILL... script: sc_loop, on @user_function:2.", ((RespClient.RespError)reply!).Message);
            });
            var functionBusy = new RespClient.RespError("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.");
            Assert.Equal(functionBusy, await PollUntilBusy(admin));
            var stats = (List<object?>)admin.Call("FUNCTION", "STATS")!;
            var running = (List<object?>)stats[1]!;
            Assert.Equal(new List<object?> { "name", "sc_loop", "command", new List<object?> { "FCALL", "sc_loop", "0" }, "duration_ms" }, running[..5]);
            Assert.Equal(functionBusy, admin.Call("SCRIPT", "KILL"));
            Assert.Equal("OK", admin.Call("FUNCTION", "KILL"));
            await looping.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Null(((List<object?>)admin.Call("FUNCTION", "STATS")!)[1]);

            var script = LoopUntilKilled("0");
            await PollUntilBusy(admin);
            Assert.Equal(BusyError, admin.Call("FUNCTION", "KILL"));
            Assert.Equal("OK", admin.Call("SCRIPT", "KILL"));
            await script.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            admin.Call("CONFIG", "SET", "busy-reply-threshold", "5000");
            admin.Call("FUNCTION", "DELETE", "sc_loop");
        }
    }

    /// <summary>
    /// scripting.tcl's "SHUTDOWN NOSAVE can kill a timedout script anyway": while a script runs past its limit SHUTDOWN
    /// answers BUSY, and SHUTDOWN NOSAVE stops the server without waiting for the script.
    /// </summary>
    [Fact]
    public async Task ShutdownNosaveStopsTheServerDuringAScriptThatWritesAndLoops()
    {
        using var server = ServerProcess.Start("--busy-reply-threshold", "100");
        using var admin = new RespClient(server.Port);
        _ = BlockingWork.Run(() =>
        {
            using var client = new RespClient(server.Port);
            try
            {
                client.Call("EVAL", "redis.call('set', 'x', 'y') while true do end", "0");
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                // The server went away under it: that is the point.
            }
        });
        Assert.Equal(BusyError, await PollUntilBusy(admin));
        Assert.Equal(BusyError, admin.Call("SHUTDOWN"));
        admin.SendRaw(RespClient.Encode("SHUTDOWN", "NOSAVE"));
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(10)), "the server kept running behind its script");
    }

    [Fact]
    public async Task ALongScriptMakesOthersBusyAndScriptKillStopsIt()
    {
        using var admin = new RespClient(_port);
        admin.Call("CONFIG", "SET", "busy-reply-threshold", "200");
        try
        {
            Assert.Equal(new RespClient.RespError("NOTBUSY No scripts in execution right now."), admin.Call("SCRIPT", "KILL"));
            using var subscriber = new RespClient(_port);
            subscriber.Call("SUBSCRIBE", "sc:channel");
            var looping = LoopUntilKilled("0");
            var busyError = BusyError;
            Assert.Equal(busyError, await PollUntilBusy(admin));
            Assert.Equal(busyError, admin.Call("GET", "anything"));
            // processCommand judges the pub/sub context (RESP2) before a busy script.
            Assert.Equal(new RespClient.RespError("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"),
                subscriber.Call("GET", "anything"));
            // In a transaction, a command refused as BUSY dooms it, and an EXEC refused as BUSY ends it (multi.tcl).
            using var transacting = new RespClient(_port);
            Assert.Equal("OK", transacting.Call("MULTI"));
            Assert.Equal(busyError, transacting.Call("INCR", "sc:busy"));
            Assert.Equal(new RespClient.RespError("EXECABORT Transaction discarded because of: " + busyError.Message), transacting.Call("EXEC"));
            Assert.Equal("OK", admin.Call("SCRIPT", "KILL"));
            await looping.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("asdf", transacting.Call("PING", "asdf")); // no longer in MULTI: PING is not queued
            Assert.Null(transacting.Call("GET", "sc:busy"));
            Assert.Null(admin.Call("GET", "anything"));

            var writing = BlockingWork.Run(() =>
            {
                using var client = new RespClient(_port);
                // Runs 1 to 2 s (to the second clock tick after it started): always past the 200 ms threshold.
                client.Call("EVAL", "redis.call('set', 'sc:wrote', '1') local t = redis.call('time') while tonumber(redis.call('time')[1]) < t[1] + 2 do end return 1", "0");
            });
            // SCRIPT KILL answers NOTBUSY until the script has started, then UNKILLABLE once it has written.
            object? unkillable = null;
            for (int i = 0; i < 100; i++)
            {
                await Task.Delay(50);
                unkillable = admin.Call("SCRIPT", "KILL");
                if (unkillable is RespClient.RespError { Message: var text } && text.StartsWith("UNKILLABLE")) break;
            }
            Assert.StartsWith("UNKILLABLE Sorry the script already executed write commands", ((RespClient.RespError)unkillable!).Message);
            await writing.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            admin.Call("CONFIG", "SET", "busy-reply-threshold", "5000");
        }
    }

    /// <summary>
    /// min-replicas-to-write with no replicas (this server never has any): writes answer NOREPLICAS, inside scripts
    /// too, and a script declaring flags without no-writes is refused before it runs, as scripting.tcl expects.
    /// </summary>
    [Fact]
    public void MinReplicasToWriteRefusesWritesAsRedisServerDoes()
    {
        using var redis = new RedisServerProcess();
        using var expected = new RespClient(redis.Port);
        using var actual = new RespClient(_port);
        string[][] commands =
        [
            ["SET", "sc:rep", "v"], ["CONFIG", "SET", "min-slaves-to-write", "1"], ["CONFIG", "GET", "min-replicas-to-write"],
            ["SET", "sc:rep", "w"], ["GET", "sc:rep"], ["EVAL", "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", "1", "sc:rep"],
            ["EVAL", "return redis.call('get', KEYS[1])", "1", "sc:rep"], ["EVAL", "#!lua\nreturn redis.call('get', KEYS[1])", "1", "sc:rep"],
            ["EVAL", "return redis.call('set', KEYS[1], 'x')", "1", "sc:rep"], ["CONFIG", "SET", "min-replicas-max-lag", "0"],
            ["SET", "sc:rep", "y"], ["CONFIG", "SET", "min-replicas-max-lag", "10"], ["CONFIG", "SET", "min-replicas-to-write", "0"],
            ["SET", "sc:rep", "z"],
        ];
        foreach (var command in commands)
            Assert.Equal(ScriptReplies.Render(command, expected.Call(command)), ScriptReplies.Render(command, actual.Call(command)));
    }

    /// <summary>scripting.tcl: the kill is raised again at every line, so a script catching it with pcall still ends.</summary>
    [Fact]
    public async Task AScriptCatchingTheKillWithPcallIsStoppedAllTheSame()
    {
        using var admin = new RespClient(_port);
        admin.Call("CONFIG", "SET", "busy-reply-threshold", "100");
        try
        {
            var looping = LoopUntilKilled("local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end", ["0"]);
            Assert.Equal(BusyError, await PollUntilBusy(admin));
            Assert.Equal("OK", admin.Call("SCRIPT", "KILL"));
            await looping.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("PONG", admin.Call("PING"));
        }
        finally
        {
            admin.Call("CONFIG", "SET", "busy-reply-threshold", "5000");
        }
    }

    /// <summary>A RESP3 reply's attribute is skipped to the reply it annotates, and booleans keep the script's protocol.</summary>
    [Fact]
    public void AttributesAndBooleansInCallRepliesMatchRedisServer()
    {
        using var redis = new RedisServerProcess(extraArgs: "--enable-debug-command yes");
        using var expected = new RespClient(redis.Port);
        using var actual = new RespClient(_port);
        foreach (var client in new[] { expected, actual }) Assert.Equal("OK", client.Call("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"));
        try
        {
            foreach (var proto in new[] { "2", "3" })
            {
                expected.Call("HELLO", proto);
                actual.Call("HELLO", proto);
                foreach (var body in new[] { "attrib", "true", "false", "null" })
                foreach (var resp in new[] { "2", "3" })
                {
                    string[] script = ["EVAL", $"redis.setresp({resp}) return redis.call('debug', 'protocol', '{body}')", "0"];
                    Assert.Equal(expected.CallRaw(script), actual.CallRaw(script));
                }
            }
        }
        finally
        {
            foreach (var client in new[] { expected, actual }) client.Call("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0");
        }
    }

    [Fact]
    public async Task EveryClientHearsBusyWhileAScriptLoopsAndAnyOfThemCanKillIt()
    {
        // Socket threads run the shards' work, each for the connections of its socket engine; a script must still
        // leave every one of them free (connections spread over the engines in turn, so 16 reach all of them here).
        using var admin = new RespClient(_port);
        admin.Call("CONFIG", "SET", "busy-reply-threshold", "100");
        var clients = Enumerable.Range(0, 16).Select(_ => new RespClient(_port)).ToList();
        try
        {
            foreach (var client in clients) Assert.Equal("PONG", client.Call("PING"));
            var looping = LoopUntilKilled("1", "sc:loop");
            Assert.Equal(BusyError, await PollUntilBusy(admin));
            var answers = await Task.WhenAll(clients.Select(client => BlockingWork.Run(() => client.Call("GET", "sc:loop"))))
                .WaitAsync(TimeSpan.FromSeconds(10));
            Assert.All(answers, answer => Assert.Equal(BusyError, answer));
            Assert.Equal("OK", clients[^1].Call("SCRIPT", "KILL"));
            await looping.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.All(clients, client => Assert.Equal("PONG", client.Call("PING")));
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
            admin.Call("CONFIG", "SET", "busy-reply-threshold", "5000");
        }
    }

    [Fact]
    public void PipelinedScriptsAndCommandsAnswerInOrderWithTheirEffectsInOrder()
    {
        using var client = new RespClient(_port);
        client.Call("DEL", "pipe:a", "pipe:b");
        const string incrBoth = "redis.call('incr', KEYS[1]) return redis.call('incr', KEYS[2])";
        var request = new List<byte>();
        for (int i = 0; i < 100; i++)
        {
            // Scripts back to back (they may overtake nothing), then a single-shard read that must see them.
            request.AddRange(RespClient.Encode("EVAL", incrBoth, "2", "pipe:a", "pipe:b"));
            request.AddRange(RespClient.Encode("EVAL", incrBoth, "2", "pipe:b", "pipe:a"));
            request.AddRange(RespClient.Encode("GET", "pipe:a"));
            request.AddRange(RespClient.Encode("INCR", "pipe:b"));
        }
        client.SendRaw(request.ToArray());
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(3L * i + 1, client.Read());
            Assert.Equal(2L * i + 2, client.Read());
            Assert.Equal((2 * i + 2).ToString(), client.Read());
            Assert.Equal(3L * i + 3, client.Read());
        }
    }
}
