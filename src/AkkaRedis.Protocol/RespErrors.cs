namespace AkkaRedis.Protocol;

/// <summary>
/// Every error reply the server sends, in Redis's exact words (server.c shared objects, t_*.c, networking.c).
/// Kept in one place so a word never drifts between two commands that should say the same thing.
/// </summary>
public static class RespErrors
{
    public const string WrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
    public const string Syntax = "ERR syntax error";
    public const string NotInteger = "ERR value is not an integer or out of range";
    public const string NotFloat = "ERR value is not a valid float";
    public const string Overflow = "ERR increment or decrement would overflow";
    public const string NaNOrInfinity = "ERR increment would produce NaN or Infinity";
    public const string NoSuchKey = "ERR no such key";
    public const string IndexOutOfRange = "ERR index out of range";
    public const string DbIndexOutOfRange = "ERR DB index is out of range";
    /// <summary>getIntFromObjectOrReply's words (sic: "must between") for a number that does not fit an int.</summary>
    public const string NotAnInt = "ERR value is out of range, value must between -2147483648 and 2147483647";
    public const string SameObject = "ERR source and destination objects are the same";
    public const string StringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    public const string BitOffset = "ERR bit offset is not an integer or out of range";
    public const string BitValue = "ERR bit is not an integer or out of range";
    public const string OffsetOutOfRange = "ERR offset is out of range";
    public const string MustBePositive = "ERR value is out of range, must be positive";
    public const string NxXxGtLt = "ERR NX and XX, GT or LT options at the same time are not compatible";
    public const string GtLt = "ERR GT and LT options at the same time are not compatible";
    public const string BitopNotSingleSource = "ERR BITOP NOT must be called with a single source key.";
    public const string InvalidBitfieldType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
    public const string BitfieldOverflowType = "ERR Invalid OVERFLOW type specified";
    public const string BitfieldRoOnlyGet = "ERR BITFIELD_RO only supports the GET subcommand";
    public const string InvalidClientName = "ERR Client names cannot contain spaces, newlines or special characters.";
    public const string NoSuchClient = "ERR No such client";
    public const string LcsBothLenIdx = "ERR If you want both the length and indexes, please just use IDX.";
    public const string InvalidFirstDb = "ERR invalid first DB index";
    public const string InvalidSecondDb = "ERR invalid second DB index";
    public const string UnsupportedProtocol = "NOPROTO unsupported protocol version";
    public const string LfuNotSelected = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
    public const string LruNotSelected = "ERR An LRU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

    public static string WrongArgs(string command) => $"ERR wrong number of arguments for '{command}' command";

    public static string InvalidExpireTime(string command) => $"ERR invalid expire time in '{command}' command";

    public static string UnknownSubcommand(string subcommand, string command) =>
        $"ERR unknown subcommand '{Truncate(subcommand, 128)}'. Try {command.ToUpperInvariant()} HELP.";

    /// <summary>addReplySubcommandSyntaxError: a known subcommand with arguments its command does not take.</summary>
    public static string SubcommandSyntax(string subcommand, string command) =>
        $"ERR unknown subcommand or wrong number of arguments for '{Truncate(subcommand, 128)}'. Try {command.ToUpperInvariant()} HELP.";

    /// <summary>Redis's "unknown command" error: the name and the first arguments, each cut to 128 characters.</summary>
    public static string UnknownCommand(string name, IReadOnlyList<string> args)
    {
        var text = new System.Text.StringBuilder();
        text.Append("ERR unknown command '").Append(Truncate(name, 128)).Append("', with args beginning with: ");
        var quoted = new System.Text.StringBuilder();
        // As server.c: arguments are added while the list is shorter than 128 characters, each cut to what is left.
        foreach (var arg in args)
        {
            if (quoted.Length >= 128) break;
            int room = 128 - quoted.Length;
            quoted.Append('\'').Append(Truncate(arg, room)).Append("' ");
        }
        return text.Append(quoted).ToString();
    }

    private static string Truncate(string text, int max) => text.Length > max ? text[..max] : text;

    /// <summary>Prefix of the error for writes while the AOF cannot be written (processCommand); the cause follows.</summary>
    public const string MisconfAof = "MISCONF Errors writing to the AOF file: ";
}
