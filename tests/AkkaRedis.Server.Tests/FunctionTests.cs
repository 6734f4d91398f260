
namespace AkkaRedis.Server.Tests;

/// <summary>FUNCTION and FCALL: the same requests against redis-server 7.0 and AkkaRedis; DUMP/RESTORE between them; libraries survive restarts.</summary>
public sealed class FunctionTests
{
    private const string Lib1 = "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return keys[1] end)";

    private static readonly string[][] Requests =
    [
        ["FUNCTION", "FLUSH"],
        ["FUNCTION", "LOAD", "return 1"],
        ["FUNCTION", "LOAD", "#!lua"],
        ["FUNCTION", "LOAD", "#!js name=x"],
        ["FUNCTION", "LOAD", "#!lua name=x foo=bar"],
        ["FUNCTION", "LOAD", "#!lua name=x-y"],
        // With the header line ended, each fault has its own words (functionExtractLibMetaData); the engine's name and
        // "name=" are read without regard to case.
        ["FUNCTION", "LOAD", "#!lua\nreturn 1"],
        ["FUNCTION", "LOAD", "#!js name=x\nreturn 1"],
        ["FUNCTION", "LOAD", "#!lua name=x foo=bar\nreturn 1"],
        ["FUNCTION", "LOAD", "#!lua name=a name=b\nreturn 1"],
        ["FUNCTION", "LOAD", "#!lua name=x-y\nreturn 1"],
        ["FUNCTION", "LOAD", "#!lua name=\nreturn 1"],
        ["FUNCTION", "LOAD", "#!LUA NAME=upper\nredis.register_function('fu', function() return 'up' end)"],
        ["FCALL", "fu", "0"],
        ["FCALL", "FU", "0"],
        ["FUNCTION", "FLUSH", "SYNC", "extra"],
        ["FUNCTION", "FLUSH", "sometimes"],
        ["FUNCTION", "RESTORE", "payload", "APPEND", "extra"],
        // redis.register_function's arguments, checked in Redis's order and words.
        ["FUNCTION", "LOAD", "#!lua name=reg\nredis.register_function('f1')"],
        ["FUNCTION", "LOAD", "#!lua name=reg\nredis.register_function{function_name='f1'}"],
        ["FUNCTION", "LOAD", "#!lua name=reg\nredis.register_function{callback=function() return 1 end}"],
        ["FUNCTION", "LOAD", "#!lua name=reg\nredis.register_function('f-1', function() return 1 end)"],
        ["FUNCTION", "LOAD", "#!lua name=reg\nredis.register_function{function_name=12, callback=function() return 'n' end}"],
        ["FCALL", "12", "0"],
        ["FUNCTION", "LOAD", "REPLACE", "#!lua name=reg\nredis.register_function{FUNCTION_NAME='x1', CallBack=function() return 'x' end}"],
        ["FCALL", "x1", "0"],
        // A library's code that loops is stopped after 500 ms, and the server goes on (functions.tcl's load timeout).
        ["FUNCTION", "LOAD", "#!lua name=loops\nlocal a = 1\nwhile 1 do a = a + 1 end"],
        ["PING"],
        ["FUNCTION", "LOAD", "foo", "bar", Lib1],
        ["FUNCTION", "LOAD", "replace", "REPLACE", "#!lua name=upper\nredis.register_function('fu', function() return 'again' end)"],
        ["FCALL", "Fu", "0"],
        ["FUNCTION", "LOAD", "#!lua name=clash\nredis.register_function('FU', function() return 1 end)"],
        ["FUNCTION", "DELETE", "UPPER"],
        ["FUNCTION", "DELETE", "upper"],
        ["FCALL", "fu", "0"],
        ["FUNCTION", "LOAD", Lib1],
        ["FUNCTION", "LOAD", Lib1],
        ["FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('f1', function(keys, args) return 1 end)"],
        ["FUNCTION", "LOAD", "#!lua name=empty\nlocal x = 1"],
        ["FUNCTION", "LOAD", "#!lua name=bad\nredis.register_function('f2', 5)"],
        ["FUNCTION", "LOAD", "#!lua name=bad2\nredis.call('set', 'a', 'b')"],
        ["FUNCTION", "LOAD", "#!lua name=bad3\nx("],
        ["FUNCTION", "LOAD", "#!lua name=flagbad\nredis.register_function{function_name='fb', callback=function() end, flags={'bogus'}}"],
        ["FCALL", "f1", "1", "hello"],
        ["FCALL", "nosuch", "0"],
        ["FCALL", "f1", "2", "one"],
        ["FCALL_RO", "f1", "1", "k"],
        ["FUNCTION", "LOAD", "#!lua name=ro\nredis.register_function{function_name='rof', callback=function(keys, args) return redis.call('set', keys[1], 'x') end, flags={'no-writes'}, description='desc'}"],
        ["FCALL", "rof", "1", "fn:zz"],
        ["FCALL_RO", "rof", "1", "fn:zz"],
        ["FUNCTION", "LIST", "LIBRARYNAME", "ro"],
        ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "m*"],
        ["FUNCTION", "LIST", "LIBRARYNAME", "nomatch"],
        ["FUNCTION", "STATS"],
        ["FUNCTION", "DELETE", "nosuch"],
        ["FUNCTION", "DELETE", "ro"],
        ["FUNCTION", "KILL"],
        ["FUNCTION", "LOAD", "#!lua name=err\nredis.register_function('boomf', function(keys, args) error('boom') end)"],
        ["FCALL", "boomf", "0"],
        ["FUNCTION", "LOAD", "REPLACE", "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return redis.call('incr', keys[1]) end)"],
        ["FCALL", "f1", "1", "fn:counter"],
        ["FCALL", "f1", "1", "fn:counter"],
        ["FUNCTION", "RESTORE", "bogus"],
        ["FUNCTION", "RESTORE", "bogus", "SOMETIMES"],
        // At load a library sees only redis, with register_function, log and the version (functions.tcl's LIBRARIES tests).
        ["FUNCTION", "LOAD", "REPLACE", "#!lua name=lib2\nreturn math.random()"],
        ["FUNCTION", "LOAD", "REPLACE", "#!lua name=lib2\nreturn redis.setresp(3)"],
        ["FUNCTION", "LOAD", "REPLACE", "#!lua name=lib2\nreturn redis.sha1hex('x')"],
        ["FUNCTION", "LOAD", "REPLACE", "#!lua name=lib2\nredis.log(redis.LOG_NOTICE, redis.REDIS_VERSION)\nredis.register_function('v', function() return 1 end)"],
        ["FUNCTION", "LOAD", "REPLACE",
            "#!lua name=lib1\nlocal lib = redis\nlib.register_function('m1', function() lib.redis = redis return {ok='OK'} end)\n" +
            "lib.register_function('m2', function() lib.register_function('m1', function() return 1 end) end)\n" +
            "lib.register_function('m3', function() return redis.register_function('m4', function() return 2 end) end)\n" +
            "lib.register_function('m5', function() return math.floor(2.5) end)"],
        ["FCALL", "m1", "0"],
        ["FCALL", "m2", "0"],
        ["FCALL", "m3", "0"],
        ["FCALL", "m5", "0"],
        ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.math.random()"],
        ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.redis.call('ping')"],
    ];

    [Fact]
    public void RepliesMatchRedisServer()
    {
        using var redis = new RedisServerProcess();
        using var server = ServerProcess.Start("--shards", "3", "--appendonly", "no");
        using var expected = new RespClient(redis.Port);
        using var actual = new RespClient(server.Port);
        foreach (var request in Requests)
            Assert.Equal(ScriptReplies.Render(request, expected.Call(request)), ScriptReplies.Render(request, actual.Call(request)));
    }

    [Fact]
    public void DumpAndRestoreMoveLibrariesBetweenRedisAndAkkaRedis()
    {
        using var redis = new RedisServerProcess();
        using var server = ServerProcess.Start("--appendonly", "no");
        using var fromRedis = new RespClient(redis.Port);
        using var akka = new RespClient(server.Port);
        var code = "#!lua name=lib1\nlocal function helper(x) return x * 2 end\n" +
                   "redis.register_function{function_name='double', callback=function(keys, args) return helper(tonumber(args[1])) end, flags={'no-writes'}}";
        Assert.Equal("lib1", fromRedis.Call("FUNCTION", "LOAD", code));
        var payload = (byte[])fromRedis.CallBinary("FUNCTION", "DUMP")!;
        Assert.Equal("OK", akka.CallBinary("FUNCTION", "RESTORE", payload));
        Assert.Equal(42L, akka.Call("FCALL_RO", "double", "0", "21"));
        Assert.Equal(fromRedis.CallBinary("FUNCTION", "RESTORE", payload), akka.CallBinary("FUNCTION", "RESTORE", payload)); // "Library lib1 already exists", unquoted (libraryJoin)

        var back = (byte[])akka.CallBinary("FUNCTION", "DUMP")!;
        fromRedis.Call("FUNCTION", "FLUSH");
        Assert.Equal("OK", fromRedis.CallBinary("FUNCTION", "RESTORE", back));
        Assert.Equal(10L, fromRedis.Call("FCALL", "double", "0", "5"));
    }

    [Fact]
    public void LibrariesSurviveARestartAndARewrite()
    {
        var directory = ServerProcess.NewDataDirectory();
        try
        {
            using (var server = ServerProcess.Start("--dir", directory))
            {
                using var client = new RespClient(server.Port);
                Assert.Equal("mylib", client.Call("FUNCTION", "LOAD", Lib1));
                Assert.Equal("keep", client.Call("FUNCTION", "LOAD", "#!lua name=keep\nredis.register_function('k', function(keys, args) return 'kept' end)"));
                Assert.Equal("OK", client.Call("FUNCTION", "DELETE", "mylib"));
                server.Kill();
            }
            using (var server = ServerProcess.Start("--dir", directory, "--shards", "3"))
            {
                using var client = new RespClient(server.Port);
                Assert.Equal("kept", client.Call("FCALL", "k", "0"));
                Assert.Equal(new RespClient.RespError("ERR Function not found"), client.Call("FCALL", "f1", "1", "x"));
                Assert.Equal("Background append only file rewriting started", client.Call("BGREWRITEAOF"));
                while (((string)client.Call("INFO", "persistence")!).Contains("aof_rewrite_in_progress:1")) Thread.Sleep(20);
                server.Kill();
            }
            using (var server = ServerProcess.Start("--dir", directory))
            {
                using var client = new RespClient(server.Port);
                Assert.Equal("kept", client.Call("FCALL", "k", "0"));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
