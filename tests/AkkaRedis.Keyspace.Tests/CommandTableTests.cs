using System.Text;
using AkkaRedis.Keyspace.Commands;

namespace AkkaRedis.Keyspace.Tests;

public class CommandTableTests
{
    private static readonly CommandTable Table = KeyspaceCommands.Register(new CommandTable.Builder()).Build();

    [Fact]
    public void EveryCommandIsFoundByItsNameInAnyCase()
    {
        int checkedNames = 0;
        foreach (var spec in Table.Commands)
        {
            var lower = Encoding.ASCII.GetBytes(spec.Name);
            var upper = Encoding.ASCII.GetBytes(spec.Name.ToUpperInvariant());
            var mixed = lower.Select((b, i) => i % 2 == 0 ? (byte)char.ToUpperInvariant((char)b) : b).ToArray();
            Assert.Same(spec, Table.Find(lower));
            Assert.Same(spec, Table.Find(upper));
            Assert.Same(spec, Table.Find(mixed));
            checkedNames++;
        }
        Assert.True(checkedNames > 100);
    }

    [Theory]
    [InlineData("")]
    [InlineData("gat")]          // GET's length and first and last letters: the same bucket
    [InlineData("ge")]
    [InlineData("gett")]
    [InlineData("config|get")]   // subcommands are not top-level names
    [InlineData("g\u00e9t")]
    public void NamesThatAreNotCommandsAreNotFound(string name) => Assert.Null(Table.Find(Encoding.UTF8.GetBytes(name)));
}
