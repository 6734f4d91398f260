using System.Text;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Protocol;

namespace AkkaRedis.Server.Sessions;

/// <summary>
/// CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO (networking.c, tracking.c): client-side caching. The shards keep
/// who read which key and send invalidations to the connection, which sends them on as its mode says
/// (see ConnectionStage's tracking part).
/// </summary>
public static class TrackingCommands
{
    public static void Register(SessionCommandTable table)
    {
        table.Add("client|tracking", Tracking);
        table.Add("client|caching", Caching);
        table.Add("client|getredir", c => c.Reply.WriteInteger(c.Session.Tracking?.RedirectId ?? -1));
        table.Add("client|trackinginfo", Info);
    }

    /// <summary>CLIENT TRACKING on|off [REDIRECT id] [PREFIX prefix ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP], checked in Redis's order.</summary>
    private static void Tracking(SessionContext c)
    {
        long redirect = 0;
        bool broadcast = false, optIn = false, optOut = false, noLoop = false;
        var prefixes = new List<byte[]>();
        for (int j = 3; j < c.Argc; j++)
        {
            bool more = c.Argc - 1 > j;
            if (Args.Is(c[j], "REDIRECT") && more)
            {
                j++;
                if (redirect != 0)
                {
                    c.Error("ERR A client can only redirect to a single other client");
                    return;
                }
                if (!Args.TryLong(c[j], out redirect))
                {
                    c.Error(RespErrors.NotInteger);
                    return;
                }
                if (c.Services.Clients.Find(redirect) == null)
                {
                    c.Error("ERR The client ID you want redirect to does not exist");
                    return;
                }
            }
            else if (Args.Is(c[j], "BCAST")) broadcast = true;
            else if (Args.Is(c[j], "OPTIN")) optIn = true;
            else if (Args.Is(c[j], "OPTOUT")) optOut = true;
            else if (Args.Is(c[j], "NOLOOP")) noLoop = true;
            else if (Args.Is(c[j], "PREFIX") && more) prefixes.Add(c[++j]);
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        var current = c.Session.Tracking;
        if (Args.Is(c[2], "ON"))
        {
            string? error =
                !broadcast && prefixes.Count > 0 ? "ERR PREFIX option requires BCAST mode to be enabled"
                : current != null && current.Broadcast != broadcast ? "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
                : broadcast && (optIn || optOut) ? "ERR OPTIN and OPTOUT are not compatible with BCAST"
                : optIn && optOut ? "ERR You can't specify both OPTIN mode and OPTOUT mode"
                : current != null && (optIn && current.OptOut || optOut && current.OptIn) ? "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
                : broadcast ? PrefixCollision(current?.Prefixes ?? [], prefixes) : null;
            if (error != null)
            {
                c.Error(error);
                return;
            }
            Enable(c, new ClientTracking(redirect, broadcast, optIn, optOut, noLoop, prefixes.Count == 0 && broadcast ? [[]] : [.. prefixes]));
        }
        else if (Args.Is(c[2], "OFF")) Disable(c.Session, c.Services.State);
        else
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        c.Reply.WriteOk();
    }

    /// <summary>checkPrefixCollisionsOrReply: a prefix that starts another (or is one) would invalidate the same keys twice.</summary>
    private static string? PrefixCollision(byte[][] existing, List<byte[]> prefixes)
    {
        static bool Overlap(byte[] a, byte[] b) => a.AsSpan(0, Math.Min(a.Length, b.Length)).SequenceEqual(b.AsSpan(0, Math.Min(a.Length, b.Length)));
        for (int i = 0; i < prefixes.Count; i++)
        {
            foreach (var old in existing)
                if (Overlap(old, prefixes[i]))
                    return $"ERR Prefix '{Text(prefixes[i])}' overlaps with an existing prefix '{Text(old)}'. Prefixes for a single client must not overlap.";
            for (int j = i + 1; j < prefixes.Count; j++)
                if (Overlap(prefixes[i], prefixes[j]))
                    return $"ERR Prefix '{Text(prefixes[i])}' overlaps with another provided prefix '{Text(prefixes[j])}'. Prefixes for a single client must not overlap.";
        }
        return null;
    }

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>enableTracking: the new mode replaces the old, BCAST prefixes add to those already subscribed.</summary>
    private static void Enable(SessionContext c, ClientTracking mode)
    {
        var session = c.Session;
        var actor = session.Actor!;
        var state = c.Services.State;
        var old = session.Tracking;
        if (mode.Broadcast)
        {
            state.AddBroadcast(actor, mode.Prefixes);
            mode = mode with { Prefixes = ClientTracking.Sorted([.. old?.Prefixes ?? [], .. mode.Prefixes]) };
        }
        if (old == null) state.SetTracking(actor, on: true);
        session.TrackingRedirectBroken = false;
        session.Tracking = mode;
    }

    /// <summary>disableTracking (CLIENT TRACKING off, RESET, the connection closing).</summary>
    public static void Disable(ClientSession session, Keyspace.Server.ServerState state)
    {
        if (session.Tracking is not { } mode) return;
        if (mode.Broadcast) state.RemoveBroadcast(session.Actor!);
        state.SetTracking(session.Actor!, on: false);
        session.Tracking = null;
        session.TrackingRedirectBroken = false;
        session.CachingGiven = false;
    }

    private static void Caching(SessionContext c)
    {
        var mode = c.Session.Tracking;
        if (mode == null)
        {
            c.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
            return;
        }
        if (Args.Is(c[2], "YES"))
        {
            if (!mode.OptIn)
            {
                c.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
                return;
            }
        }
        else if (Args.Is(c[2], "NO"))
        {
            if (!mode.OptOut)
            {
                c.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
                return;
            }
        }
        else
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        c.Session.CachingGiven = true;
        c.Reply.WriteOk();
    }

    private static void Info(SessionContext c)
    {
        var session = c.Session;
        var mode = session.Tracking;
        var flags = new List<string> { mode != null ? "on" : "off" };
        if (mode != null)
        {
            if (mode.Broadcast) flags.Add("bcast");
            if (mode.OptIn) flags.Add("optin");
            if (mode.OptIn && session.CachingGiven) flags.Add("caching-yes");
            if (mode.OptOut) flags.Add("optout");
            if (mode.OptOut && session.CachingGiven) flags.Add("caching-no");
            if (mode.NoLoop) flags.Add("noloop");
            if (session.TrackingRedirectBroken) flags.Add("broken_redirect");
        }
        var reply = c.Reply;
        reply.WriteMapHeader(3);
        reply.WriteBulk("flags");
        reply.WriteSetHeader(flags.Count);
        foreach (var flag in flags) reply.WriteBulk(flag);
        reply.WriteBulk("redirect");
        reply.WriteInteger(mode?.RedirectId ?? -1);
        reply.WriteBulk("prefixes");
        var prefixes = mode?.Prefixes ?? [];
        reply.WriteArrayHeader(prefixes.Length);
        foreach (var prefix in prefixes) reply.WriteBulk(prefix);
    }
}
