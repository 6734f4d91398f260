using System.Text;
using AkkaRedis.Keyspace.Acl;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Server;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>ACL rules: how SETUSER's rules parse, check commands, keys and channels, and read back (acl.c).</summary>
public sealed class AclRulesTests
{
    /// <summary>The keyspace's commands and the connection commands these tests name (their handlers live in the server).</summary>
    private static readonly CommandTable Table = new[] { "select", "hello", "publish", "psubscribe", "unsubscribe", "config|get", "config|set" }
        .Aggregate(KeyspaceCommands.Register(new CommandTable.Builder()), (builder, name) => builder.Add(name, CommandRoute.Session, null))
        .Build();

    private static AclRules Rules(params string[] ops)
    {
        var (rules, error) = AclRules.New(Table, allChannels: false).With(ops, false);
        Assert.Null(error);
        return rules!;
    }

    private static byte[][] Command(params string[] args) => args.Select(Encoding.UTF8.GetBytes).ToArray();

    private static AclDenial Check(AclRules rules, params string[] args)
    {
        var command = Command(args);
        var spec = Table.FindCommand(command)!;
        return rules.Check(spec, command, out _);
    }

    [Fact]
    public void EachCategoryReadsBackAsTheRuleThatMadeIt()
    {
        // acl.tcl "ACL GETUSER provides reasonable results": the best-fitting category is found again.
        foreach (var category in AclCategories.All)
        {
            Assert.Equal($"+@all -@{category}", Rules("reset", "+@all", $"-@{category}").Root.DescribeCommands());
            Assert.Equal($"-@all +@{category}", Rules("reset", "-@all", $"+@{category}").Root.DescribeCommands());
        }
        var mixed = Rules("+@all", "-@string", "+incr", "-debug", "+debug|digest").Root.DescribeCommands().Split(' ');
        Assert.Equal(["+@all", "-@string"], mixed[..2]);
        Assert.Contains("+incr", mixed);
        Assert.Equal("+debug|digest", mixed[Array.IndexOf(mixed, "-debug") + 1]);
    }

    [Fact]
    public void CommandsSubcommandsAndFirstArgumentsAreAllowedAsGiven()
    {
        var rules = Rules("on", "allkeys", "+get", "+config|get", "+select|0");
        Assert.Equal(AclDenial.None, Check(rules, "GET", "k"));
        Assert.Equal(AclDenial.Command, Check(rules, "SET", "k", "v"));
        Assert.Equal(AclDenial.None, Check(rules, "CONFIG", "GET", "hz"));
        Assert.Equal(AclDenial.Command, Check(rules, "CONFIG", "SET", "hz", "10"));
        Assert.Equal(AclDenial.None, Check(rules, "SELECT", "0"));
        Assert.Equal(AclDenial.Command, Check(rules, "SELECT", "1"));
        Assert.Contains("+select|0", rules.Root.DescribeCommands());
        // No-auth commands (AUTH, HELLO) run whatever the rules say.
        Assert.Equal(AclDenial.None, Check(Rules(), "HELLO", "3"));
    }

    [Fact]
    public void KeysAreCheckedByWhatTheCommandDoesToThem()
    {
        var rules = Rules("+@all", "%R~read*", "%W~write*", "~both*");
        Assert.Equal(AclDenial.None, Check(rules, "GET", "read1"));
        Assert.Equal(AclDenial.Key, Check(rules, "SET", "read1", "v"));
        Assert.Equal(AclDenial.None, Check(rules, "SET", "write1", "v")); // OW update: writing is enough
        Assert.Equal(AclDenial.Key, Check(rules, "SET", "write1", "v", "GET")); // ... unless GET reads it too
        Assert.Equal(AclDenial.Key, Check(rules, "GET", "write1"));
        Assert.Equal(AclDenial.None, Check(rules, "LMOVE", "both1", "write2", "LEFT", "RIGHT"));
        Assert.Equal(AclDenial.Key, Check(rules, "LMOVE", "write2", "both1", "LEFT", "RIGHT"));
        var command = Command("MSET", "both1", "v", "other", "v");
        Assert.Equal(AclDenial.Key, rules.Check(Table.Find("mset")!, command, out int position));
        Assert.Equal(3, position);
    }

    [Fact]
    public void ChannelsArePatternsAndSubscribedPatternsMustBeListedLiterally()
    {
        var rules = Rules("+@all", "resetchannels", "&news.*");
        Assert.Equal(AclDenial.None, Check(rules, "PUBLISH", "news.sport", "m"));
        Assert.Equal(AclDenial.Channel, Check(rules, "PUBLISH", "weather", "m"));
        Assert.Equal(AclDenial.None, Check(rules, "PSUBSCRIBE", "news.*"));
        Assert.Equal(AclDenial.Channel, Check(rules, "PSUBSCRIBE", "news.s*"));
        Assert.Equal(AclDenial.None, Check(rules, "UNSUBSCRIBE", "weather"));
    }

    [Fact]
    public void SelectorsAllowWhatAnyOfThemAllowsAndTheWorstRefusalIsReported()
    {
        var rules = Rules("+get", "~a*", "(+set ~b*)");
        Assert.Equal(AclDenial.None, Check(rules, "GET", "a1"));
        Assert.Equal(AclDenial.None, Check(rules, "SET", "b1", "v"));
        Assert.Equal(AclDenial.Key, Check(rules, "SET", "a1", "v")); // the key refusal beats the command refusal
        Assert.Equal(AclDenial.Command, Check(rules, "DEL", "a1"));
        Assert.Equal("off ~a* resetchannels -@all +get (~b* resetchannels -@all +set)", Rules("~a*", "+get", "(+set", "~b*)").Describe());
    }

    [Fact]
    public void ABadRuleChangesNothingAndSaysWhyInRedisWords()
    {
        var rules = Rules("on", ">secret");
        Assert.True(rules.Accepts("secret"u8.ToArray()));
        Assert.False(rules.Accepts("other"u8.ToArray()));
        (string[] Ops, string Error)[] cases =
        [
            (["+get", "+nosuch"], "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"),
            (["~*", "~a"], "Error in ACL SETUSER modifier '~a': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"),
            (["#abc"], "Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"),
            (["<nothere"], "Error in ACL SETUSER modifier '<nothere': The password you are trying to remove from the user does not exist"),
            (["+config|get|x"], "Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported"),
            (["%X~a"], "Error in ACL SETUSER modifier '%X~a': Syntax error"),
            (["+"], "Error in ACL SETUSER modifier '+': Unknown command or category name in ACL"),
            (["(+get \"\")"], "Error in ACL SETUSER modifier '(+get \"\")': Syntax error"),
            (["(~a", "+get"], "Unmatched parenthesis in acl selector starting at '(~a'."),
        ];
        foreach (var (ops, error) in cases) Assert.Equal((null, error), rules.With(ops, false));
        Assert.True(rules.Accepts("secret"u8.ToArray()));
    }
}
