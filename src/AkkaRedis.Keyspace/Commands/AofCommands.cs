using AkkaRedis.Keyspace.Journal;
using AkkaRedis.Persistence;
using Akka.Actor;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>
/// BGREWRITEAOF: runs with every shard held, after each shard's earlier writes reached the journal, so the
/// snapshot it takes is exactly the state those writes produced; writes that follow go to a new increment.
/// Serializing happens while the shards are held; writing the new base to disk happens in the background.
/// </summary>
public static class AofCommands
{
    public static void Register(CommandTable.Builder table) => table.AllShards("bgrewriteaof", BgRewriteAof);

    private static void BgRewriteAof(CommandContext c)
    {
        var status = c.Server.Aof;
        var journal = c.Server.Journal;
        if (c.Config.Cluster)
        {
            c.Error("ERR Background append only file rewriting does not apply in cluster mode: the journal is shared in PostgreSQL");
            return;
        }
        if (status == null || journal == null)
        {
            c.Error("ERR Background append only file rewriting needs appendonly yes (this server keeps no AOF)");
            return;
        }
        if (status.RewriteInProgress)
        {
            c.Error("ERR Background append only file rewriting already in progress");
            return;
        }
        // bgrewriteaofCommand: one child at a time, so during a background save the rewrite is scheduled; the server's
        // cron starts it once the save is done.
        if (c.Server.Saves.InProgress)
        {
            status.RewriteScheduled = true;
            c.Reply.WriteSimple("Background append only file rewriting scheduled");
            return;
        }
        if (!status.TryStartRewrite())
        {
            c.Error("ERR Background append only file rewriting already in progress");
            return;
        }
        status.RewriteScheduled = false;
        // Written here, into the page cache, while every shard is held; the journal fsyncs and installs it in the background.
        // aof-use-rdb-preamble: as an RDB file, as redis-server writes its base by default.
        bool rdb = c.Config.AofUseRdbPreamble;
        var directory = Path.Combine(Path.GetFullPath(c.Config.Dir), c.Config.AppendDirName);
        var path = Path.Combine(directory, $"temp-rewriteaof-bg-{Environment.ProcessId}.aof");
        long began = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            Directory.CreateDirectory(directory); // the first AOF of a server started with appendonly no
            using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            if (rdb) file.Write(Snapshot.RdbFile.Write(c.Keyspace, c.Scripts.Libraries, c.Now, c.Config.RdbCompression));
            else KeyState.Snapshot(c.Keyspace, c.Now, c.Scripts.Libraries, file);
        }
        catch (IOException e)
        {
            status.LastRewriteOk = false;
            status.RewriteInProgress = false;
            c.Error("ERR Background append only file rewriting failed: " + e.Message);
            return;
        }
        c.Server.CountFork((long)System.Diagnostics.Stopwatch.GetElapsedTime(began).TotalMicroseconds);
        long keys = c.Keyspace.KeyCount;
        var config = c.Config;
        journal.Tell(new RewriteAof(path, rdb, () => Server.LoadDelay.PerKey(keys, () => config.RdbKeySaveDelay, () => status.RewriteAbandoned)));
        // CONFIG SET appendonly yes: the shards journal again from this snapshot on.
        if (c.Config.AppendOnly)
            foreach (var shard in c.ShardsInScope) shard.Journaling = true;
        // Redis forks no child inside a transaction and starts the rewrite after it; here it is taken inside, with the
        // shards held by EXEC, and finishes after it: Redis's words for a transaction.
        c.Reply.WriteSimple(c.InExec ? "Background append only file rewriting scheduled" : "Background append only file rewriting started");
    }
}
