using Akka.Actor;
using Akka.Configuration;
using AkkaRedis.Server.Network;

namespace AkkaRedis.Server.Tests;

/// <summary>The server's default dispatcher (hocon/dispatcher.conf): actors on the thread pool's local queues, or at once on a socket thread.</summary>
public sealed class LocalFirstExecutorTests
{
    private static Config ServerDispatcher() =>
        ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "dispatcher.conf")));

    [Fact]
    public void TheServerConfigurationNamesTheExecutor() =>
        Assert.Equal(typeof(LocalFirstExecutorConfigurator).FullName + ", akkaredis-server",
            ServerDispatcher().GetString("akka.actor.default-dispatcher.executor"));

    [Fact]
    public async Task ActorsExchangeMessagesInOrderOnThreadPoolThreads()
    {
        using var system = ActorSystem.Create("executor-test", ServerDispatcher());
        const int rounds = 20_000;
        var done = new TaskCompletionSource<(int Received, bool InOrder, bool OnPool)>();
        var echo = system.ActorOf(Props.Create(() => new Echo()));
        system.ActorOf(Props.Create(() => new Counter(echo, rounds, done)));
        var (received, inOrder, onPool) = await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(rounds, received);
        Assert.True(inOrder);
        Assert.True(onPool);
    }

    [Fact]
    public async Task AnActorMadeRunnableOnASocketThreadRunsThereAtOnceAndDeepChainsGoToThePool()
    {
        using var system = ActorSystem.Create("executor-inline-test", ServerDispatcher());
        const int chain = LocalFirstExecutorConfigurator.MaxDepth + 3;
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<int, (string? Thread, bool Active)>();
        var arrived = new CountdownEvent(chain);
        IActorRef next = ActorRefs.Nobody;
        for (int hop = chain - 1; hop >= 0; hop--)
            next = system.ActorOf(Props.Create(() => new Hop(hop, next, seen, arrived)));
        var first = next;
        // The first actor has started (it answers an Identify) and is idle before the measured message is sent.
        await first.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(10));
        await Task.Delay(100);
        bool ranBeforeTellReturned = false;
        var socketThread = new Thread(() =>
        {
            first.Tell("go");
            ranBeforeTellReturned = seen.ContainsKey(0);
        }) { Name = SocketThreads.ThreadName };
        socketThread.Start();
        socketThread.Join();
        Assert.True(arrived.Wait(TimeSpan.FromSeconds(10)));
        Assert.True(ranBeforeTellReturned);
        for (int hop = 0; hop < LocalFirstExecutorConfigurator.MaxDepth; hop++)
            Assert.Equal((SocketThreads.ThreadName, true), seen[hop]);
        for (int hop = LocalFirstExecutorConfigurator.MaxDepth; hop < chain; hop++)
            Assert.NotEqual(SocketThreads.ThreadName, seen[hop].Thread);

        // From any other thread, an actor is queued on the pool.
        seen.Clear();
        arrived.Reset(chain);
        var plainThread = new Thread(() => first.Tell("go")) { Name = "not a socket thread" };
        plainThread.Start();
        plainThread.Join();
        Assert.True(arrived.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal(chain, seen.Count);
        Assert.All(seen.Values, hop =>
        {
            Assert.NotEqual("not a socket thread", hop.Thread);
            Assert.False(hop.Active);
        });
    }

    /// <summary>Notes where it ran, then passes the message on.</summary>
    private sealed class Hop : ReceiveActor
    {
        public Hop(int index, IActorRef next, System.Collections.Concurrent.ConcurrentDictionary<int, (string?, bool)> seen, CountdownEvent arrived) =>
            Receive<string>(message =>
            {
                seen[index] = (Thread.CurrentThread.Name, Keyspace.Shards.SocketThreadRun.Active);
                arrived.Signal();
                if (!next.IsNobody()) next.Tell(message);
            });
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => Receive<int>(n => Sender.Tell(n));
    }

    /// <summary>Sends numbers in bursts of ten, as a pipelining connection does, and checks they come back in order.</summary>
    private sealed class Counter : ReceiveActor
    {
        private int _next, _received;
        private bool _inOrder = true, _onPool = true;

        public Counter(IActorRef echo, int rounds, TaskCompletionSource<(int, bool, bool)> done)
        {
            Receive<int>(n =>
            {
                _inOrder &= n == _received;
                _onPool &= Thread.CurrentThread.IsThreadPoolThread;
                _received++;
                if (_received == rounds) done.TrySetResult((_received, _inOrder, _onPool));
                else if (_received == _next) SendBurst(echo, rounds);
            });
            SendBurst(echo, rounds);
        }

        private void SendBurst(IActorRef echo, int rounds)
        {
            for (int i = 0; i < 10 && _next < rounds; i++) echo.Tell(_next++, Self);
        }
    }
}
