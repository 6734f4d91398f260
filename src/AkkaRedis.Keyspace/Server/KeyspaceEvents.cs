using System.Text;

namespace AkkaRedis.Keyspace.Server;

/// <summary>The classes of keyspace notification (notify.c), as notify-keyspace-events selects them.</summary>
[Flags]
public enum KeyspaceEvent
{
    None = 0,
    Keyspace = 1 << 0, // K
    Keyevent = 1 << 1, // E
    Generic = 1 << 2, // g
    String = 1 << 3, // $
    List = 1 << 4, // l
    Set = 1 << 5, // s
    Hash = 1 << 6, // h
    Zset = 1 << 7, // z
    Expired = 1 << 8, // x
    Evicted = 1 << 9, // e
    Stream = 1 << 10, // t
    KeyMiss = 1 << 11, // m: not part of A
    Module = 1 << 13, // d
    New = 1 << 14, // n: not part of A
    All = Generic | String | List | Set | Hash | Zset | Expired | Evicted | Stream | Module,
}

/// <summary>
/// Keyspace notifications: when a command changes a key in a class notify-keyspace-events selects, "__keyspace@db__:key"
/// gets the event's name and "__keyevent@db__:event" gets the key, published to this node's subscribers as Redis
/// publishes them (a Redis Cluster node too sends only its own).
/// </summary>
public static class KeyspaceEvents
{
    private const string Classes = "g$lshzxetdn";

    /// <summary>keyspaceEventsStringToFlags: null when a character is not a class.</summary>
    public static KeyspaceEvent? Parse(string text)
    {
        var flags = KeyspaceEvent.None;
        foreach (char ch in text)
        {
            KeyspaceEvent? flag = ch switch
            {
                'A' => KeyspaceEvent.All,
                'g' => KeyspaceEvent.Generic,
                '$' => KeyspaceEvent.String,
                'l' => KeyspaceEvent.List,
                's' => KeyspaceEvent.Set,
                'h' => KeyspaceEvent.Hash,
                'z' => KeyspaceEvent.Zset,
                'x' => KeyspaceEvent.Expired,
                'e' => KeyspaceEvent.Evicted,
                'K' => KeyspaceEvent.Keyspace,
                'E' => KeyspaceEvent.Keyevent,
                't' => KeyspaceEvent.Stream,
                'm' => KeyspaceEvent.KeyMiss,
                'd' => KeyspaceEvent.Module,
                'n' => KeyspaceEvent.New,
                _ => null,
            };
            if (flag == null) return null;
            flags |= flag.Value;
        }
        return flags;
    }

    /// <summary>keyspaceEventsFlagsToString: A for all the classes A stands for (Redis 7.0 then leaves n out), else each class; then K, E and m.</summary>
    public static string Format(KeyspaceEvent flags)
    {
        var text = new StringBuilder();
        if ((flags & KeyspaceEvent.All) == KeyspaceEvent.All) text.Append('A');
        else
        {
            KeyspaceEvent[] order = [KeyspaceEvent.Generic, KeyspaceEvent.String, KeyspaceEvent.List, KeyspaceEvent.Set, KeyspaceEvent.Hash,
                KeyspaceEvent.Zset, KeyspaceEvent.Expired, KeyspaceEvent.Evicted, KeyspaceEvent.Stream, KeyspaceEvent.Module, KeyspaceEvent.New];
            for (int i = 0; i < order.Length; i++)
                if ((flags & order[i]) != 0) text.Append(Classes[i]);
        }
        if ((flags & KeyspaceEvent.Keyspace) != 0) text.Append('K');
        if ((flags & KeyspaceEvent.Keyevent) != 0) text.Append('E');
        if ((flags & KeyspaceEvent.KeyMiss) != 0) text.Append('m');
        return text.ToString();
    }

    /// <summary>notifyKeyspaceEvent: publishes the event if its class is selected (cheap when nothing is).</summary>
    public static void Notify(ServerState server, KeyspaceEvent type, string name, byte[] key, int db)
    {
        var flags = server.Config.NotifyKeyspaceEvents;
        if ((flags & type) == 0) return;
        var prefix = db.ToString(System.Globalization.CultureInfo.InvariantCulture) + "__:";
        var eventName = Encoding.ASCII.GetBytes(name);
        if ((flags & KeyspaceEvent.Keyspace) != 0)
            server.PubSub.Deliver([.. "__keyspace@"u8, .. Encoding.ASCII.GetBytes(prefix), .. key], eventName, sharded: false);
        if ((flags & KeyspaceEvent.Keyevent) != 0)
            server.PubSub.Deliver([.. "__keyevent@"u8, .. Encoding.ASCII.GetBytes(prefix), .. eventName], key, sharded: false);
    }
}
