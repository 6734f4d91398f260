using Akka.Actor;
using Akka.Configuration;
using AkkaRedis.Server.Network;

namespace AkkaRedis.Server.Tests;

/// <summary>The server's default dispatcher (hocon/dispatcher.conf): actors on the thread pool's local queues.</summary>
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
