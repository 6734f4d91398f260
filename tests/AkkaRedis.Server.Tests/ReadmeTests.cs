using System.Text.RegularExpressions;

namespace AkkaRedis.Server.Tests;

/// <summary>The README's supported-command table must say exactly what the command table serves.</summary>
public sealed partial class ReadmeTests
{
    [Fact]
    public void SupportedCommandTableMatchesTheCommandTable()
    {
        var readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md"));
        var section = Regex.Match(readme, "<!-- supported-commands:start -->(.*)<!-- supported-commands:end -->", RegexOptions.Singleline).Groups[1].Value;
        var documented = CommandName().Matches(section).Select(m => m.Groups[1].Value).ToHashSet();

        var (table, _) = RedisServer.BuildCommands();
        var served = new HashSet<string>();
        foreach (var spec in table.Commands)
        {
            if (spec.Facts.Group == "cluster") continue; // listed in the text: they answer "cluster support disabled"
            if (spec.Subcommands == null || spec.Handler != null || spec.Name == "command") served.Add(spec.Name.ToUpperInvariant());
            foreach (var sub in spec.Subcommands?.Values ?? Enumerable.Empty<Keyspace.Commands.CommandSpec>())
                served.Add(sub.Name.ToUpperInvariant().Replace('|', ' '));
        }
        Assert.Equal(served.Order(), documented.Order());
    }

    [GeneratedRegex("`([A-Z_]+(?: [A-Z_-]+)?)`")]
    private static partial Regex CommandName();
}
