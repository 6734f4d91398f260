using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Snapshot;

/// <summary>
/// DUMP and RESTORE (cluster.c): a value serialized as RDB with the RDB version and a CRC-64, so payloads move between
/// this server and redis-server 7.0 either way. RESTORE journals a relative TTL as absolute (ABSTTL), as Redis
/// propagates it, so a replay does not extend it.
/// </summary>
public static class DumpCommands
{
    public static void Register(CommandTable.Builder table) => table
        .Keyed("dump", Dump)
        .Keyed("restore", Restore);

    private static void Dump(CommandContext c)
    {
        var entry = c.Read(c[1]);
        if (entry == null) c.Reply.WriteNull();
        else c.Reply.WriteBulk(RdbFile.Dump(entry.Value, c.Config.RdbCompression));
    }

    private static void Restore(CommandContext c)
    {
        bool replace = false, absoluteTtl = false;
        long idleSeconds = -1, frequency = -1;
        for (int j = 4; j < c.Argc; j++)
        {
            bool more = j + 1 < c.Argc;
            if (Args.Is(c[j], "REPLACE")) replace = true;
            else if (Args.Is(c[j], "ABSTTL")) absoluteTtl = true;
            else if (Args.Is(c[j], "IDLETIME") && more && frequency == -1)
            {
                if (!Args.TryInteger(c, c[++j], out idleSeconds)) return;
                if (idleSeconds < 0)
                {
                    c.Error("ERR Invalid IDLETIME value, must be >= 0");
                    return;
                }
            }
            else if (Args.Is(c[j], "FREQ") && more && idleSeconds == -1)
            {
                if (!Args.TryInteger(c, c[++j], out frequency)) return;
                if (frequency is < 0 or > 255)
                {
                    c.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
                    return;
                }
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        var key = c[1];
        if (!replace && c.Write(key) != null)
        {
            c.Error("BUSYKEY Target key name already exists.");
            return;
        }
        if (!Args.TryInteger(c, c[2], out long ttl)) return;
        if (ttl < 0)
        {
            c.Error("ERR Invalid TTL value, must be >= 0");
            return;
        }
        if (!RdbFile.DumpIsIntact(c[3]))
        {
            c.Error("ERR DUMP payload version or checksum are wrong");
            return;
        }
        object value;
        try
        {
            value = RdbFile.Undump(c[3], c.Config);
        }
        catch (Exception e) when (e is RdbException or ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            c.Error("ERR Bad data format");
            return;
        }
        bool deleted = replace && c.Delete(key);
        if (ttl > 0 && !absoluteTtl) ttl += c.Now;
        if (ttl > 0 && ttl <= c.Now)
        {
            // Already expired: nothing is created, and a replaced key is simply deleted.
            if (deleted)
            {
                c.Propagate(Cmd.Del, key);
                c.Notify(Server.KeyspaceEvent.Generic, "del", key);
            }
            c.Reply.WriteOk();
            return;
        }
        var entry = c.Add(key, value, ttl > 0 ? ttl : -1);
        if (idleSeconds >= 0) entry.LastAccessSeconds = c.NowSeconds - idleSeconds;
        if (frequency >= 0) entry.Frequency = (byte)frequency;
        // As restoreCommand: a relative TTL is rewritten to an absolute one with ABSTTL appended; otherwise the command
        // goes to the AOF as the client sent it (its options, IDLETIME and FREQ included, in its own case).
        if (ttl > 0 && !absoluteTtl) c.Propagate([.. c.Args.Select((arg, i) => i == 2 ? Args.Bytes(ttl) : arg), Cmd.AbsTtl]);
        else c.Propagate(c.Args);
        c.Notify(Server.KeyspaceEvent.Generic, "restore", key);
        c.Reply.WriteOk();
    }
}
