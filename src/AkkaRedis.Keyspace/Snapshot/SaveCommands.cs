using AkkaRedis.Keyspace.Commands;

namespace AkkaRedis.Keyspace.Snapshot;

/// <summary>
/// SAVE, BGSAVE and LASTSAVE (rdb.c). Both saves take the dataset with every shard held, so it is one point in
/// time; SAVE writes the file before answering, BGSAVE writes it in the background. The file is replaced
/// atomically (temporary file, fsync, rename), as Redis replaces dump.rdb.
/// </summary>
public static class SaveCommands
{
    public static void Register(CommandTable.Builder table) => table
        .AllShards("save", c => Save(c, background: false))
        .AllShards("bgsave", c => Save(c, background: true))
        .Keyed("lastsave", c => c.Reply.WriteInteger(c.Server.Saves.LastSaveSeconds));

    private static void Save(CommandContext c, bool background)
    {
        if (background && c.Argc == 2 && !Args.Is(c[1], "SCHEDULE") || c.Argc > 2)
        {
            c.Error(Protocol.RespErrors.Syntax);
            return;
        }
        if (!background)
        {
            if (SaveNow(c) != null) c.Reply.WriteOk();
            return;
        }
        var status = c.Server.Saves;
        if (status.InProgress)
        {
            c.Error(SaveInProgress);
            return;
        }
        // bgsaveCommand: Redis runs one child at a time, so a BGSAVE during an AOF rewrite waits for it if asked to
        // (SCHEDULE, or inside a transaction), and is refused otherwise; the server's cron starts a scheduled one.
        if (c.Server.Aof is { RewriteInProgress: true } || c.InExec)
        {
            if (c.Argc == 2 || c.InExec)
            {
                status.Scheduled = true;
                c.Reply.WriteSimple("Background saving scheduled");
            }
            else c.Error("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
            return;
        }
        if (!status.TryStart(c.Now / 1000))
        {
            c.Error(SaveInProgress);
            return;
        }
        status.Scheduled = false;
        long began = System.Diagnostics.Stopwatch.GetTimestamp();
        var bytes = Snapshot(c);
        c.Server.CountFork((long)System.Diagnostics.Stopwatch.GetElapsedTime(began).TotalMicroseconds);
        var path = FilePath(c);
        long started = c.Now / 1000;
        long keys = c.Keyspace.KeyCount;
        var config = c.Config;
        _ = Task.Run(() =>
        {
            Server.LoadDelay.PerKey(keys, () => config.RdbKeySaveDelay, () => false);
            bool ok = TryWrite(path, bytes, out var error);
            if (!ok) Console.Error.WriteLine($"# Background saving error: {error}");
            status.Finish(ok, Math.Max(started, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        });
        c.Reply.WriteSimple("Background saving started");
    }

    private const string SaveInProgress = "ERR Background save already in progress";

    /// <summary>SAVE: writes the dataset to dbfilename before returning it, or answers the error and returns null.</summary>
    internal static byte[]? SaveNow(CommandContext c)
    {
        var status = c.Server.Saves;
        if (!status.TryStart(c.Now / 1000))
        {
            c.Error(SaveInProgress);
            return null;
        }
        var (bytes, error) = WriteStarted(c);
        if (error == null) return bytes;
        c.Error("ERR " + error);
        return null;
    }

    /// <summary>A save that has started (<see cref="SaveStatus.TryStart"/>): the dataset written to dbfilename, and the error if it was not.</summary>
    private static (byte[] Bytes, string? Error) WriteStarted(CommandContext c)
    {
        var bytes = Snapshot(c);
        bool ok = TryWrite(FilePath(c), bytes, out var error);
        c.Server.Saves.Finish(ok, c.Now / 1000);
        return (bytes, ok ? null : error);
    }

    /// <summary>
    /// FLUSHALL with save points writes the emptied dataset at once, as Redis's flushAllDataAndResetRDB does: the
    /// dump.rdb from before the flush would bring the flushed keys back at the next start. A background save still
    /// writing is waited for (Redis kills it), so that its older snapshot cannot replace this one.
    /// </summary>
    internal static void SaveAfterFlush(CommandContext c)
    {
        var status = c.Server.Saves;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!status.TryStart(c.Now / 1000))
        {
            if (waited.Elapsed > TimeSpan.FromMinutes(1)) return; // never ends: the next save point writes it
            Thread.Sleep(1);
        }
        if (WriteStarted(c).Error is { } error) Console.Error.WriteLine($"# Error saving the DB after FLUSHALL: {error}");
    }

    private static byte[] Snapshot(CommandContext c)
    {
        var bytes = RdbFile.Write(c.Keyspace, c.Scripts.Libraries, c.Now, c.Config.RdbCompression);
        foreach (var shard in c.Keyspace.Shards) shard.Dirty = 0;
        return bytes;
    }

    /// <summary>The bytes of dbfilename as it is on disk (DEBUG RELOAD NOSAVE), or null when it cannot be read.</summary>
    internal static byte[]? ReadSaved(CommandContext c)
    {
        try
        {
            return File.ReadAllBytes(FilePath(c));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string FilePath(CommandContext c) => Path.Combine(Path.GetFullPath(c.Config.Dir), c.Config.DbFilename);

    private static bool TryWrite(string path, byte[] bytes, out string? error)
    {
        error = null;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            Persistence.AofFiles.ReplaceAtomically(path, bytes);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e.Message;
            return false;
        }
    }
}
