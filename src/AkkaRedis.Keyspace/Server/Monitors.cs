using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Akka.Actor;

namespace AkkaRedis.Keyspace.Server;

/// <summary>A line of MONITOR's output, for a monitoring connection to write after the replies it owes.</summary>
public sealed record MonitorLine(byte[] Line);

/// <summary>
/// The connections in MONITOR mode on this node and what they are fed (replicationFeedMonitors): every command a client
/// runs, but administrative ones, as "+&lt;unix time&gt;.&lt;micros&gt; [&lt;db&gt; &lt;client address&gt;] "arg" ...", and each command a script
/// runs, from "lua". The set is immutable and swapped whole, so feeding reads it without a lock.
/// </summary>
public sealed class MonitorRegistry
{
    private ImmutableHashSet<IActorRef> _monitors = [];

    /// <summary>Whether anyone monitors: checked before building a line, so the data path pays one read when no one does.</summary>
    public bool Any => !Volatile.Read(ref _monitors).IsEmpty;

    public int Count => Volatile.Read(ref _monitors).Count;

    public void Add(IActorRef monitor) => ImmutableInterlocked.Update(ref _monitors, (set, m) => set.Add(m), monitor);

    public void Remove(IActorRef monitor) => ImmutableInterlocked.Update(ref _monitors, (set, m) => set.Remove(m), monitor);

    /// <summary>Feeds a command to every monitor; <paramref name="origin"/> is the client's address, or "lua".</summary>
    public void Feed(int db, string origin, IReadOnlyList<byte[]> args)
    {
        var monitors = Volatile.Read(ref _monitors);
        if (monitors.IsEmpty) return;
        var line = new MonitorLine(Line(DateTimeOffset.UtcNow, db, origin, args));
        foreach (var monitor in monitors) monitor.Tell(line);
    }

    /// <summary>The line as Redis writes it: a status reply, each argument quoted as sdscatrepr quotes it.</summary>
    public static byte[] Line(DateTimeOffset time, int db, string origin, IReadOnlyList<byte[]> args)
    {
        long micros = (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        var text = new StringBuilder(64);
        text.Append('+').Append((micros / 1_000_000).ToString(CultureInfo.InvariantCulture)).Append('.')
            .Append((micros % 1_000_000).ToString("D6", CultureInfo.InvariantCulture))
            .Append(" [").Append(db.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(origin).Append(']');
        foreach (var arg in args) Protocol.SdsRepr.Append(text.Append(' '), arg);
        text.Append("\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }
}
