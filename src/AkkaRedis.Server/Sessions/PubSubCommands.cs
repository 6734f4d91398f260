using System.Text;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Protocol;

namespace AkkaRedis.Server.Sessions;

/// <summary>
/// SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, their sharded forms (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH)
/// and PUBSUB (pubsub.c), run in the connection. Messages
/// reach subscribers through the node's registry (Keyspace.Server.PubSubRegistry) and the connection writes them in
/// order with its replies.
/// </summary>
public static class PubSubCommands
{
    /// <summary>What a RESP2 connection with subscriptions may still run (processCommand's pubsub context check).</summary>
    public static bool AllowedWhileSubscribed(string command) => IsSubscription(command) || command is "ping" or "quit" or "reset";

    /// <summary>The (un)subscribe commands, whose replies are pushes: written even under CLIENT REPLY OFF, as in Redis 7.0.</summary>
    public static bool IsSubscription(string command) =>
        command is "subscribe" or "unsubscribe" or "psubscribe" or "punsubscribe" or "ssubscribe" or "sunsubscribe";

    public static string NotAllowedWhileSubscribed(string command) =>
        $"ERR Can't execute '{command}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";

    public static void Register(SessionCommandTable table)
    {
        table.Add("subscribe", c => Each(c, "subscribe", (s, name) => s.Subscribe(name), s => s.Count));
        table.Add("psubscribe", c => Each(c, "psubscribe", (s, name) => s.PSubscribe(name), s => s.Count));
        table.Add("ssubscribe", c => Each(c, "ssubscribe", (s, name) => s.SSubscribe(name), s => s.ShardChannelCount));
        table.Add("unsubscribe", c => Unsubscribe(c, "unsubscribe", s => s.Channels, (s, name) => s.Unsubscribe(name), s => s.Count));
        table.Add("punsubscribe", c => Unsubscribe(c, "punsubscribe", s => s.Patterns, (s, name) => s.PUnsubscribe(name), s => s.Count));
        table.Add("sunsubscribe", c => Unsubscribe(c, "sunsubscribe", s => s.ShardChannels, (s, name) => s.SUnsubscribe(name), s => s.ShardChannelCount));
        table.Add("publish", c => c.Reply.WriteInteger(c.Services.State.PubSub.Publish(c[1], c[2])));
        table.Add("spublish", c => c.Reply.WriteInteger(c.Services.State.PubSub.Publish(c[1], c[2], sharded: true)));
        table.Add("pubsub|channels", c => Channels(c, sharded: false));
        table.Add("pubsub|shardchannels", c => Channels(c, sharded: true));
        table.Add("pubsub|numsub", c => NumSub(c, sharded: false));
        table.Add("pubsub|shardnumsub", c => NumSub(c, sharded: true));
        table.Add("pubsub|numpat", c => c.Reply.WriteInteger(c.Services.State.PubSub.PatternCount));
        table.Add("pubsub|help", c => HelpText.Write(c.Reply,
        [
            "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ]));
    }

    /// <summary>One push per channel or pattern: [kind, name, subscriptions now].</summary>
    private static void WriteConfirmation(SessionContext c, string kind, byte[]? name, int count)
    {
        c.Reply.WritePushHeader(3);
        c.Reply.WriteBulk(kind);
        if (name == null) c.Reply.WriteNull();
        else c.Reply.WriteBulk(name);
        c.Reply.WriteInteger(count);
    }

    /// <param name="count">The count the replies carry: channels and patterns, or (S commands) shard channels.</param>
    private static void Each(SessionContext c, string kind, Action<Subscriptions, byte[]> change, Func<Subscriptions, int> count)
    {
        var subscriptions = c.Session.Subscriptions!;
        for (int i = 1; i < c.Argc; i++)
        {
            change(subscriptions, c[i]);
            WriteConfirmation(c, kind, c[i], count(subscriptions));
        }
    }

    /// <summary>With no names, from everything subscribed (one reply with a nil name when that is nothing).</summary>
    private static void Unsubscribe(SessionContext c, string kind, Func<Subscriptions, IReadOnlyCollection<byte[]>> current,
        Action<Subscriptions, byte[]> change, Func<Subscriptions, int> count)
    {
        var subscriptions = c.Session.Subscriptions!;
        if (c.Argc > 1)
        {
            Each(c, kind, change, count);
            return;
        }
        var names = current(subscriptions).ToList();
        if (names.Count == 0) WriteConfirmation(c, kind, null, count(subscriptions));
        foreach (var name in names)
        {
            change(subscriptions, name);
            WriteConfirmation(c, kind, name, count(subscriptions));
        }
    }

    private static void Channels(SessionContext c, bool sharded)
    {
        if (c.Argc > 3)
        {
            c.Error(RespErrors.SubcommandSyntax(Encoding.UTF8.GetString(c[1]), "pubsub"));
            return;
        }
        var channels = c.Services.State.PubSub.Channels(c.Argc == 3 ? c[2] : null, sharded);
        c.Reply.WriteArrayHeader(channels.Count);
        foreach (var channel in channels) c.Reply.WriteBulk(channel);
    }

    private static void NumSub(SessionContext c, bool sharded)
    {
        c.Reply.WriteArrayHeader((c.Argc - 2) * 2L);
        for (int i = 2; i < c.Argc; i++)
        {
            c.Reply.WriteBulk(c[i]);
            c.Reply.WriteInteger(c.Services.State.PubSub.Subscribers(c[i], sharded));
        }
    }
}
