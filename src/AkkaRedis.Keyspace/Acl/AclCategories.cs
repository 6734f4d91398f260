namespace AkkaRedis.Keyspace.Acl;

/// <summary>Redis 7.0's ACL categories, in ACL CAT's order (acl.c ACLCommandCategories).</summary>
public static class AclCategories
{
    public static readonly string[] All =
    [
        "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo", "stream",
        "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting",
    ];
}

/// <summary>
/// The commands that name pub/sub channels (db.c commands_with_channels) that ACLs check: publishing names one,
/// subscribing all its arguments; PSUBSCRIBE's are patterns. Unsubscribing is never refused.
/// </summary>
public sealed record AclChannels(bool IsPattern, bool OnlyFirst)
{
    private static readonly AclChannels Publish = new(false, true);
    private static readonly AclChannels Subscribe = new(false, false);
    private static readonly AclChannels PatternSubscribe = new(true, false);

    public static AclChannels? Of(string command) => command switch
    {
        "publish" or "spublish" => Publish,
        "subscribe" or "ssubscribe" => Subscribe,
        "psubscribe" => PatternSubscribe,
        _ => null,
    };

    /// <summary>The last argument that is a channel.</summary>
    public int Last(int argc) => OnlyFirst ? 1 : argc - 1;
}

/// <summary>ACLSetUserStringError's reasons, and the checks on names and patterns they come from.</summary>
public static class AclErrors
{
    public const string WrongFormat = "Wrong format";
    public const string UnknownCommand = "Unknown command or category name in ACL";
    public const string Syntax = "Syntax error";
    public const string KeyAfterAll = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any " +
                                      "effect. Try 'resetkeys' to start with an empty list of patterns";
    public const string ChannelAfterAll = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have " +
                                          "any effect. Try 'resetchannels' to start with an empty list of channels";
    public const string NoSuchPassword = "The password you are trying to remove from the user does not exist";
    public const string BadHash = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";
    public const string DuplicateUser = "Duplicate user found. A user can only be defined once in config files";
    public const string FirstArgOfSubcommand = "Allowing first-arg of a subcommand is not supported";

    /// <summary>processCommand's refusal of a command the user may not run.</summary>
    public static string Refused(AclDenial denial, string command) => denial switch
    {
        AclDenial.Command => $"NOPERM this user has no permissions to run the '{command}' command",
        AclDenial.Key => "NOPERM this user has no permissions to access one of the keys used as arguments",
        AclDenial.Channel => "NOPERM this user has no permissions to access one of the channels used as arguments",
        _ => "ERR no permission",
    };

    /// <summary>execCommand's refusal of a queued command the user may no longer run.</summary>
    public static string RefusedAtExec(AclDenial denial) =>
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. " +
        "This command is no longer allowed for the following reason: " + denial switch
        {
            AclDenial.Command => "no permission to execute the command or subcommand",
            AclDenial.Key => "no permission to touch the specified keys",
            AclDenial.Channel => "no permission to access one of the channels used as arguments",
            _ => "no permission",
        };

    /// <summary>getAclErrorMessage: why a script's call (or a module's) is refused.</summary>
    public static string Reason(AclDenial denial) => denial switch
    {
        AclDenial.Command => "can't run this command or subcommand",
        AclDenial.Key => "can't access at least one of the keys mentioned in the command arguments",
        AclDenial.Channel => "can't publish to the channel mentioned in the command",
        _ => "lacking the permissions for the command",
    };

    /// <summary>ACLStringHasSpaces: a space (isspace) or a NUL.</summary>
    public static bool HasSpaces(string text) => text.Any(ch => ch is ' ' or '\t' or '\n' or '\v' or '\f' or '\r' or '\0');
}
