using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;

namespace AkkaRedis.Server;

/// <summary>
/// INFO [section ...]: runs with every shard held, so the keyspace and command figures are one consistent
/// snapshot; connection figures come from the host (<see cref="IServerInfoSource"/>).
/// </summary>
public static class InfoCommand
{
    /// <summary>Every section, in the order genRedisInfoString writes them whatever order they are asked in.</summary>
    private static readonly string[] AllSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"];
    private static readonly string[] DefaultSections = [.. AllSections.Where(s => s is not ("commandstats" or "latencystats"))];

    public static void Register(CommandTable.Builder table) => table
        .AllShards("info", Run)
        .AllShards("latency|histogram", LatencyHistogramCommand)
        .AllShards("config|resetstat", ResetStatistics);

    /// <summary>CONFIG RESETSTAT: every figure INFO counts starts again from zero (shards are held, so none is mid-update).</summary>
    private static void ResetStatistics(CommandContext c)
    {
        foreach (var shard in c.ShardsInScope) shard.ResetStats();
        foreach (var counters in new[] { c.Server.SessionCalls, c.Server.SessionElapsedTicks, c.Server.SessionFailed, c.Server.Rejected })
            Array.Clear(counters);
        foreach (var histogram in c.Server.SessionLatency) histogram?.Clear();
        c.Server.Info?.ResetStatistics();
        c.Server.Errors.Reset();
        c.Reply.WriteOk();
    }

    private static void Run(CommandContext c)
    {
        var wanted = new List<string>();
        for (int i = 1; i < c.Argc; i++)
        {
            var name = Args.Text(c[i]).ToLowerInvariant();
            if (name is "all" or "everything") wanted.AddRange(AllSections);
            else if (name == "default") wanted.AddRange(DefaultSections);
            else wanted.Add(name);
        }
        if (wanted.Count == 0) wanted.AddRange(DefaultSections);
        var text = new StringBuilder();
        foreach (var section in AllSections.Where(wanted.Contains))
        {
            int before = text.Length;
            if (text.Length > 0) text.Append("\r\n");
            if (!Write(c, section, text)) text.Length = before;
        }
        c.Reply.WriteVerbatim(text.ToString());
    }

    private static bool Write(CommandContext c, string section, StringBuilder s)
    {
        var info = c.Server.Info;
        // A cluster node reports the shards it holds, as a Redis Cluster node reports its own slots.
        var shards = c.ShardsInScope.ToArray();
        switch (section)
        {
            case "server":
                long uptime = (c.Now - c.Server.StartTimeMs) / 1000;
                s.Append("# Server\r\n")
                    .Line("redis_version", ServerState.Version)
                    .Line("redis_git_sha1", "00000000")
                    .Line("redis_git_dirty", 0)
                    .Line("redis_build_id", "akkaredis")
                    .Line("redis_mode", c.Config.Cluster ? "cluster" : "standalone")
                    .Line("akkaredis_version", typeof(InfoCommand).Assembly.GetName().Version?.ToString(3) ?? "0")
                    .Line("akkaredis_shards", shards.Length)
                    .Line("os", RuntimeInformation.OSDescription)
                    .Line("arch_bits", IntPtr.Size * 8)
                    .Line("multiplexing_api", "epoll")
                    .Line("process_id", Environment.ProcessId)
                    .Line("process_supervised", "no")
                    .Line("run_id", c.Server.RunId)
                    .Line("tcp_port", info?.TcpPort ?? c.Config.Port)
                    .Line("server_time_usec", c.Now * 1000)
                    .Line("uptime_in_seconds", uptime)
                    .Line("uptime_in_days", uptime / 86400)
                    .Line("hz", c.Config.Hz)
                    .Line("configured_hz", c.Config.Hz)
                    .Line("lru_clock", c.NowSeconds & ((1 << 24) - 1))
                    .Line("executable", Environment.ProcessPath ?? "")
                    .Line("config_file", "");
                return true;
            case "clients":
                s.Append("# Clients\r\n")
                    .Line("connected_clients", info?.ConnectedClients ?? 0)
                    .Line("cluster_connections", 0)
                    .Line("maxclients", c.Config.MaxClients)
                    .Line("client_recent_max_input_buffer", 0)
                    .Line("client_recent_max_output_buffer", 0)
                    .Line("blocked_clients", info?.BlockedClients ?? 0)
                    .Line("tracking_clients", c.Server.TrackingConnections.Length)
                    .Line("clients_in_timeout_table", 0);
                return true;
            case "memory":
                MemoryReport.WriteInfo(c, s);
                return true;
            case "persistence":
                s.Append("# Persistence\r\n").Append(info?.PersistenceInfo() ?? "loading:0\r\n");
                return true;
            case "stats":
                long commands = shards.Sum(x => x.CommandsProcessed) + c.Server.SessionCalls.Sum();
                s.Append("# Stats\r\n")
                    .Line("total_connections_received", info?.TotalConnections ?? 0)
                    .Line("total_commands_processed", commands)
                    .Line("instantaneous_ops_per_sec", c.Server.OpsPerSecond)
                    .Line("total_net_input_bytes", info?.NetInputBytes ?? 0)
                    .Line("total_net_output_bytes", info?.NetOutputBytes ?? 0)
                    .Line("rejected_connections", info?.RejectedConnections ?? 0)
                    .Line("expired_keys", shards.Sum(x => x.ExpiredKeys))
                    .Line("evicted_keys", shards.Sum(x => x.EvictedKeys))
                    .Line("keyspace_hits", shards.Sum(x => x.KeyspaceHits))
                    .Line("keyspace_misses", shards.Sum(x => x.KeyspaceMisses))
                    .Line("pubsub_channels", c.Server.PubSub.ChannelCount)
                    .Line("pubsub_patterns", c.Server.PubSub.PatternCount)
                    .Line("latest_fork_usec", c.Server.LatestForkMicros)
                    .Line("total_forks", c.Server.TotalForks)
                    .Line("migrate_cached_sockets", c.Server.Migrations.Count)
                    .Line("tracking_total_keys", c.Keyspace.TrackingKeys)
                    .Line("tracking_total_items", c.Keyspace.Shards.Sum(x => x.TrackingItems))
                    .Line("tracking_total_prefixes", c.Server.TrackingPrefixes.Length)
                    .Line("total_error_replies", c.Server.Errors.Total);
                return true;
            case "replication":
                s.Append("# Replication\r\n")
                    .Line("role", "master")
                    .Line("connected_slaves", 0)
                    .Line("master_failover_state", "no-failover")
                    .Line("master_replid", c.Server.RunId)
                    .Line("master_replid2", new string('0', 40))
                    .Line("master_repl_offset", 0)
                    .Line("second_repl_offset", -1)
                    .Line("repl_backlog_active", 0)
                    .Line("repl_backlog_size", c.Config.ReplBacklogSize)
                    .Line("repl_backlog_first_byte_offset", 0)
                    .Line("repl_backlog_histlen", 0);
                return true;
            case "cpu":
                var process = Process.GetCurrentProcess();
                s.Append("# CPU\r\n")
                    .Line("used_cpu_sys", process.PrivilegedProcessorTime.TotalSeconds.ToString("0.000000", CultureInfo.InvariantCulture))
                    .Line("used_cpu_user", process.UserProcessorTime.TotalSeconds.ToString("0.000000", CultureInfo.InvariantCulture));
                return true;
            case "modules":
                s.Append("# Modules\r\n");
                return true;
            case "cluster":
                s.Append("# Cluster\r\n").Append(info?.ClusterInfo() ?? "cluster_enabled:0\r\n");
                return true;
            case "keyspace":
                s.Append("# Keyspace\r\n");
                for (int db = 0; db < c.Keyspace.DatabaseCount; db++)
                {
                    long keys = shards.Sum(x => (long)x.Databases[db].Count);
                    if (keys == 0) continue;
                    long expires = shards.Sum(x => (long)x.Databases[db].VolatileCount);
                    s.Append("db").Append(db).Append(":keys=").Append(keys).Append(",expires=").Append(expires).Append(",avg_ttl=0\r\n");
                }
                return true;
            case "errorstats":
                s.Append("# Errorstats\r\n");
                foreach (var (code, count) in c.Server.Errors.ByCode) s.Append("errorstat_").Append(code).Append(":count=").Append(count).Append("\r\n");
                return true;
            case "commandstats":
                s.Append("# Commandstats\r\n");
                foreach (var spec in c.Server.Commands.AllSpecs)
                {
                    int id = spec.Id;
                    long calls = shards.Sum(x => x.Calls.Length > id ? x.Calls[id] : 0) + c.Server.SessionCalls[id];
                    long rejected = c.Server.Rejected[id];
                    if (calls == 0 && rejected == 0) continue;
                    long ticks = shards.Sum(x => x.ElapsedTicks.Length > id ? x.ElapsedTicks[id] : 0) + c.Server.SessionElapsedTicks[id];
                    long usec = (long)(ticks * 1_000_000.0 / System.Diagnostics.Stopwatch.Frequency);
                    long failed = shards.Sum(x => x.FailedCalls.Length > id ? x.FailedCalls[id] : 0) + c.Server.SessionFailed[id];
                    s.Append("cmdstat_").Append(spec.Name)
                        .Append(":calls=").Append(calls)
                        .Append(",usec=").Append(usec)
                        .Append(",usec_per_call=").Append((calls == 0 ? 0 : (double)usec / calls).ToString("0.00", CultureInfo.InvariantCulture))
                        .Append(",rejected_calls=").Append(rejected)
                        .Append(",failed_calls=").Append(failed).Append("\r\n");
                }
                return true;
            case "latencystats":
                s.Append("# Latencystats\r\n");
                var percentiles = c.Config.LatencyTrackingInfoPercentiles;
                foreach (var (spec, histogram) in Latencies(c, shards, c.Server.Commands.AllSpecs))
                {
                    s.Append("latency_percentiles_usec_").Append(spec.Name).Append(':');
                    s.AppendJoin(',', percentiles.Select(p => string.Create(CultureInfo.InvariantCulture,
                        $"p{p}={histogram.ValueAtPercentile(p) / 1000.0:0.000}")));
                    s.Append("\r\n");
                }
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// LATENCY HISTOGRAM [command ...] (latencyAllCommandsFillCDF, latencySpecificCommandsFillCDF): per command its calls
    /// and the power-of-two buckets of its latencies; a container command named stands for its subcommands, and names
    /// that are no command, or have no latencies, are left out.
    /// </summary>
    private static void LatencyHistogramCommand(CommandContext c)
    {
        var specs = new List<CommandSpec>();
        if (c.Argc == 2) specs.AddRange(c.Server.Commands.AllSpecs);
        for (int i = 2; i < c.Argc; i++)
        {
            var name = Args.Text(c[i]).ToLowerInvariant();
            var named = c.Server.Commands.AllSpecs.Where(s => s.Name == name || s.Name.StartsWith(name + "|", StringComparison.Ordinal));
            specs.AddRange(named.Where(s => !specs.Contains(s)));
        }
        var latencies = Latencies(c, c.ShardsInScope.ToArray(), specs).ToList();
        c.Reply.WriteMapHeader(latencies.Count);
        foreach (var (spec, histogram) in latencies)
        {
            c.Reply.WriteBulk(spec.Name);
            c.Reply.WriteMapHeader(2);
            c.Reply.WriteBulk("calls");
            c.Reply.WriteInteger(histogram.TotalCount);
            c.Reply.WriteBulk("histogram_usec");
            var buckets = histogram.PowerOfTwoBuckets();
            c.Reply.WriteMapHeader(buckets.Count);
            foreach (var (micros, cumulative) in buckets)
            {
                c.Reply.WriteInteger(micros);
                c.Reply.WriteInteger(cumulative);
            }
        }
    }

    /// <summary>The commands with recorded latencies among <paramref name="specs"/>, each with its shards' and connections' summed.</summary>
    internal static IEnumerable<(CommandSpec Spec, LatencyHistogram Histogram)> Latencies(CommandContext c, ShardStore[] shards, IEnumerable<CommandSpec> specs)
    {
        foreach (var spec in specs)
        {
            int id = spec.Id;
            var parts = shards.Select(x => x.Latency.Length > id ? x.Latency[id] : null).Append(c.Server.SessionLatency[id]).OfType<LatencyHistogram>().ToList();
            if (parts.Count == 0) continue;
            var sum = LatencyHistogram.Sum(parts);
            if (sum.TotalCount > 0) yield return (spec, sum);
        }
    }

    internal static StringBuilder Line(this StringBuilder s, string name, object value) =>
        s.Append(name).Append(':').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append("\r\n");

    internal static string Human(long bytes)
    {
        string[] units = ["B", "K", "M", "G", "T"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes}B" : value.ToString("0.00", CultureInfo.InvariantCulture) + units[unit];
    }
}
