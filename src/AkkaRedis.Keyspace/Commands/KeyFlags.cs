using AkkaRedis.Keyspace.Acl;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>Reading Redis 7's key-spec flags (RO, RW, OW, RM, access, insert, delete, update, variable_flags).</summary>
public static class KeyFlags
{
    /// <summary>
    /// The flags of a key whose spec says they depend on the arguments (variable_flags): Redis's setGetKeys and
    /// bitfieldGetKeys. SET overwrites its key unless GET reads it first; BITFIELD only reads with nothing but GET and
    /// OVERFLOW (anything it does not know counts as a write, as Redis assumes).
    /// </summary>
    public static string Variable(string command, byte[][] args)
    {
        const string readWrite = "RW access update";
        if (command == "set")
        {
            for (int i = 3; i < args.Length; i++)
                if (Args.Is(args[i], "GET")) return readWrite;
            return "OW update";
        }
        for (int i = 2; i < args.Length; i++)
        {
            int remaining = args.Length - i - 1;
            if (Args.Is(args[i], "GET") && remaining >= 2) i += 2;
            else if (Args.Is(args[i], "OVERFLOW") && remaining >= 1) i += 1;
            else return readWrite;
        }
        return "RO access";
    }

    /// <summary>ACLSelectorCheckKey: access needs read permission; insert, delete and update need write.</summary>
    public static KeyAccess Access(string flags)
    {
        var access = KeyAccess.None;
        foreach (var flag in flags.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (flag == "access") access |= KeyAccess.Read;
            else if (flag is "insert" or "delete" or "update") access |= KeyAccess.Write;
        }
        return access;
    }
}
