namespace AkkaRedis.Keyspace.Shards;

/// <summary>
/// Marks the actor runs that happen on a .NET socket thread: the server's executor runs an actor made runnable there
/// at once, on that thread, instead of queuing it (see LocalFirstExecutorConfigurator). Such a thread serves every
/// connection of its socket engine, so what runs on it must not run long: a shard moves a script to a pool thread
/// (<see cref="MustLeave"/>).
/// </summary>
public static class SocketThreadRun
{
    [ThreadStatic] private static int t_depth;
    [ThreadStatic] private static int t_runsThisEvent;
    [ThreadStatic] private static int t_extraRuns;

    /// <summary>True inside an actor run on a socket thread.</summary>
    public static bool Active => t_depth > 0;

    /// <summary>
    /// Starts a run on this socket thread unless runs already nest <paramref name="maxDepth"/> deep or the socket event
    /// being handled (the outermost run and all it led to) has had <paramref name="maxRunsPerEvent"/> runs. False: queue
    /// the actor on the pool instead.
    /// </summary>
    public static bool TryEnter(int maxDepth, int maxRunsPerEvent)
    {
        if (t_depth == 0) t_runsThisEvent = -t_extraRuns;
        if (t_depth >= maxDepth || t_runsThisEvent >= maxRunsPerEvent) return false;
        t_depth++;
        t_runsThisEvent++;
        return true;
    }

    public static void Exit() => t_depth--;

    /// <summary>
    /// Runs <paramref name="action"/> (outside any actor run) with <paramref name="extraRuns"/> more runs allowed than a
    /// socket event gets: for work that answers many connections at once, whose runs would otherwise go to the pool.
    /// </summary>
    public static void WithMoreRuns(int extraRuns, Action action)
    {
        t_extraRuns = extraRuns;
        try
        {
            action();
        }
        finally
        {
            t_extraRuns = 0;
        }
    }

    /// <summary>
    /// True when <paramref name="message"/> holds a command that may run long (EVAL, FCALL, ... or MIGRATE, alone or in
    /// a transaction) and this is a socket thread. A script may loop until SCRIPT KILL, which a client of the same socket
    /// thread could then never send; Redis answers every other client BUSY meanwhile, which needs their threads free.
    /// MIGRATE waits for its target, which may be a client of this very thread.
    /// </summary>
    public static bool MustLeave(object message) => Active && MayRunLong(message);

    public static bool MayRunLong(object message) => message switch
    {
        ShardBatch batch => Any(batch.Commands.AsSpan(0, batch.Count)),
        HeldCommand held => MayRunLong(held.Command),
        _ => false,
    };

    private static bool Any(ReadOnlySpan<ShardCommand> commands)
    {
        foreach (ref readonly var command in commands)
            if (MayRunLong(command)) return true;
        return false;
    }

    private static bool MayRunLong(in ShardCommand command)
    {
        if (command.Spec.MayRunLong) return true;
        if (command.Payload is not Commands.Transaction transaction) return false;
        foreach (var queued in transaction.Commands)
            if (queued.Spec.MayRunLong) return true;
        return false;
    }
}
