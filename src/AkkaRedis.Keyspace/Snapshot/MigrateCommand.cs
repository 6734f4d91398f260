using System.Text;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Snapshot;

/// <summary>
/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password] [AUTH2 username password]
/// [KEYS key ...] (cluster.c migrateCommand): each key that exists goes to the target as RESTORE of its DUMP payload and
/// remaining TTL, after AUTH and SELECT as needed, all in one write; a key the target acknowledged is then deleted here
/// (unless COPY), and journaled as DEL. Like Redis it blocks while it waits, but only its shard: the shard leaves the
/// socket thread first (see SocketThreadRun), so the other shards' clients are served meanwhile. Connections are cached
/// per target (<see cref="MigrateConnections"/>).
/// </summary>
public static class MigrateCommand
{
    public static void Register(CommandTable.Builder table) => table.Add("migrate", CommandRoute.Keyed, Migrate, MigrateKeys);

    /// <summary>migrateGetKeys: the key argument, or with KEYS (and an empty key argument) the keys after it.</summary>
    private static List<int> MigrateKeys(byte[][] args)
    {
        if (args.Length > 6 && args[3].Length == 0)
            for (int i = 6; i < args.Length; i++)
                if (Args.Is(args[i], "KEYS")) return Enumerable.Range(i + 1, args.Length - i - 1).ToList();
        return [3];
    }

    private static void Migrate(CommandContext c)
    {
        bool copy = false, replace = false;
        byte[]? username = null, password = null;
        int firstKey = 3, keyCount = 1;
        for (int j = 6; j < c.Argc; j++)
        {
            int more = c.Argc - 1 - j;
            if (Args.Is(c[j], "COPY")) copy = true;
            else if (Args.Is(c[j], "REPLACE")) replace = true;
            else if (Args.Is(c[j], "AUTH") && more >= 1) password = c[++j];
            else if (Args.Is(c[j], "AUTH2") && more >= 2)
            {
                username = c[++j];
                password = c[++j];
            }
            else if (Args.Is(c[j], "KEYS"))
            {
                if (c[3].Length != 0)
                {
                    c.Error("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string");
                    return;
                }
                firstKey = j + 1;
                keyCount = c.Argc - j - 1;
                break;
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        if (!Args.TryInteger(c, c[5], out long timeout) || !Args.TryInteger(c, c[4], out long db)) return;
        int timeoutMs = timeout <= 0 ? 1000 : (int)Math.Min(timeout, int.MaxValue);

        // Nothing to migrate is no error: often a key expired meanwhile.
        var keys = new List<(byte[] Key, Entry Entry)>();
        for (int j = 0; j < keyCount; j++)
            if (c.Read(c[firstKey + j]) is { } entry) keys.Add((c[firstKey + j], entry));
        if (keys.Count == 0)
        {
            c.Reply.WriteSimple("NOKEY");
            return;
        }

        var target = Encoding.UTF8.GetString(c[1]) + ":" + Encoding.UTF8.GetString(c[2]);
        var migrations = c.Server.Migrations;
        // A cached connection the target closed since fails at once: it is dropped and the transfer tried once more.
        for (bool mayRetry = true; ; mayRetry = false)
        {
            var connection = migrations.Take(target);
            if (connection == null)
            {
                if (!int.TryParse(Encoding.ASCII.GetString(c[2]), out int port) ||
                    (connection = MigrateConnection.Connect(Encoding.UTF8.GetString(c[1]), port, timeoutMs)) == null)
                {
                    c.Error("IOERR error or timeout connecting to the client");
                    return;
                }
            }
            var outcome = Transfer(c, connection, keys, db, timeoutMs, copy, replace, username, password);
            if (outcome == Outcome.Done)
            {
                migrations.Return(target, connection, c.Now / 1000);
                return;
            }
            connection.Dispose();
            if (outcome == Outcome.Answered) return;
            if (!mayRetry || outcome == Outcome.ReadFailed)
            {
                c.Error($"IOERR error or timeout {(outcome == Outcome.WriteFailed ? "writing" : "reading")} to target instance");
                return;
            }
        }
    }

    private enum Outcome
    {
        /// <summary>Replied (OK, or the target's error); the connection is good.</summary>
        Done,
        /// <summary>Replied, but the connection failed on the way: it is closed.</summary>
        Answered,
        /// <summary>The request could not be written: tried once more on a new connection (a cached one may have gone stale).</summary>
        WriteFailed,
        /// <summary>A reply did not come in time, or the connection failed after a key was acknowledged: not tried again.</summary>
        ReadFailed,
        /// <summary>The connection failed before anything was acknowledged, and not by timeout: tried once more.</summary>
        RetryableFailure,
    }

    private static Outcome Transfer(CommandContext c, MigrateConnection connection, List<(byte[] Key, Entry Entry)> keys, long db,
        int timeoutMs, bool copy, bool replace, byte[]? username, byte[]? password)
    {
        var request = new RespWriter(256);
        if (password != null)
        {
            request.WriteArrayHeader(username != null ? 3 : 2);
            request.WriteBulk("AUTH"u8);
            if (username != null) request.WriteBulk(username);
            request.WriteBulk(password);
        }
        bool select = connection.LastDb != db;
        if (select)
        {
            request.WriteArrayHeader(2);
            request.WriteBulk("SELECT"u8);
            request.WriteBulk(db);
        }
        var sent = new List<byte[]>(keys.Count);
        foreach (var (key, entry) in keys)
        {
            long ttl = 0;
            if (entry.ExpireAt != -1)
            {
                ttl = entry.ExpireAt - c.Now;
                if (ttl < 0) continue; // expired since it was looked up
                if (ttl < 1) ttl = 1;
            }
            sent.Add(key);
            request.WriteArrayHeader(replace ? 5 : 4);
            request.WriteBulk("RESTORE"u8);
            request.WriteBulk(key);
            request.WriteBulk(ttl);
            request.WriteBulk(RdbFile.Dump(entry.Value, c.Config.RdbCompression));
            if (replace) request.WriteBulk("REPLACE"u8);
        }
        if (!connection.TryWrite(request.Written, timeoutMs)) return Outcome.WriteFailed;

        bool timedOut = false;
        string? authReply = null, selectReply = null;
        if (password != null && (authReply = connection.ReadLine(timeoutMs, out timedOut)) == null) return Failed(timedOut);
        if (select && (selectReply = connection.ReadLine(timeoutMs, out timedOut)) == null) return Failed(timedOut);

        // A failed AUTH or SELECT fails every key; otherwise each key the target took leaves, even after one it refused.
        string? setupError = authReply is ['-', ..] ? authReply : selectReply is ['-', ..] ? selectReply : null;
        string? targetError = null;
        var deleted = new List<byte[]>();
        int read = 0;
        bool socketError = false;
        for (; read < sent.Count; read++)
        {
            var reply = connection.ReadLine(timeoutMs, out timedOut);
            if (reply == null)
            {
                socketError = true;
                break;
            }
            if (setupError != null || reply is ['-', ..])
            {
                targetError ??= setupError ?? reply;
                continue;
            }
            if (copy) continue;
            // Acknowledged: the key leaves this server.
            c.DeleteAndNotify(sent[read]);
            deleted.Add(sent[read]);
        }
        if (deleted.Count > 0) c.Propagate([Cmd.Del, .. deleted]);
        if (socketError && targetError == null && read == 0) return Failed(timedOut);
        if (targetError != null)
        {
            connection.LastDb = -1;
            c.Error("ERR Target instance replied with error: " + targetError[1..]);
            return socketError ? Outcome.Answered : Outcome.Done;
        }
        if (socketError) return Outcome.ReadFailed;
        connection.LastDb = db;
        c.Reply.WriteOk();
        return Outcome.Done;
    }

    private static Outcome Failed(bool timedOut) => timedOut ? Outcome.ReadFailed : Outcome.RetryableFailure;
}
