using System.Runtime.CompilerServices;
using System.Text;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Persistence;

namespace AkkaRedis.Keyspace.Journal;

/// <summary>Routes a command read back from the AOF to the shard owning its keys, from the command table's key specs.</summary>
public sealed class KeyRouter(CommandTable table, int[] slotOwner, int shardCount) : IAofRouter
{
    public int ShardCount => shardCount;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryRoute(byte[][] args, out int shard, out string? error)
    {
        shard = 0;
        error = null;
        var spec = table.FindCommand(args);
        if (spec?.Handler == null)
        {
            error = $"Unknown command '{Encoding.UTF8.GetString(args[0])}' reading the append only file";
            return false;
        }
        if (spec.Route == CommandRoute.AllShards)
        {
            shard = -1;
            return true;
        }
        int owner = -1;
        foreach (int position in spec.KeyPositions(args))
        {
            int next = slotOwner[HashSlot.Of(args[position])];
            if (owner >= 0 && next != owner)
            {
                error = "A command whose keys live on different shards cannot be replayed (AkkaRedis writes such effects key by key)";
                return false;
            }
            owner = next;
        }
        shard = Math.Max(owner, 0);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryRouteRaw(in AofRawCommand command, out int shard)
    {
        shard = -1;
        var spec = table.Find(command.Arg(0));
        if (spec?.Handler == null || spec.Subcommands != null || spec.Route == CommandRoute.AllShards || !spec.SimpleKeys) return false;
        var facts = spec.Facts;
        int argc = command.Argc;
        int last = facts.LastKeyIndex(argc);
        for (int i = facts.FirstKey; i <= last && i < argc; i += facts.Step)
        {
            int owner = slotOwner[HashSlot.Of(command.Arg(i))];
            if (shard >= 0 && owner != shard) return false; // TryRoute gives the error
            shard = owner;
        }
        shard = Math.Max(shard, 0);
        return true;
    }
}
