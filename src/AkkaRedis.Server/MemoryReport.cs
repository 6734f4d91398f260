using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;

namespace AkkaRedis.Server;

/// <summary>
/// MEMORY STATS and MEMORY DOCTOR (object.c's getMemoryOverheadData and getMemoryDoctorReport) over this server's
/// memory: the managed heap stands for what Redis's allocator has allocated, the GC's committed bytes for what the
/// allocator holds, and the process's resident set for its RSS. The shards are held, so the key counts are exact.
/// </summary>
public static class MemoryReport
{
    public static void Register(CommandTable.Builder table) => table
        .AllShards("memory|stats", c => WriteStats(c, Measure(c)))
        .AllShards("memory|doctor", c => c.Reply.WriteVerbatim(Doctor(c, Measure(c))));

    private sealed record Database(int Id, long Main, long Expires);

    private sealed record Figures(
        long Peak, long Total, long Startup, long ClientsNormal, long LuaCaches, long FunctionCaches, List<Database> Databases,
        long Overhead, long Keys, long Active, long Resident, long Rss, long RssAtStartup)
    {
        long NetUsage => Total > Startup ? Total - Startup : 1;
        public long BytesPerKey => Keys > 0 ? NetUsage / Keys : 0;
        public long Dataset => Total - Overhead;
        public double DatasetPercentage => Dataset * 100.0 / NetUsage;
        public double PeakPercentage => Total * 100.0 / Peak;
    }

    private static Figures Measure(CommandContext c)
    {
        // With a maxmemory limit, what is counted against it (the dataset's estimated size above the memory at startup);
        // without, the managed heap.
        long total = c.Server.NoteMemory(c.Config.MaxMemory > 0 ? Eviction.UsedMemory(c.Keyspace, c.Server) : GC.GetTotalMemory(false));
        var gc = GC.GetGCMemoryInfo();
        long startup = Math.Min(c.Server.MemoryAtStartup, total);
        long lua = c.Server.ScriptBodies.Values.Sum(body => MemoryEstimate.ArrayBytes(body.Length));
        long functions = c.Scripts.Libraries.Sum(library => MemoryEstimate.ArrayBytes(library.Code.Length));
        var databases = new List<Database>();
        long keys = 0;
        for (int db = 0; db < c.Keyspace.DatabaseCount; db++)
        {
            long count = c.ShardsInScope.Sum(shard => (long)shard.Databases[db].Count);
            if (count == 0) continue;
            long expires = c.ShardsInScope.Sum(shard => (long)shard.Databases[db].VolatileCount);
            keys += count;
            databases.Add(new Database(db, count * MemoryEstimate.EntryOverhead, expires * MemoryEstimate.ExpiryOverhead));
        }
        long overhead = startup + lua + functions + databases.Sum(d => d.Main + d.Expires);
        return new Figures(Math.Max(c.Server.MemoryPeak, total), total, startup, 0, lua, functions, databases, overhead, keys,
            Math.Max(gc.TotalCommittedBytes, total), Math.Max(gc.TotalCommittedBytes, total), Environment.WorkingSet, c.Server.RssAtStartup);
    }

    /// <summary>
    /// INFO memory, Redis 7.0's fields in its order, from the same figures as MEMORY STATS. Script memory is the cached
    /// scripts' and libraries' source, as this server keeps them (the Lua VMs' own memory is not measured).
    /// </summary>
    public static void WriteInfo(CommandContext c, System.Text.StringBuilder s)
    {
        var f = Measure(c);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        static string Ratio(double value) => value.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
        s.Append("# Memory\r\n")
            .Line("used_memory", f.Total)
            .Line("used_memory_human", InfoCommand.Human(f.Total))
            .Line("used_memory_rss", f.Rss)
            .Line("used_memory_rss_human", InfoCommand.Human(f.Rss))
            .Line("used_memory_peak", f.Peak)
            .Line("used_memory_peak_human", InfoCommand.Human(f.Peak))
            .Line("used_memory_peak_perc", Ratio((float)f.PeakPercentage) + "%")
            .Line("used_memory_overhead", f.Overhead)
            .Line("used_memory_startup", f.Startup)
            .Line("used_memory_dataset", f.Dataset)
            .Line("used_memory_dataset_perc", Ratio((float)f.DatasetPercentage) + "%")
            .Line("allocator_allocated", f.Total)
            .Line("allocator_active", f.Active)
            .Line("allocator_resident", f.Resident)
            .Line("total_system_memory", available)
            .Line("total_system_memory_human", InfoCommand.Human(available))
            .Line("used_memory_lua", f.LuaCaches)
            .Line("used_memory_vm_eval", f.LuaCaches)
            .Line("used_memory_lua_human", InfoCommand.Human(f.LuaCaches))
            .Line("used_memory_scripts_eval", f.LuaCaches)
            .Line("number_of_cached_scripts", c.Scripts.ScriptCount)
            .Line("number_of_functions", c.Scripts.FunctionCount)
            .Line("number_of_libraries", c.Scripts.Libraries.Count())
            .Line("used_memory_vm_functions", f.FunctionCaches)
            .Line("used_memory_vm_total", f.LuaCaches + f.FunctionCaches)
            .Line("used_memory_vm_total_human", InfoCommand.Human(f.LuaCaches + f.FunctionCaches))
            .Line("used_memory_functions", f.FunctionCaches)
            .Line("used_memory_scripts", f.LuaCaches + f.FunctionCaches)
            .Line("used_memory_scripts_human", InfoCommand.Human(f.LuaCaches + f.FunctionCaches))
            .Line("maxmemory", c.Config.MaxMemory)
            .Line("maxmemory_human", InfoCommand.Human(c.Config.MaxMemory))
            .Line("maxmemory_policy", c.Config.MaxMemoryPolicy)
            .Line("allocator_frag_ratio", Ratio((double)f.Active / f.Total))
            .Line("allocator_frag_bytes", f.Active - f.Total)
            .Line("allocator_rss_ratio", Ratio((double)f.Resident / f.Active))
            .Line("allocator_rss_bytes", f.Resident - f.Active)
            .Line("rss_overhead_ratio", Ratio((double)f.Rss / f.Resident))
            .Line("rss_overhead_bytes", f.Rss - f.Resident)
            .Line("mem_fragmentation_ratio", Ratio((double)f.Rss / f.Total))
            .Line("mem_fragmentation_bytes", f.Rss - f.Total)
            .Line("mem_not_counted_for_evict", 0)
            .Line("mem_replication_backlog", 0)
            .Line("mem_total_replication_buffers", 0)
            .Line("mem_clients_slaves", 0)
            .Line("mem_clients_normal", f.ClientsNormal)
            .Line("mem_cluster_links", 0)
            .Line("mem_aof_buffer", 0)
            .Line("mem_allocator", "dotnet-gc")
            .Line("active_defrag_running", 0)
            .Line("lazyfree_pending_objects", 0)
            .Line("lazyfreed_objects", 0);
    }

    private static void WriteStats(CommandContext c, Figures f)
    {
        var reply = c.Reply;
        reply.WriteMapHeader(27 + f.Databases.Count);
        void Integer(string name, long value)
        {
            reply.WriteBulk(name);
            reply.WriteInteger(value);
        }
        // Redis keeps these ratios as floats: the same digits in the reply.
        void Ratio(string name, double value)
        {
            reply.WriteBulk(name);
            reply.WriteDouble((float)value);
        }
        Integer("peak.allocated", f.Peak);
        Integer("total.allocated", f.Total);
        Integer("startup.allocated", f.Startup);
        Integer("replication.backlog", 0);
        Integer("clients.slaves", 0);
        Integer("clients.normal", f.ClientsNormal);
        Integer("cluster.links", 0);
        Integer("aof.buffer", 0);
        Integer("lua.caches", f.LuaCaches);
        Integer("functions.caches", f.FunctionCaches);
        foreach (var db in f.Databases)
        {
            reply.WriteBulk("db." + db.Id);
            reply.WriteMapHeader(3);
            Integer("overhead.hashtable.main", db.Main);
            Integer("overhead.hashtable.expires", db.Expires);
            Integer("overhead.hashtable.slot-to-keys", 0);
        }
        Integer("overhead.total", f.Overhead);
        Integer("keys.count", f.Keys);
        Integer("keys.bytes-per-key", f.BytesPerKey);
        Integer("dataset.bytes", f.Dataset);
        Ratio("dataset.percentage", f.DatasetPercentage);
        Ratio("peak.percentage", f.PeakPercentage);
        Integer("allocator.allocated", f.Total);
        Integer("allocator.active", f.Active);
        Integer("allocator.resident", f.Resident);
        Ratio("allocator-fragmentation.ratio", (double)f.Active / f.Total);
        Integer("allocator-fragmentation.bytes", f.Active - f.Total);
        Ratio("allocator-rss.ratio", (double)f.Resident / f.Active);
        Integer("allocator-rss.bytes", f.Resident - f.Active);
        Ratio("rss-overhead.ratio", (double)f.Rss / f.Resident);
        Integer("rss-overhead.bytes", f.Rss - f.Resident);
        Ratio("fragmentation", (double)f.Rss / f.Total);
        Integer("fragmentation.bytes", f.Rss - f.Total);
    }

    /// <summary>
    /// Redis's checks and words. Two differ in what they measure, because a .NET process starts with tens of megabytes
    /// of its own (runtime, JIT-compiled code) and its heap holds garbage until collected: "empty" means less than 5 MB
    /// live beyond what the server held before loading data, and the RSS checks leave out the resident memory the
    /// process had then.
    /// </summary>
    private static string Doctor(CommandContext c, Figures f)
    {
        const long TenMegabytes = 10L << 20;
        long rss = Math.Max(f.Total, f.Rss - Math.Max(0, f.RssAtStartup - f.Startup));
        // The heap counts garbage until a collection: "empty" looks at what the last collection left.
        var lastCollection = GC.GetGCMemoryInfo();
        bool empty = lastCollection.HeapSizeBytes - lastCollection.FragmentedBytes - f.Startup < 5L << 20;
        bool bigPeak = !empty && (double)f.Peak / f.Total > 1.5;
        bool highFragmentation = !empty && (double)rss / f.Total > 1.4 && rss - f.Total > TenMegabytes;
        bool highAllocatorFragmentation = !empty && (double)f.Active / f.Total > 1.1 && f.Active - f.Total > TenMegabytes;
        bool highProcessRss = !empty && (double)rss / f.Resident > 1.1 && rss - f.Resident > TenMegabytes;
        long clients = Math.Max(1, c.Server.Info?.ConnectedClients ?? 1);
        bool bigClientBuffers = !empty && f.ClientsNormal / clients > 200 * 1024;
        bool manyScripts = !empty && c.Server.ScriptBodies.Count > 1000;
        if (empty)
            return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
        if (!(bigPeak || highFragmentation || highAllocatorFragmentation || highProcessRss || bigClientBuffers || manyScripts))
            return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
        var s = new System.Text.StringBuilder("Sam, I detected a few issues in this Redis instance memory implants:\n\n");
        if (bigPeak)
            s.Append(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n");
        if (highFragmentation)
            s.Append(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"dotnet-gc\".\n\n");
        if (highAllocatorFragmentation)
            s.Append(" * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n");
        if (highProcessRss)
            s.Append(" * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n");
        if (bigClientBuffers)
            s.Append(" * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n");
        if (manyScripts)
            s.Append(" * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.\n\n");
        return s.Append("I'm here to keep you safe, Sam. I want to help you.\n").ToString();
    }
}
