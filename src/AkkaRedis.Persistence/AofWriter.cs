using System.Text;
using System.Threading.Channels;

namespace AkkaRedis.Persistence;

/// <summary>
/// Appends to the AOF on a writer task of its own, with group commit: everything queued while the previous
/// write (and fsync) ran goes out as one write(2) and, for appendfsync always, one fsync. A commit completes
/// once its bytes are in the kernel (everysec, no) or on disk (always), so an acknowledged write survives
/// kill -9 under every policy and a power cut under always.
///
/// A failed write is kept and retried every second; meanwhile <see cref="AofStatus.WriteError"/> is set,
/// so new writes are refused (MISCONF) while reads go on, and everything resumes when the disk does.
/// A rewrite switches to a new increment in order with the writes, then writes the new base beside them.
///
/// Under everysec and no, the journal writes on its own thread when nothing is queued (<see cref="TryWriteNow"/>),
/// as Redis writes its AOF buffer from its event loop: the file then has one owner at a time, the journal while the
/// queue is empty, the writer task while it is not. The writer task still fsyncs once a second, on the file's handle.
/// </summary>
public sealed class AofWriter : IAsyncDisposable
{
    private abstract record Item;
    private sealed record Bytes(byte[] Data) : Item;
    /// <summary>Done once everything before it is written (and fsynced, for always): a task, or a callback on the writer's thread.</summary>
    private sealed record Commit(TaskCompletionSource? Done, Action? Durable = null) : Item;
    private sealed record StartRewrite(string BaseFile, bool Rdb, Action? Wait, TaskCompletionSource<string> Done) : Item;
    private sealed record FinishRewrite(AofFileInfo NewBase, long BaseSize, TaskCompletionSource<string> Done) : Item;

    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly string _directory;
    private readonly string _manifestPath;
    private readonly string _fileName;
    private readonly Func<string> _fsync;
    private readonly AofStatus _status;
    private readonly Action<string> _log;
    private readonly Task _loop;
    private AofManifest _manifest;
    private FileStream _file;
    private long _fileLength;
    private long _lastFsyncMs;
    private volatile bool _unsynced;

    /// <summary>Items queued and not yet done: while there are any, the writer task owns the file.</summary>
    private int _queued;

    /// <summary>Of those, the items that write to the file (all but commits): while there are any, nobody else writes.</summary>
    private int _queuedWrites;

    /// <summary>Set while the writer task fsyncs: a write(2) then could wait behind it, so writes queue instead.</summary>
    private volatile bool _fsyncing;

    private readonly Action<Microsoft.Win32.SafeHandles.SafeFileHandle> _flushToDisk;
    private List<AofFileInfo>? _replaced;

    private readonly Func<string, FileStream> _open;

    /// <param name="open">Opens an AOF file for appending (tests pass one whose writes fail, as a full disk's do).</param>
    /// <param name="fsync">The appendfsync policy, read for every group (it may change while the writer runs).</param>
    /// <param name="flushToDisk">fsync(2) of a file's handle (tests count them).</param>
    public AofWriter(string directory, string fileName, AofManifest manifest, Func<string> fsync, AofStatus status, Action<string> log,
        Func<string, FileStream>? open = null, Action<Microsoft.Win32.SafeHandles.SafeFileHandle>? flushToDisk = null)
    {
        _open = open ?? AofFiles.OpenAppend;
        _flushToDisk = flushToDisk ?? RandomAccess.FlushToDisk;
        _directory = directory;
        _fileName = fileName;
        _manifestPath = Path.Combine(directory, fileName + ".manifest");
        _manifest = manifest;
        _fsync = fsync;
        _status = status;
        _log = log;
        _file = _open(Path.Combine(directory, manifest.LastIncrement.Name));
        _fileLength = _file.Length;
        _lastFsyncMs = Environment.TickCount64;
        _loop = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Queues bytes to append; called from one thread (the journal) so their order is the file's order.</summary>
    public void Append(byte[] data) => Enqueue(new Bytes(data));

    /// <summary>Completes when everything appended before it is written (and fsynced, for always).</summary>
    public Task CommitAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new Commit(done));
        return done.Task;
    }

    /// <summary>True under appendfsync always: a write is answered only once fsynced, by the writer task.</summary>
    public bool WaitsForFsync => _fsync() == "always";

    /// <summary>
    /// Writes <paramref name="data"/> at once, on the calling thread (the journal's, the one that appends), when the
    /// policy does not wait for an fsync (everysec, no), nothing is queued, no fsync is running and the disk took the
    /// last write; false when it did not write, and the caller queues the bytes instead. Once this returns true the
    /// bytes are in the kernel, as a commit's would be. At -P 1 the queue cost each request a wake-up of the writer
    /// task and of a pool thread for its reply (0.8 context switches a request); redis-server writes from its loop too.
    /// </summary>
    public bool TryWriteNow(byte[] data) =>
        Volatile.Read(ref _queued) == 0 && !_fsyncing && !WaitsForFsync && WriteNow(data);

    /// <summary>
    /// Under always: writes <paramref name="data"/> at once, on the calling thread, to be made durable by a
    /// <see cref="CommitThen"/> that the caller queues next; false when it did not write (bytes are queued, or the disk
    /// failed), and the caller queues the bytes instead. Unlike <see cref="TryWriteNow"/> it writes while the writer task
    /// fsyncs: a commit queued after this write fsyncs after it, so the fsync runs beside the next requests, as group
    /// commit wants, instead of the caller's thread waiting for it as redis-server's event loop does.
    /// </summary>
    public bool TryWriteBeforeCommit(byte[] data) => Volatile.Read(ref _queuedWrites) == 0 && WriteNow(data);

    /// <summary>Queues a commit whose <paramref name="durable"/> runs on the writer's thread once everything written before it is fsynced.</summary>
    public void CommitThen(Action durable) => Enqueue(new Commit(null, durable));

    private bool WriteNow(byte[] data)
    {
        if (_status.WriteError != null) return false;
        try
        {
            _file.Write(data, 0, data.Length);
        }
        catch (IOException)
        {
            // The queue retries it, reports the error and refuses writes meanwhile, as for any write.
            TryCutBack();
            return false;
        }
        _fileLength += data.Length;
        _status.AddCurrentSize(data.Length);
        _unsynced = true;
        return true;
    }

    private void Enqueue(Item item)
    {
        Interlocked.Increment(ref _queued);
        if (item is not Commit) Interlocked.Increment(ref _queuedWrites);
        _queue.Writer.TryWrite(item);
    }

    /// <summary>
    /// Starts a rewrite: writes appended after this call go to a new increment; <paramref name="baseFile"/>
    /// (the whole dataset as commands, or as an RDB file when <paramref name="rdb"/>, consistent with everything appended
    /// before) becomes the new base. Completes with the new base's name once the manifest names it and the old files are gone.
    /// </summary>
    /// <param name="wait">Runs first in the background part (rdb-key-save-delay); a rewrite abandoned meanwhile
    /// (<see cref="AofStatus.AbandonRewrite"/>) then installs nothing.</param>
    public Task<string> RewriteAsync(string baseFile, bool rdb = false, Action? wait = null)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new StartRewrite(baseFile, rdb, wait, done));
        return done.Task;
    }

    private async Task Run()
    {
        var group = new List<Item>();
        var reader = _queue.Reader;
        while (true)
        {
            bool more;
            // The task wakes at least once a second for everysec's fsync: the journal may have written by itself
            // meanwhile (and the policy may have become everysec).
            using (var wait = new CancellationTokenSource(1000))
            {
                try
                {
                    more = await reader.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    more = true;
                }
            }
            if (!more) break;
            while (reader.TryRead(out var item)) group.Add(item);
            int taken = group.Count, writes = group.Count(item => item is not Commit);
            await WriteGroup(group); // takes the group's items out as they are done
            Interlocked.Add(ref _queuedWrites, -writes);
            Interlocked.Add(ref _queued, -taken);
        }
        FsyncQuietly();
        _file.Dispose();
    }

    /// <summary>Writes one group in order, retrying every second until the disk takes it.</summary>
    private async Task WriteGroup(List<Item> group)
    {
        while (true)
        {
            try
            {
                WriteOnce(group);
                Recovered();
                return;
            }
            catch (IOException e)
            {
                if (_status.WriteError == null) _log($"Error writing to the AOF file: {e.Message}");
                _status.WriteError = e.Message;
                TryCutBack();
                await Task.Delay(1000);
            }
        }
    }

    /// <summary>Writes runs of bytes as one write(2) each, handling rewrite steps in their place; what was done leaves the group.</summary>
    private void WriteOnce(List<Item> group)
    {
        int done = 0;
        try
        {
            while (done < group.Count)
            {
                int end = done, bytes = 0;
                bool commits = false;
                for (; end < group.Count && group[end] is Bytes or Commit; end++)
                {
                    if (group[end] is Bytes b) bytes += b.Data.Length;
                    else commits = true;
                }
                if (end > done)
                {
                    WriteRun(group, done, end, bytes, commits);
                    done = end;
                }
                if (done == group.Count) break;
                if (group[done] is StartRewrite rewrite) BeginRewrite(rewrite);
                else if (group[done] is FinishRewrite finish) CompleteRewrite(finish);
                done++;
            }
            if (_fsync() == "everysec" && _unsynced && Environment.TickCount64 - _lastFsyncMs >= 1000) Fsync();
        }
        finally
        {
            group.RemoveRange(0, done);
        }
    }

    private void WriteRun(List<Item> group, int start, int end, int bytes, bool commits)
    {
        if (bytes > 0)
        {
            var buffer = new byte[bytes];
            int filled = 0;
            for (int i = start; i < end; i++)
            {
                if (group[i] is not Bytes b) continue;
                b.Data.CopyTo(buffer, filled);
                filled += b.Data.Length;
            }
            _file.Write(buffer, 0, filled);
            _fileLength += filled;
            _status.AddCurrentSize(filled);
            _unsynced = true;
        }
        if (_unsynced && commits && WaitsForFsync) Fsync();
        // Before the acknowledgements: a client told its write is in must not find the error still reported.
        Recovered();
        for (int i = start; i < end; i++)
            if (group[i] is Commit c)
            {
                c.Done?.TrySetResult();
                c.Durable?.Invoke();
            }
    }

    /// <summary>The disk took a write: a write error reported until now is over.</summary>
    private void Recovered()
    {
        if (_status.WriteError == null) return;
        _log("AOF write error is solved, the AOF is being written again");
        _status.WriteError = null;
    }

    /// <summary>
    /// fsync(2) of the file's handle, which is safe beside a write the journal makes at the same time (a write after
    /// <see cref="_unsynced"/> is cleared sets it again, for the next fsync).
    /// </summary>
    private void Fsync()
    {
        _fsyncing = true;
        _unsynced = false;
        try
        {
            _flushToDisk(_file.SafeFileHandle);
        }
        catch
        {
            _unsynced = true;
            throw;
        }
        finally
        {
            _fsyncing = false;
        }
        _lastFsyncMs = Environment.TickCount64;
    }

    /// <summary>After a failed write, cut the file back to its last whole length (Redis's ftruncate after a short write).</summary>
    private void TryCutBack()
    {
        try
        {
            if (_file.Length != _fileLength) _file.SetLength(_fileLength);
        }
        catch (IOException)
        {
            // The retry will find out.
        }
    }

    private void BeginRewrite(StartRewrite rewrite)
    {
        var old = _manifest;
        long baseSeq = (old.Base?.Seq ?? 0) + 1;
        long incrSeq = old.LastIncrement.Seq + 1;
        var increment = new AofFileInfo($"{_fileName}.{incrSeq}.incr.aof", incrSeq, 'i');
        var next = _open(Path.Combine(_directory, increment.Name));
        // Until the new base exists, the old files stay listed before the new increment: a crash now loses nothing.
        var bridging = new AofManifest(old.Base, [.. old.Increments, increment]);
        bridging.SaveAtomically(_manifestPath);
        _flushToDisk(_file.SafeFileHandle);
        _file.Dispose();
        _file = next;
        _fileLength = 0;
        _unsynced = false;
        _manifest = bridging;
        _replaced = [.. old.Files];
        var newBase = new AofFileInfo($"{_fileName}.{baseSeq}.base.{(rewrite.Rdb ? "rdb" : "aof")}", baseSeq, 'b');
        _ = Task.Run(() =>
        {
            try
            {
                rewrite.Wait?.Invoke();
                if (_status.RewriteAbandoned)
                {
                    // The files stay as the bridging manifest lists them: the old ones, then the new increment.
                    File.Delete(rewrite.BaseFile);
                    _status.RewriteInProgress = false;
                    rewrite.Done.TrySetException(new OperationCanceledException("the AOF rewrite was abandoned"));
                    return;
                }
                long size;
                using (var stream = new FileStream(rewrite.BaseFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                {
                    stream.Flush(flushToDisk: true);
                    size = stream.Length;
                }
                File.Move(rewrite.BaseFile, Path.Combine(_directory, newBase.Name), overwrite: true);
                Enqueue(new FinishRewrite(newBase, size, rewrite.Done));
            }
            catch (Exception e)
            {
                _log($"Background AOF rewrite failed: {e.Message}");
                _status.LastRewriteOk = false;
                _status.RewriteInProgress = false;
                rewrite.Done.TrySetException(e);
            }
        });
    }

    private void CompleteRewrite(FinishRewrite finish)
    {
        var replaced = _replaced ?? [];
        var increments = _manifest.Increments.Where(i => replaced.All(r => r.Name != i.Name)).ToList();
        var manifest = new AofManifest(finish.NewBase, increments);
        manifest.SaveAtomically(_manifestPath);
        _manifest = manifest;
        foreach (var file in replaced)
        {
            try
            {
                File.Delete(Path.Combine(_directory, file.Name));
            }
            catch (IOException e)
            {
                _log($"Could not delete the old AOF file {file.Name}: {e.Message}");
            }
        }
        _replaced = null;
        _status.BaseSize = finish.BaseSize;
        _status.CurrentSize = finish.BaseSize + _fileLength;
        _status.LastRewriteOk = true;
        _status.LastRewriteMs = Environment.TickCount64 - _status.RewriteStartedMs;
        _status.CountRewrite();
        _status.RewriteInProgress = false;
        _log($"Background AOF rewrite finished successfully: base {finish.NewBase.Name}, {finish.BaseSize} bytes");
        finish.Done.TrySetResult(finish.NewBase.Name);
    }

    private void FsyncQuietly()
    {
        try
        {
            if (_unsynced) _flushToDisk(_file.SafeFileHandle);
        }
        catch (IOException)
        {
            // Shutting down: nothing left to tell.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    /// <summary>
    /// Creates the directory and a fresh manifest (empty base, first increment) when there is none yet. A Redis 6 AOF
    /// (<paramref name="fileName"/> beside the directory, not in it) becomes the base, as Redis 7's aofUpgradePrepare
    /// makes it: the manifest naming it is written first, then the file moved in, so a crash between the two is
    /// finished at the next start rather than starting empty.
    /// </summary>
    public static AofManifest OpenOrCreate(string directory, string fileName)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, fileName + ".manifest");
        var legacy = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(directory))!, fileName);
        if (File.Exists(path))
        {
            var existing = AofManifest.Parse(File.ReadAllText(path, Encoding.UTF8), path);
            if (existing.Base is { } listed && listed.Name == fileName && !File.Exists(Path.Combine(directory, fileName)) && File.Exists(legacy))
                MoveIn(legacy, directory, fileName);
            return existing;
        }
        if (File.Exists(legacy))
        {
            var upgraded = new AofManifest(new AofFileInfo(fileName, 1, 'b'), [new AofFileInfo($"{fileName}.1.incr.aof", 1, 'i')]);
            using (File.Create(Path.Combine(directory, upgraded.LastIncrement.Name))) { }
            upgraded.SaveAtomically(path);
            MoveIn(legacy, directory, fileName);
            return upgraded;
        }
        var manifest = new AofManifest(new AofFileInfo($"{fileName}.1.base.aof", 1, 'b'), [new AofFileInfo($"{fileName}.1.incr.aof", 1, 'i')]);
        File.WriteAllBytes(Path.Combine(directory, manifest.Base!.Name), []);
        using (File.Create(Path.Combine(directory, manifest.LastIncrement.Name))) { }
        manifest.SaveAtomically(path);
        return manifest;
    }

    private static void MoveIn(string legacy, string directory, string fileName)
    {
        File.Move(legacy, Path.Combine(directory, fileName));
        AofFiles.FsyncDirectory(directory);
        AofFiles.FsyncDirectory(Path.GetDirectoryName(legacy)!);
    }
}
