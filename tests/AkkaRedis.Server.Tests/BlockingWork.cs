namespace AkkaRedis.Server.Tests;

/// <summary>
/// Runs a loop of blocking socket calls on a thread of its own. On the shared thread pool such loops from tests
/// running in parallel can wait seconds for a thread on a 2-core machine, and a timed test then measures nothing.
/// </summary>
public static class BlockingWork
{
    public static Task Run(Action loop) =>
        Task.Factory.StartNew(loop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public static Task<T> Run<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
