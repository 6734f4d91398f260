using Akka.Configuration;
using Akka.Dispatch;
using AkkaRedis.Keyspace.Shards;

namespace AkkaRedis.Server.Network;

/// <summary>
/// The default dispatcher's executor: the .NET thread pool, as Akka's own, with two differences on the hot path.
/// <list type="bullet">
/// <item>An actor made runnable by a pool thread is queued on that thread's local queue (preferLocal), not the global
/// one: a request hops from the TCP connection actor to the stream to a shard and back, and each hop finds its data in
/// that core's cache. Measured at -P 1: 19.2 to 18.4 µs of server CPU per request.</item>
/// <item>With <c>inline-on-socket-threads</c> (and the socket engine running completions on its own threads, see
/// <see cref="SocketThreads"/>), an actor made runnable on a socket thread runs at once, on that thread: a read is
/// parsed, run on its shard and answered by the thread that saw the socket ready, as Redis's event loop does, with no
/// wake-up of a pool thread per hop. Measured GET -P 1: 12.8 to 8.8 µs of server CPU per request; -P 16: 0.92 to
/// 0.70 with one socket thread (io-threads). Nesting and fan-out are bounded (<see cref="MaxDepth"/>,
/// <see cref="MaxRunsPerEvent"/>); a shard moves scripts off the socket thread (<see cref="SocketThreadRun"/>).</item>
/// </list>
/// </summary>
public sealed class LocalFirstExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
    : ExecutorServiceConfigurator(config, prerequisites)
{
    /// <summary>Runs nested deeper than this (actor A's message made B runnable, B's made C...) are queued instead.</summary>
    public const int MaxDepth = 6;

    /// <summary>
    /// Runs one socket event may lead to on its thread; the rest are queued. A request takes three or four (connection,
    /// stream, shard; a second shard); a fan-out (PUBLISH to many subscribers, a push waking blocked clients) takes one
    /// per receiver, and those are better spread over the pool, where each subscriber's messages also gather into
    /// fewer writes: PUBLISH to 200 subscribers ran at 330 a second with every run on the socket thread, 2000 on the pool.
    /// </summary>
    public const int MaxRunsPerEvent = 8;

    public override ExecutorService Produce(string id) =>
        new LocalFirstExecutor(id, Config.GetBoolean("inline-on-socket-threads", false));

    private sealed class LocalFirstExecutor(string id, bool inlineOnSocketThreads) : ExecutorService(id)
    {
        public override void Execute(IRunnable run)
        {
            if (inlineOnSocketThreads && SocketThreads.IsCurrent && SocketThreadRun.TryEnter(MaxDepth, MaxRunsPerEvent))
            {
                try
                {
                    run.Run();
                }
                finally
                {
                    SocketThreadRun.Exit();
                }
                return;
            }
            ThreadPool.UnsafeQueueUserWorkItem(run, preferLocal: true);
        }

        public override void Shutdown()
        {
            // The thread pool is the process's: nothing to stop.
        }
    }
}
