using AkkaRedis.Keyspace.Data;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>MEMORY USAGE, PURGE, MALLOC-STATS and HELP (object.c); STATS and DOCTOR are the server's (MemoryReport). Sizes are this server's own (see <see cref="MemoryEstimate"/>).</summary>
public static class MemoryCommands
{
    /// <summary>Redis samples five elements of an aggregate unless told otherwise (OBJ_COMPUTE_SIZE_DEF_SAMPLES).</summary>
    private const long DefaultSamples = 5;

    public static void Register(CommandTable.Builder table) => table
        .Keyed("memory|usage", Usage)
        .Keyed("memory|purge", c =>
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            c.Reply.WriteOk();
        })
        // What Redis answers when it was built without jemalloc: the .NET GC is not an allocator it can report on.
        .Keyed("memory|malloc-stats", c => c.Reply.WriteVerbatim("Stats not supported for the current allocator"))
        .Keyed("memory|help", c => HelpText.Write(c.Reply,
        [
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ]));

    private static void Usage(CommandContext c)
    {
        long samples = DefaultSamples;
        for (int j = 3; j < c.Argc; j++)
        {
            if (!Args.Is(c[j], "SAMPLES") || j + 1 >= c.Argc)
            {
                c.Error(RespErrors.Syntax);
                return;
            }
            if (!Args.TryInteger(c, c[++j], out samples)) return;
            if (samples < 0)
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        var entry = c.Lookup(c[2], c.Db);
        if (entry == null) c.Reply.WriteNull();
        else c.Reply.WriteInteger(MemoryEstimate.Of(entry, samples));
    }
}
