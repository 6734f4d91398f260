using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>Commands on keys of any type (db.c, expire.c, object.c) that run on the shards owning their keys.</summary>
public static class Keys
{
    public static void Register(CommandTable.Builder table) => table
        .Keyed("del", Del)
        .Keyed("unlink", Del)
        .Keyed("exists", Exists)
        .Keyed("touch", Touch)
        .Keyed("type", Type)
        .Keyed("expire", c => Expire(c, seconds: true, relative: true))
        .Keyed("pexpire", c => Expire(c, seconds: false, relative: true))
        .Keyed("expireat", c => Expire(c, seconds: true, relative: false))
        .Keyed("pexpireat", c => Expire(c, seconds: false, relative: false))
        .Keyed("ttl", c => Ttl(c, milliseconds: false))
        .Keyed("pttl", c => Ttl(c, milliseconds: true))
        .Keyed("expiretime", c => ExpireTime(c, milliseconds: false))
        .Keyed("pexpiretime", c => ExpireTime(c, milliseconds: true))
        .Keyed("persist", Persist)
        .Keyed("rename", c => Rename(c, nx: false))
        .Keyed("renamenx", c => Rename(c, nx: true))
        .Keyed("copy", Copy)
        .Keyed("move", Move)
        .Keyed("object|encoding", ObjectEncoding)
        .Keyed("object|freq", ObjectFreq)
        .Keyed("object|idletime", ObjectIdleTime)
        .Keyed("object|refcount", ObjectRefCount)
        .Keyed("object|help", ObjectHelp);

    private static void ObjectHelp(CommandContext c) => HelpText.Write(c.Reply,
    [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
    ]);

    private static void Del(CommandContext c)
    {
        long deleted = 0;
        for (int i = 1; i < c.Argc; i++)
        {
            if (c.DeleteAndNotify(c[i])) deleted++;
        }
        c.Reply.WriteInteger(deleted);
    }

    private static void Exists(CommandContext c)
    {
        long count = 0;
        for (int i = 1; i < c.Argc; i++)
            if (c.Read(c[i], c.Db, touch: false) != null) count++;
        c.Reply.WriteInteger(count);
    }

    private static void Touch(CommandContext c)
    {
        long count = 0;
        for (int i = 1; i < c.Argc; i++)
            if (c.Read(c[i]) != null) count++;
        c.Reply.WriteInteger(count);
    }

    private static void Type(CommandContext c)
    {
        var entry = c.Read(c[1], c.Db, touch: false);
        c.Reply.WriteSimple(entry == null ? "none" : Values.TypeName(entry.Value));
    }

    [Flags]
    private enum ExpireCondition { None = 0, Nx = 1, Xx = 2, Gt = 4, Lt = 8 }

    private static void Expire(CommandContext c, bool seconds, bool relative)
    {
        var condition = ExpireCondition.None;
        for (int j = 3; j < c.Argc; j++)
        {
            var opt = c[j];
            if (Args.Is(opt, "NX")) condition |= ExpireCondition.Nx;
            else if (Args.Is(opt, "XX")) condition |= ExpireCondition.Xx;
            else if (Args.Is(opt, "GT")) condition |= ExpireCondition.Gt;
            else if (Args.Is(opt, "LT")) condition |= ExpireCondition.Lt;
            else
            {
                c.Error("ERR Unsupported option " + Args.Text(opt));
                return;
            }
        }
        if ((condition & ExpireCondition.Nx) != 0 && (condition & ~ExpireCondition.Nx) != 0)
        {
            c.Error(RespErrors.NxXxGtLt);
            return;
        }
        if ((condition & (ExpireCondition.Gt | ExpireCondition.Lt)) == (ExpireCondition.Gt | ExpireCondition.Lt))
        {
            c.Error(RespErrors.GtLt);
            return;
        }
        if (!Args.TryInteger(c, c[2], out long when)) return;
        string name = c.Spec.Name;
        if (seconds)
        {
            if (when > long.MaxValue / 1000 || when < long.MinValue / 1000)
            {
                c.Error(RespErrors.InvalidExpireTime(name));
                return;
            }
            when *= 1000;
        }
        long baseTime = relative ? c.Now : 0;
        if (when > long.MaxValue - baseTime)
        {
            c.Error(RespErrors.InvalidExpireTime(name));
            return;
        }
        when += baseTime;

        var entry = c.Write(c[1]);
        if (entry == null)
        {
            c.Reply.WriteInteger(0);
            return;
        }
        long current = entry.ExpireAt;
        if (((condition & ExpireCondition.Nx) != 0 && current != -1) ||
            ((condition & ExpireCondition.Xx) != 0 && current == -1) ||
            ((condition & ExpireCondition.Gt) != 0 && (when <= current || current == -1)) ||
            ((condition & ExpireCondition.Lt) != 0 && current != -1 && when >= current))
        {
            c.Reply.WriteInteger(0);
            return;
        }
        // A time already past deletes the key, journaled as DEL (expire.c checkAlreadyExpired). Replay
        // never takes this branch: a replayed PEXPIREAT in the past sets the expiry and the key expires lazily.
        if (when <= c.Now && !c.Replaying)
        {
            c.DeleteAndNotify(c[1]);
            c.Propagate(Cmd.Del, c[1]);
        }
        else
        {
            c.SetExpiry(entry, when);
            c.Propagate(Cmd.PExpireAt, c[1], Args.Bytes(when));
            c.Notify(KeyspaceEvent.Generic, "expire", c[1]);
        }
        c.Reply.WriteInteger(1);
    }

    private static void Ttl(CommandContext c, bool milliseconds)
    {
        var entry = c.Read(c[1], c.Db, touch: false);
        if (entry == null)
        {
            c.Reply.WriteInteger(-2);
            return;
        }
        if (entry.ExpireAt < 0)
        {
            c.Reply.WriteInteger(-1);
            return;
        }
        long ttl = Math.Max(0, entry.ExpireAt - c.Now);
        c.Reply.WriteInteger(milliseconds ? ttl : (ttl + 500) / 1000);
    }

    private static void ExpireTime(CommandContext c, bool milliseconds)
    {
        var entry = c.Read(c[1], c.Db, touch: false);
        if (entry == null) c.Reply.WriteInteger(-2);
        else if (entry.ExpireAt < 0) c.Reply.WriteInteger(-1);
        else c.Reply.WriteInteger(milliseconds ? entry.ExpireAt : (entry.ExpireAt + 500) / 1000); // rounded, as ttlGenericCommand does
    }

    private static void Persist(CommandContext c)
    {
        var entry = c.Write(c[1]);
        if (entry == null || entry.ExpireAt < 0)
        {
            c.Reply.WriteInteger(0);
            return;
        }
        c.SetExpiry(entry, -1);
        c.Notify(KeyspaceEvent.Generic, "persist", c[1]);
        c.Reply.WriteInteger(1);
    }

    private static void Rename(CommandContext c, bool nx)
    {
        bool sameKey = c[1].AsSpan().SequenceEqual(c[2]);
        var source = c.Write(c[1]);
        if (source == null)
        {
            c.Error(RespErrors.NoSuchKey);
            return;
        }
        if (sameKey)
        {
            if (nx) c.Reply.WriteInteger(0);
            else c.Reply.WriteOk();
            return;
        }
        if (c.Write(c[2]) != null)
        {
            if (nx)
            {
                c.Reply.WriteInteger(0);
                return;
            }
            c.Delete(c[2]);
        }
        var moved = c.Add(c[2], source.Value, source.ExpireAt);
        moved.Form = source.Form;
        c.Delete(c[1]);
        c.Notify(KeyspaceEvent.Generic, "rename_from", c[1]);
        c.Notify(KeyspaceEvent.Generic, "rename_to", c[2]);
        c.CountChanges(1);
        if (nx) c.Reply.WriteInteger(1);
        else c.Reply.WriteOk();
    }

    /// <summary>A database index argument: an integer (getIntFromObjectOrReply) within the configured databases.</summary>
    public static bool TryDatabaseIndex(CommandContext c, byte[] arg, out int db)
    {
        var error = Args.ParseDatabaseIndex(arg, c.Keyspace.DatabaseCount, out db);
        if (error != null) c.Error(error);
        return error == null;
    }

    private static void Copy(CommandContext c)
    {
        int targetDb = c.Db;
        bool replace = false;
        for (int j = 3; j < c.Argc; j++)
        {
            if (Args.Is(c[j], "REPLACE")) replace = true;
            else if (Args.Is(c[j], "DB") && j + 1 < c.Argc)
            {
                if (!TryDatabaseIndex(c, c[++j], out targetDb)) return;
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        if (targetDb == c.Db && c[1].AsSpan().SequenceEqual(c[2]))
        {
            c.Error(RespErrors.SameObject);
            return;
        }
        var source = c.Read(c[1]);
        if (source == null)
        {
            c.Reply.WriteInteger(0);
            return;
        }
        if (c.Write(c[2], targetDb) != null)
        {
            if (!replace)
            {
                c.Reply.WriteInteger(0);
                return;
            }
            c.Delete(c[2], targetDb);
        }
        c.Add(c[2], Values.Clone(source.Value), source.ExpireAt, targetDb).Form = source.Form;
        c.Notify(KeyspaceEvent.Generic, "copy_to", c[2], targetDb);
        c.Reply.WriteInteger(1);
    }

    private static void Move(CommandContext c)
    {
        if (!TryDatabaseIndex(c, c[2], out int targetDb)) return;
        if (targetDb == c.Db)
        {
            c.Error(RespErrors.SameObject);
            return;
        }
        var source = c.Write(c[1]);
        if (source == null || c.Write(c[1], targetDb) != null)
        {
            c.Reply.WriteInteger(0);
            return;
        }
        c.Add(c[1], source.Value, source.ExpireAt, targetDb).Form = source.Form;
        c.Delete(c[1]);
        c.Notify(KeyspaceEvent.Generic, "move_from", c[1]);
        c.Notify(KeyspaceEvent.Generic, "move_to", c[1], targetDb);
        c.Reply.WriteInteger(1);
    }

    private static Entry? ObjectLookup(CommandContext c)
    {
        var entry = c.Lookup(c[2], c.Db);
        if (entry == null) c.Reply.WriteNull();
        return entry;
    }

    private static void ObjectEncoding(CommandContext c)
    {
        var entry = ObjectLookup(c);
        if (entry != null) c.Reply.WriteBulk(Values.Encoding(entry));
    }

    private static void ObjectFreq(CommandContext c)
    {
        var entry = ObjectLookup(c);
        if (entry == null) return;
        if (!c.Config.UsesLfu)
        {
            c.Error(RespErrors.LfuNotSelected);
            return;
        }
        c.Reply.WriteInteger(Lfu.Current(entry, c.Now, c.Config.LfuDecayTime));
    }

    private static void ObjectIdleTime(CommandContext c)
    {
        var entry = ObjectLookup(c);
        if (entry == null) return;
        if (c.Config.UsesLfu)
        {
            c.Error(RespErrors.LruNotSelected);
            return;
        }
        c.Reply.WriteInteger(Math.Max(0, c.NowSeconds - entry.LastAccessSeconds));
    }

    private static void ObjectRefCount(CommandContext c)
    {
        var entry = ObjectLookup(c);
        if (entry != null) c.Reply.WriteInteger(RefCount(entry));
    }

    /// <summary>Redis shares the integers 0..9999 between keys (OBJ_SHARED_INTEGERS); they report INT_MAX, any other value 1.</summary>
    internal static int RefCount(Entry entry) =>
        entry.Value is byte[] bytes && Strings.TryParseStoredInteger(bytes, out long n) && n is >= 0 and < 10000 ? int.MaxValue : 1;
}
