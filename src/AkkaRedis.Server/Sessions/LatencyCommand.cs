using AkkaRedis.Keyspace.Commands;

namespace AkkaRedis.Server.Sessions;

/// <summary>LATENCY LATEST / HISTORY / RESET / HELP (latency.c), over the server's <see cref="Keyspace.Server.LatencyMonitor"/>.</summary>
public static class LatencyCommand
{
    public static void Register(SessionCommandTable table)
    {
        table.Add("latency|latest", c =>
        {
            var latest = c.Services.State.Latency.Latest();
            c.Reply.WriteArrayHeader(latest.Count);
            foreach (var (name, time, last, max) in latest)
            {
                c.Reply.WriteArrayHeader(4);
                c.Reply.WriteBulk(name);
                c.Reply.WriteInteger(time);
                c.Reply.WriteInteger(last);
                c.Reply.WriteInteger(max);
            }
        });
        table.Add("latency|history", c =>
        {
            var samples = c.Services.State.Latency.History(Args.Text(c[2]));
            c.Reply.WriteArrayHeader(samples.Count);
            foreach (var (time, latency) in samples)
            {
                c.Reply.WriteArrayHeader(2);
                c.Reply.WriteInteger(time);
                c.Reply.WriteInteger(latency);
            }
        });
        table.Add("latency|graph", c =>
        {
            var name = Args.Text(c[2]);
            var graph = c.Services.State.Latency.Graph(name, c.Services.State.Clock.NowMs / 1000);
            if (graph == null) c.Error($"ERR No samples available for event '{name}'");
            else c.Reply.WriteVerbatim(graph);
        });
        table.Add("latency|doctor", c => c.Reply.WriteVerbatim(
            c.Services.State.Latency.Doctor(c.Services.State.Config, c.Services.State.Clock.NowMs / 1000, AnonHugePagesBytes())));
        table.Add("latency|reset", c => c.Reply.WriteInteger(c.Services.State.Latency.Reset(c.Args[2..].Select(Args.Text).ToList())));
        table.Add("latency|help", c => HelpText.Write(c.Reply,
        [
            "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ]));
    }

    /// <summary>The process's anonymous transparent huge pages (AnonHugePages summed over /proc/self/smaps, as Redis reads them); 0 where unknown.</summary>
    private static long AnonHugePagesBytes()
    {
        try
        {
            long kilobytes = 0;
            foreach (var line in File.ReadLines("/proc/self/smaps_rollup"))
                if (line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
                    kilobytes += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
            return kilobytes * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }
}
