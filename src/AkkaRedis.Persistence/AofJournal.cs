using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Journal;

namespace AkkaRedis.Persistence;

/// <summary>
/// The Akka.Persistence journal that is Redis's append-only file. Every shard's events (<see cref="AofBatch"/>,
/// RESP effects) go to one multi-part AOF in write order, as Redis has one AOF for its whole keyspace; the
/// files are what redis-server itself writes and loads. On recovery the AOF is read once and each unit goes
/// to the shard that now owns its keys (<see cref="IAofRouter"/>), in <see cref="AofChunk"/> events.
///
/// Sequence numbers: a shard's events are numbered by position among the units replayed to it, then onwards
/// for what it writes; the AOF itself stores none (it is Redis's format). Compaction is by rewrite
/// (<see cref="RewriteAof"/>), not by deleting messages, so DeleteMessagesTo is refused.
/// </summary>
public sealed class AofJournal : AsyncWriteJournal
{
    private readonly string _directory;
    private readonly string _fileName;
    private readonly string _fsync;
    private readonly AofLoadOptions _loadOptions;
    private readonly AofRuntime _runtime;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ConcurrentDictionary<string, long> _highest = new();
    private readonly ConcurrentDictionary<string, bool> _replayed = new();
    private readonly byte[][] _selects = new byte[64][];
    private Task<AofLoadResult>? _load;
    private AofWriter? _writer;
    private int _fileDb = -1;

    /// <summary>Writes waiting for the end of the round of socket events, in the order received.</summary>
    private readonly List<WriteMessages> _deferred = [];
    private readonly Action _writeDeferredSoon;

    /// <summary>Writes the writer task has fsynced (appendfsync always).</summary>
    private sealed record Durable(WriteMessages[] Writes);

    /// <summary>The end of the round: write what was deferred.</summary>
    private sealed class WriteDeferredNow
    {
        public static readonly WriteDeferredNow Instance = new();
    }

    public AofJournal(Config config)
    {
        _directory = Path.GetFullPath(Path.Combine(config.GetString("dir", "."), config.GetString("appenddirname", "appendonlydir")));
        _fileName = config.GetString("appendfilename", "appendonly.aof");
        _fsync = config.GetString("appendfsync", "everysec");
        _loadOptions = new AofLoadOptions(config.GetBoolean("aof-load-truncated", true), config.GetBoolean("aof-load-damaged", false));
        _runtime = AofRuntime.For(Context.System);
        var self = Self;
        _writeDeferredSoon = () => self.Tell(WriteDeferredNow.Instance);
    }

    private Task<AofLoadResult> EnsureLoaded() => _load ??= LoadAndOpen();

    private async Task<AofLoadResult> LoadAndOpen()
    {
        var router = _runtime.Router ?? throw new InvalidOperationException("The AOF journal has no router: the server sets AofRuntime.Router before starting shards");
        if (_runtime.Dormant) return new AofLoadResult(Enumerable.Range(0, router.ShardCount).Select(_ => new AofChunkBuilder()).ToArray(), 0, 0);
        var (manifest, result) = await (_runtime.Preload?.For(_directory, _fileName, _loadOptions, router.ShardCount)
                                        ?? Task.Run(() => AofPreload.Read(_directory, _fileName, router, _loadOptions, Console.WriteLine, _runtime.RdbPreamble))).ConfigureAwait(false);
        for (int shard = 0; shard < result.Units.Length; shard++)
            _highest[AofPersistenceIds.ForShard(shard)] = result.Units[shard];
        var status = _runtime.Status;
        status.CurrentSize = manifest.Files.Sum(f => File.Exists(Path.Combine(_directory, f.Name)) ? new FileInfo(Path.Combine(_directory, f.Name)).Length : 0);
        // As Redis after loading: growth for the automatic rewrite counts from the size loaded, not from the base.
        status.BaseSize = status.CurrentSize;
        _writer = OpenWriter(manifest);
        return result;
    }

    private AofWriter OpenWriter(AofManifest manifest)
    {
        var configured = _fsync;
        return new AofWriter(_directory, _fileName, manifest, _runtime.FsyncPolicy ?? (() => configured), _runtime.Status, message => _log.Warning(message));
    }

    protected override bool ReceivePluginInternal(object message)
    {
        switch (message)
        {
            case LoadAof:
                var sender = Sender;
                EnsureLoaded().ContinueWith(t => t.IsCompletedSuccessfully
                    ? (object)new AofLoaded(t.Result.Commands, t.Result.Bytes, t.Result.Units)
                    : new Status.Failure(t.Exception!.InnerException ?? t.Exception), TaskContinuationOptions.ExecuteSynchronously).PipeTo(sender);
                return true;
            case RewriteAof rewrite:
                // Everything appended so far stays in the old files; what is appended next goes to the new increment.
                _fileDb = -1;
                // Dormant until now (appendonly no at start): the AOF's files are opened (or made) for this rewrite.
                _writer ??= OpenWriter(AofWriter.OpenOrCreate(_directory, _fileName));
                _writer!.RewriteAsync(rewrite.BaseFile, rewrite.Rdb, rewrite.Wait).ContinueWith(
                    t => t.IsCompletedSuccessfully ? (object)t.Result : new Status.Failure(t.Exception!), TaskContinuationOptions.ExecuteSynchronously).PipeTo(Sender);
                return true;
            default:
                return false;
        }
    }

    protected override Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var writer = _writer ?? throw new InvalidOperationException("The AOF journal was written to before it was loaded");
        var pieces = new List<byte[]>();
        foreach (var write in messages)
        {
            foreach (var persistent in (IImmutableList<IPersistentRepresentation>)write.Payload)
            {
                if (persistent.Payload is not AofBatch batch)
                    throw new NotSupportedException($"The AOF journal stores AofBatch events only, not {persistent.Payload.GetType().Name}");
                AddPieces(batch, pieces);
                Counted(persistent.PersistenceId, batch);
            }
        }
        foreach (var piece in pieces) writer.Append(piece);
        return writer.CommitAsync().ContinueWith(_ => (IImmutableList<Exception>)null!, TaskContinuationOptions.ExecuteSynchronously);
    }

    /// <summary>
    /// A batch's bytes for the file: its RESP, after a SELECT where its database is not the one the file is in.
    /// <see cref="_fileDb"/> follows the pieces as they are added, in file order.
    /// </summary>
    private void AddPieces(AofBatch batch, List<byte[]> pieces)
    {
        if (batch.Units == 0) return;
        if (batch.FirstDb != _fileDb) pieces.Add(Select(batch.FirstDb));
        pieces.Add(batch.Resp);
        _fileDb = batch.LastDb;
    }

    private void Counted(string persistenceId, AofBatch batch)
    {
        if (batch.Units > 0) _highest.AddOrUpdate(persistenceId, batch.Units, (_, n) => n + batch.Units);
    }

    /// <summary>
    /// Under everysec and no, a write the writer can take at once (<see cref="AofWriter.TryWriteNow"/>) is written here
    /// and answered here, in the protocol's order (WriteMessagesSuccessful, then a WriteMessageSuccess per event). The
    /// base class would run it through its circuit breaker, a task continuation and its resequencer actor, two more
    /// messages per write; a shard has one write in flight at a time, so nothing needs resequencing. Anything else (and
    /// this when the writer declines) takes the base class's way.
    /// <para>
    /// On a socket thread such writes wait for the end of the round of socket events (<see cref="IAfterSocketEvents"/>)
    /// and go out together, as Redis writes its AOF buffer once per event loop round: at -P 1 every shard write would
    /// otherwise be one write(2) and one journal round trip per request. Under always the writer task fsyncs them
    /// meanwhile, and they are answered on the socket thread once it has (<see cref="Durable"/>). Any other message writes
    /// them first, so the file keeps the order the journal received writes in.
    /// </para>
    /// </summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        if (message is WriteMessages write && _writer is { } writer && OnlyAofBatches(write))
        {
            if (_deferred.Count > 0 || _runtime.AfterSocketEvents?.TryRunAfter(_writeDeferredSoon) == true)
            {
                _deferred.Add(write);
                return true;
            }
            // Under always off the socket thread, the writer task writes and fsyncs, gathering concurrent writes.
            return (!writer.WaitsForFsync && TryWriteNow([write])) || base.AroundReceive(receive, message);
        }
        WriteDeferred(receive);
        if (message is Durable durable) Answer(durable.Writes);
        return message is WriteDeferredNow or Durable || base.AroundReceive(receive, message);
    }

    /// <summary>
    /// Writes deferred to the end of the round: at once if the writer can take them, else each the base class's way.
    /// Under always they are written here and answered once the writer task's fsync has them (on the socket thread,
    /// through <see cref="IAfterSocketEvents.Post"/>), while this thread goes on serving requests.
    /// </summary>
    private void WriteDeferred(Receive receive)
    {
        if (_deferred.Count == 0) return;
        var writes = _deferred.ToArray();
        _deferred.Clear();
        if (_writer!.WaitsForFsync ? TryWriteBeforeCommit(writes) : TryWriteNow(writes)) return;
        foreach (var write in writes) base.AroundReceive(receive, write);
    }

    private bool TryWriteBeforeCommit(WriteMessages[] writes)
    {
        if (!TryWrite(writes, _writer!.TryWriteBeforeCommit)) return false;
        var (self, roundEnd) = (Self, _runtime.AfterSocketEvents!);
        _writer.CommitThen(() => roundEnd.Post(() => self.Tell(new Durable(writes))));
        return true;
    }

    private static bool OnlyAofBatches(WriteMessages write)
    {
        foreach (var envelope in write.Messages)
        {
            if (envelope is not AtomicWrite atomic) return false;
            foreach (var persistent in (IImmutableList<IPersistentRepresentation>)atomic.Payload)
                if (persistent.Payload is not AofBatch) return false;
        }
        return true;
    }

    /// <summary>Writes these (of AofBatch events only) with one write(2) and answers them, or writes nothing and is false.</summary>
    private bool TryWriteNow(WriteMessages[] writes)
    {
        if (!TryWrite(writes, _writer!.TryWriteNow)) return false;
        Answer(writes);
        return true;
    }

    /// <summary>Writes these (of AofBatch events only) as one piece with <paramref name="write"/>, or writes nothing and is false.</summary>
    private bool TryWrite(WriteMessages[] writes, Func<byte[], bool> write)
    {
        int fileDb = _fileDb;
        var pieces = PiecesOf(writes);
        var bytes = pieces.Count == 1 ? pieces[0] : pieces.SelectMany(piece => piece).ToArray();
        if (bytes.Length > 0 && !write(bytes))
        {
            _fileDb = fileDb; // nothing was written: the queued write starts from the file's database again
            return false;
        }
        CountWritten(writes);
        return true;
    }

    /// <summary>Tells the writers of these their events are in the journal, in the protocol's order.</summary>
    private void Answer(WriteMessages[] writes)
    {
        foreach (var write in writes)
        {
            write.PersistentActor.Tell(WriteMessagesSuccessful.Instance, Self);
            foreach (var envelope in write.Messages)
            {
                foreach (var persistent in (IImmutableList<IPersistentRepresentation>)((AtomicWrite)envelope).Payload)
                    write.PersistentActor.Tell(new WriteMessageSuccess(persistent, write.ActorInstanceId), persistent.Sender);
            }
        }
    }

    /// <summary>The file's bytes for these writes (of AofBatch events only), in order.</summary>
    private List<byte[]> PiecesOf(IReadOnlyCollection<WriteMessages> writes)
    {
        var pieces = new List<byte[]>(2 * writes.Count);
        foreach (var persistent in EventsOf(writes)) AddPieces((AofBatch)persistent.Payload, pieces);
        return pieces;
    }

    private void CountWritten(IReadOnlyCollection<WriteMessages> writes)
    {
        foreach (var persistent in EventsOf(writes)) Counted(persistent.PersistenceId, (AofBatch)persistent.Payload);
    }

    private static IEnumerable<IPersistentRepresentation> EventsOf(IEnumerable<WriteMessages> writes) =>
        writes.SelectMany(write => write.Messages).SelectMany(envelope => (IImmutableList<IPersistentRepresentation>)((AtomicWrite)envelope).Payload);

    private byte[] Select(int db)
    {
        if (db < _selects.Length && _selects[db] is { } cached) return cached;
        var digits = db.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var bytes = Encoding.ASCII.GetBytes($"*2\r\n$6\r\nSELECT\r\n${digits.Length}\r\n{digits}\r\n");
        if (db < _selects.Length) _selects[db] = bytes;
        return bytes;
    }

    public override async Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        Action<IPersistentRepresentation> recoveryCallback)
    {
        var loaded = await EnsureLoaded();
        int shard = AofPersistenceIds.ShardOf(persistenceId);
        // A shard's data outlives its actor (it lives in the keyspace), so the AOF is applied once per process:
        // a restarted shard actor replays nothing.
        if (shard >= loaded.Chunks.Length || !_replayed.TryAdd(persistenceId, true)) return;
        var chunks = loaded.Chunks[shard];
        loaded.Chunks[shard] = [];
        long end = 0, sent = 0;
        foreach (var chunk in chunks)
        {
            long start = end + 1;
            end += chunk.Units;
            if (end < fromSequenceNr) continue;
            if (start > toSequenceNr || sent >= max) break;
            long from = Math.Max(start, fromSequenceNr), to = Math.Min(Math.Min(end, toSequenceNr), from + (max - sent) - 1);
            if (from == start && to == end)
            {
                recoveryCallback(new Persistent(chunk, end, persistenceId));
                sent += chunk.Units;
                continue;
            }
            // Only part of this chunk was asked for: re-chunk those units.
            var part = new AofChunkBuilder();
            foreach (var unit in chunk.ReadUnits().Skip((int)(from - start)).Take((int)(to - from + 1))) part.Add(unit);
            foreach (var piece in part.Seal()) recoveryCallback(new Persistent(piece, to, persistenceId));
            sent += to - from + 1;
        }
    }

    public override async Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken)
    {
        await EnsureLoaded();
        return _highest.GetValueOrDefault(persistenceId);
    }

    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
        Task.FromException(new NotSupportedException("The AOF journal is compacted by BGREWRITEAOF, not by deleting messages"));

    protected override void PostStop()
    {
        // A clean stop (SHUTDOWN, SIGTERM) writes and fsyncs whatever is queued before the process exits.
        foreach (var piece in PiecesOf(_deferred)) _writer!.Append(piece);
        _deferred.Clear();
        _writer?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(30));
        base.PostStop();
    }
}
