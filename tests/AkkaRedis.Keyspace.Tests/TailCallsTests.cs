using KeraLua;
using AkkaRedis.Keyspace.Scripting;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>
/// A compiled chunk's tail calls made plain calls (so a script's error keeps its line, as in Redis): the chunk reads back
/// whole, returns what it returned before, and an error raised in a function it tail-called points at the script's line.
/// </summary>
public class TailCallsTests
{
    private static byte[] Dump(Lua lua, string code)
    {
        Assert.Equal(LuaStatus.OK, lua.LoadString(code, "@user_script"));
        lua.GetGlobal("string");
        lua.GetField(-1, "dump");
        lua.PushCopy(-3);
        Assert.Equal(LuaStatus.OK, lua.PCall(1, 1, 0));
        var dump = lua.ToBuffer(-1, false);
        lua.Pop(3);
        return dump;
    }

    /// <summary>Runs the patched chunk; its results joined, or the line its error was raised on as the handler finds it.</summary>
    private static string Run(string code)
    {
        using var lua = new Lua(openLibs: true);
        var patched = TailCalls.Untail(Dump(lua, code));
        Assert.False(lua.DoString("""
            function fail() error({}) end
            function where()
              for level = 2, 20 do
                local info = debug.getinfo(level, "Sl")
                if not info then break end
                if info.source == "@user_script" then return info.currentline end
              end
              return "?"
            end
            """));
        Assert.Equal(LuaStatus.OK, lua.LoadBuffer(patched, "@user_script", "b"));
        // xpcall(chunk, where): the handler runs where the error was raised, before the stack unwinds.
        lua.GetGlobal("xpcall");
        lua.Insert(-2);
        lua.GetGlobal("where");
        Assert.Equal(LuaStatus.OK, lua.PCall(2, -1, 0));
        var results = new List<string>();
        for (int i = 2; i <= lua.GetTop(); i++) results.Add(lua.ToString(i));
        return lua.ToBoolean(1) ? string.Join(",", results) : "error at " + results[0];
    }

    [Theory]
    [InlineData("return fail()", "error at 1")]
    [InlineData("local function f(k)\n  return fail(k, 'a')\nend\nreturn f(1)", "error at 2")]
    [InlineData("local x = 1\n\nreturn (function(...) return select('#', ...), ... end)(x, 2, 3)", "3,1,2,3")]
    [InlineData("local function count(n) if n == 0 then return 'done' end return count(n - 1) end\nreturn count(50)", "done")]
    [InlineData("local t = setmetatable({}, {__call = function(_, a) return a * 2 end})\nreturn t(21)", "42")]
    [InlineData("return", "")]
    public void TailCallsBecomePlainCallsThatReturnTheSame(string code, string expected) => Assert.Equal(expected, Run(code));

    [Fact]
    public void WhatIsNotALua54DumpIsLeftAsItIs()
    {
        byte[] notADump = [1, 2, 3];
        Assert.Same(notADump, TailCalls.Untail(notADump));
        using var lua = new Lua(openLibs: true);
        var cut = Dump(lua, "return fail()")[..40];
        Assert.Same(cut, TailCalls.Untail(cut));
    }
}
