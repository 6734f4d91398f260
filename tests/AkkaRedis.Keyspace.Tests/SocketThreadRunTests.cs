using System.Text;
using Akka.Actor;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Shards;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>Which shard messages leave a socket thread before they run: those that run a script, alone or queued in MULTI.</summary>
public class SocketThreadRunTests
{
    private static readonly CommandTable Table = KeyspaceCommands.Register(new CommandTable.Builder()).Build();

    private static ShardCommand Command(params string[] args)
    {
        var bytes = args.Select(a => Encoding.UTF8.GetBytes(a)).ToArray();
        var (spec, error) = Table.Resolve(bytes);
        Assert.Null(error);
        return new ShardCommand(spec!, bytes, 0, false, 1);
    }

    private static ShardBatch Batch(params ShardCommand[] commands) => new(commands, commands.Length, ActorRefs.Nobody);

    private static HeldCommand Held(ShardCommand command) => new(1, [ActorRefs.Nobody], [0], 0, command, ActorRefs.Nobody);

    private static ShardCommand Exec(params ShardCommand[] queued) =>
        Command("EXEC") with { Payload = new Transaction(queued.Select(q => new QueuedCommand(q.Spec, q.Args, null)).ToList(), null, null!) };

    [Fact]
    public void ScriptsFunctionsAndMigrateMayRunLongAndDataCommandsDoNot()
    {
        Assert.False(SocketThreadRun.MayRunLong(Batch(Command("GET", "k"), Command("SET", "k", "v"), Command("LPUSH", "l", "x"))));
        Assert.True(SocketThreadRun.MayRunLong(Batch(Command("GET", "k"), Command("EVALSHA", new string('a', 40), "0"))));
        Assert.True(SocketThreadRun.MayRunLong(Held(Command("EVAL", "while true do end", "0"))));
        Assert.True(SocketThreadRun.MayRunLong(Held(Command("FCALL_RO", "f", "0"))));
        Assert.True(SocketThreadRun.MayRunLong(Held(Exec(Command("INCR", "k"), Command("EVAL", "return 1", "0")))));
        Assert.False(SocketThreadRun.MayRunLong(Held(Exec(Command("INCR", "k"), Command("MSET", "a", "1", "b", "2")))));
        Assert.False(SocketThreadRun.MayRunLong(ExpireTick.Instance));
        // MIGRATE waits for its target, which may be a client of the same socket thread.
        Assert.True(SocketThreadRun.MayRunLong(Batch(Command("MIGRATE", "127.0.0.1", "6380", "k", "0", "1000"))));
    }

    [Fact]
    public void OnlyASocketThreadRunMustLeave()
    {
        var script = Held(Command("EVAL", "return 1", "0"));
        Assert.False(SocketThreadRun.MustLeave(script));
        Assert.True(SocketThreadRun.TryEnter(maxDepth: 6, maxRunsPerEvent: 8));
        try
        {
            Assert.True(SocketThreadRun.Active);
            Assert.True(SocketThreadRun.MustLeave(script));
            Assert.False(SocketThreadRun.MustLeave(Batch(Command("GET", "k"))));
        }
        finally
        {
            SocketThreadRun.Exit();
        }
        Assert.False(SocketThreadRun.Active);
    }

    [Fact]
    public void RunsAreBoundedInDepthAndPerSocketEvent()
    {
        // Depth: three nested runs, the fourth refused.
        for (int i = 0; i < 3; i++) Assert.True(SocketThreadRun.TryEnter(maxDepth: 3, maxRunsPerEvent: 10));
        Assert.False(SocketThreadRun.TryEnter(maxDepth: 3, maxRunsPerEvent: 10));
        for (int i = 0; i < 3; i++) SocketThreadRun.Exit();
        // Per event: one outer run whose inner runs come one after another (a fan-out), five in all.
        Assert.True(SocketThreadRun.TryEnter(maxDepth: 3, maxRunsPerEvent: 5));
        for (int i = 0; i < 4; i++)
        {
            Assert.True(SocketThreadRun.TryEnter(maxDepth: 3, maxRunsPerEvent: 5));
            SocketThreadRun.Exit();
        }
        Assert.False(SocketThreadRun.TryEnter(maxDepth: 3, maxRunsPerEvent: 5));
        SocketThreadRun.Exit();
        // The next socket event starts afresh.
        Assert.True(SocketThreadRun.TryEnter(maxDepth: 3, maxRunsPerEvent: 5));
        SocketThreadRun.Exit();
        Assert.False(SocketThreadRun.Active);
    }

    [Fact]
    public void WorkGivenMoreRunsHasThemForItsOwnRunsOnly()
    {
        // A round end's work (a journal write answering many connections) fans out further than a socket event may.
        SocketThreadRun.WithMoreRuns(3, () =>
        {
            Assert.True(SocketThreadRun.TryEnter(maxDepth: 3, maxRunsPerEvent: 2));
            for (int i = 0; i < 4; i++)
            {
                Assert.True(SocketThreadRun.TryEnter(maxDepth: 3, maxRunsPerEvent: 2));
                SocketThreadRun.Exit();
            }
            Assert.False(SocketThreadRun.TryEnter(maxDepth: 3, maxRunsPerEvent: 2));
            SocketThreadRun.Exit();
        });
        // Afterwards an event has its own allowance again.
        Assert.True(SocketThreadRun.TryEnter(maxDepth: 3, maxRunsPerEvent: 2));
        Assert.True(SocketThreadRun.TryEnter(maxDepth: 3, maxRunsPerEvent: 2));
        Assert.False(SocketThreadRun.TryEnter(maxDepth: 3, maxRunsPerEvent: 2));
        SocketThreadRun.Exit();
        SocketThreadRun.Exit();
        Assert.False(SocketThreadRun.Active);
    }
}
