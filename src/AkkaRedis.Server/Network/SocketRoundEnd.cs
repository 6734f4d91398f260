using System.Collections.Concurrent;
using System.Net.Sockets;
using AkkaRedis.Keyspace.Shards;
using AkkaRedis.Persistence;

namespace AkkaRedis.Server.Network;

/// <summary>
/// Runs work after the round of socket events a socket thread is handling, on that thread, as Redis's beforeSleep
/// runs before its event loop waits again. The .NET socket engine has no such hook, so this is a socket of its own:
/// work queued here rings it (one byte to a connected Unix socket), and the engine's next epoll_wait, which returns at
/// once, reports it among that round's events; its completion runs the work on the engine thread (inline completions).
/// <para>
/// Why: at -P 1 with the AOF, each request was its own journal write (one write(2) and one journal round trip per
/// SET); with the journal's writes deferred here, a round's writes from every connection go out as one.
/// </para>
/// Only the engine thread that sees this socket's events can queue work (<see cref="TryRunAfter"/> is false
/// elsewhere): with io-threads above 1 the other engine threads write at once, as before.
/// </summary>
public sealed class SocketRoundEnd : IAfterSocketEvents, IDisposable
{
    /// <summary>
    /// Runs one piece of queued work may lead to on the socket thread, beyond a socket event's own allowance: a journal
    /// write answers every connection that wrote in the round, two runs each (its stream and its TCP actor).
    /// </summary>
    private const int RunsPerWork = 1024;

    private static readonly byte[] Ring = [1];

    private readonly Socket _bell;
    private readonly Socket _ear;
    private readonly SocketAsyncEventArgs _heard = new();
    private List<Action> _queued = [];
    private List<Action> _running = [];
    private readonly ConcurrentQueue<Action> _posted = new();
    private Thread? _thread;
    private bool _rung;

    /// <summary>1 while the bell has rung for posted work and not been heard yet (posts come from any thread).</summary>
    private int _rungForPosts;
    private volatile bool _disposed;

    private SocketRoundEnd(Socket bell, Socket ear)
    {
        _bell = bell;
        _ear = ear;
        _heard.SetBuffer(new byte[64], 0, 64);
        _heard.Completed += (_, args) => Heard(args);
    }

    /// <summary>
    /// Opens the socket pair and learns which thread hears it; null when that is not a socket engine thread running
    /// completions itself (inline completions off), where nothing can run after a round.
    /// </summary>
    public static async Task<SocketRoundEnd?> Start()
    {
        var address = new UnixDomainSocketEndPoint("\0akkaredis-round-end-" + Guid.NewGuid().ToString("N"));
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(address);
        listener.Listen(1);
        var bell = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await bell.ConnectAsync(address);
        var ear = await listener.AcceptAsync();
        var roundEnd = new SocketRoundEnd(bell, ear);
        var first = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        roundEnd._queued.Add(() => first.TrySetResult(SocketThreads.IsCurrent));
        roundEnd._rung = true;
        roundEnd.Listen();
        bell.Send(Ring);
        if (await first.Task.WaitAsync(TimeSpan.FromSeconds(10))) return roundEnd;
        roundEnd.Dispose();
        return null;
    }

    public bool TryRunAfter(Action action)
    {
        if (Thread.CurrentThread != _thread) return false;
        _queued.Add(action);
        if (!_rung)
        {
            _rung = true;
            _bell.Send(Ring);
        }
        return true;
    }

    public void Post(Action action)
    {
        _posted.Enqueue(action);
        if (Interlocked.Exchange(ref _rungForPosts, 1) == 0) _bell.Send(Ring);
    }

    private void Listen()
    {
        try
        {
            // False: it completed at once (the bell rang again meanwhile): handle it here, then listen again.
            while (!_ear.ReceiveAsync(_heard)) Heard(_heard, listenAgain: false);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void Heard(SocketAsyncEventArgs args, bool listenAgain = true)
    {
        if (_disposed || args.SocketError != SocketError.Success || args.BytesTransferred == 0) return;
        // The first ring learns the thread (Start checks it is a socket engine's); work is queued from it alone.
        if (_thread == null && SocketThreads.IsCurrent) _thread = Thread.CurrentThread;
        _rung = false;
        Volatile.Write(ref _rungForPosts, 0); // before taking posts: one posted after this rings again
        (_queued, _running) = (_running, _queued);
        foreach (var action in _running) SocketThreadRun.WithMoreRuns(RunsPerWork, action);
        _running.Clear();
        while (_posted.TryDequeue(out var posted)) SocketThreadRun.WithMoreRuns(RunsPerWork, posted);
        if (listenAgain) Listen();
    }

    public void Dispose()
    {
        _disposed = true;
        _thread = null;
        _bell.Dispose();
        _ear.Dispose();
    }
}
