namespace AkkaRedis.Persistence;

/// <summary>
/// Runs work once a socket thread has handled the socket events it is handling now, on that thread: what Redis's
/// beforeSleep is to its event loop. The journal uses it to write what one round of events changed with one write(2).
/// </summary>
public interface IAfterSocketEvents
{
    /// <summary>
    /// Queues <paramref name="action"/> to run on this thread after its current socket events; false, and nothing
    /// queued, when this thread is not one this can run work on (a pool thread, another socket thread).
    /// </summary>
    bool TryRunAfter(Action action);

    /// <summary>
    /// From any thread: runs <paramref name="action"/> on the socket thread that <see cref="TryRunAfter"/> queues work on,
    /// after its current round (the journal answers an fsync there, so the replies it releases are sent from there).
    /// </summary>
    void Post(Action action);
}
