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

    /// <summary>Counts fsyncs (Flush(true)).</summary>
    private sealed class CountingFile(string path) : FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 0)
    {
        public static int Fsyncs;

        public override void Flush(bool flushToDisk)
        {
            if (flushToDisk) Interlocked.Increment(ref Fsyncs);
            base.Flush(flushToDisk);
        }
    }

    [Fact]
    public async Task TheFsyncPolicyIsReadForEveryGroup()
    {
        var policy = "no";
        var manifest = AofWriter.OpenOrCreate(_directory, "x.aof");
        var writer = new AofWriter(_directory, "x.aof", manifest, () => policy, new AofStatus(), _ => { }, path => new CountingFile(path));
        writer.Append(Encoding.UTF8.GetBytes(Aof.Resp("SET", "a", "1")));
        await writer.CommitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, CountingFile.Fsyncs);

        policy = "always"; // CONFIG SET appendfsync always
        writer.Append(Encoding.UTF8.GetBytes(Aof.Resp("SET", "b", "2")));
        await writer.CommitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, CountingFile.Fsyncs);
        await writer.DisposeAsync();
    }
}
