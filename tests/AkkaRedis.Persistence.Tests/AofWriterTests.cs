using System.Text;

namespace AkkaRedis.Persistence.Tests;

public class AofWriterTests : IDisposable
{
    private readonly string _directory = Aof.NewDirectory();

    public void Dispose() => Directory.Delete(_directory, true);

    /// <summary>A file whose writes fail with ENOSPC's message while <see cref="Full"/> is set.</summary>
    private sealed class FlakyFile(string path) : FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 0)
    {
        public static volatile bool Full;

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (Full) throw new IOException("No space left on device");
            base.Write(buffer, offset, count);
        }
    }

    [Fact]
    public async Task AFailedWriteIsReportedRetriedAndAcknowledgedOnceTheDiskTakesIt()
    {
        var status = new AofStatus();
        var manifest = AofWriter.OpenOrCreate(_directory, "x.aof");
        var writer = new AofWriter(_directory, "x.aof", manifest, () => "always", status, _ => { }, path => new FlakyFile(path));
        writer.Append(Encoding.UTF8.GetBytes(Aof.Resp("SET", "a", "1")));
        await writer.CommitAsync().WaitAsync(TimeSpan.FromSeconds(10));

        FlakyFile.Full = true;
        writer.Append(Encoding.UTF8.GetBytes(Aof.Resp("SET", "b", "2")));
        var pending = writer.CommitAsync();
        while (status.WriteError == null) await Task.Delay(10);
        Assert.Equal("No space left on device", status.WriteError);
        await Task.Delay(1500);
        Assert.False(pending.IsCompleted); // not acknowledged while it is not on disk

        FlakyFile.Full = false;
        await pending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(status.WriteError);
        await writer.DisposeAsync();
        Assert.Equal(Aof.Resp("SET", "a", "1") + Aof.Resp("SET", "b", "2"), File.ReadAllText(Path.Combine(_directory, "x.aof.1.incr.aof")));
    }

    [Fact]
    public async Task TheFsyncPolicyIsReadForEveryGroup()
    {
        var policy = "no";
        int fsyncs = 0;
        var manifest = AofWriter.OpenOrCreate(_directory, "x.aof");
        var writer = new AofWriter(_directory, "x.aof", manifest, () => policy, new AofStatus(), _ => { },
            flushToDisk: handle => { Interlocked.Increment(ref fsyncs); RandomAccess.FlushToDisk(handle); });
        writer.Append(Encoding.UTF8.GetBytes(Aof.Resp("SET", "a", "1")));
        await writer.CommitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, fsyncs);

        policy = "always"; // CONFIG SET appendfsync always
        writer.Append(Encoding.UTF8.GetBytes(Aof.Resp("SET", "b", "2")));
        await writer.CommitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, fsyncs);
        await writer.DisposeAsync();
    }

    [Fact]
    public async Task UnderEverysecTheCallerWritesAtOnceWhenNothingIsQueuedAndTheWriterFsyncsWithinASecond()
    {
        var policy = "everysec";
        int fsyncs = 0;
        var status = new AofStatus();
        var manifest = AofWriter.OpenOrCreate(_directory, "x.aof");
        var writer = new AofWriter(_directory, "x.aof", manifest, () => policy, status, _ => { }, path => new FlakyFile(path),
            handle => { Interlocked.Increment(ref fsyncs); RandomAccess.FlushToDisk(handle); });
        var file = Path.Combine(_directory, "x.aof.1.incr.aof");

        Assert.True(writer.TryWriteNow(Encoding.UTF8.GetBytes(Aof.Resp("SET", "a", "1"))));
        Assert.Equal(Aof.Resp("SET", "a", "1"), Aof.ReadShared(file)); // in the kernel when it returns, as a commit's bytes
        Assert.Equal(Aof.Resp("SET", "a", "1").Length, status.CurrentSize);
        for (int i = 0; i < 500 && fsyncs == 0; i++) await Task.Delay(10); // the writer's once-a-second fsync
        Assert.Equal(1, fsyncs);

        // While something is queued (here a write the full disk refuses) the writer owns the file: the caller queues too.
        FlakyFile.Full = true;
        Assert.False(writer.TryWriteNow(Encoding.UTF8.GetBytes(Aof.Resp("SET", "b", "2"))));
        writer.Append(Encoding.UTF8.GetBytes(Aof.Resp("SET", "b", "2")));
        var pending = writer.CommitAsync();
        while (status.WriteError == null) await Task.Delay(10);
        FlakyFile.Full = false;
        Assert.False(writer.TryWriteNow(Encoding.UTF8.GetBytes(Aof.Resp("SET", "c", "3")))); // the error stands until the retry
        await pending.WaitAsync(TimeSpan.FromSeconds(10));
        for (int i = 0; i < 500 && !writer.TryWriteNow(Encoding.UTF8.GetBytes(Aof.Resp("SET", "c", "3"))); i++) await Task.Delay(10);

        policy = "always"; // an fsync before the reply: only the writer's group commit gives that
        Assert.False(writer.TryWriteNow(Encoding.UTF8.GetBytes(Aof.Resp("SET", "d", "4"))));
        await writer.DisposeAsync();
        Assert.Equal(Aof.Resp("SET", "a", "1") + Aof.Resp("SET", "b", "2") + Aof.Resp("SET", "c", "3"), File.ReadAllText(file));
    }

}
