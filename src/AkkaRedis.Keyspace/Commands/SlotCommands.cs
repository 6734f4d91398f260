using AkkaRedis.Keyspace.Data;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>
/// The CLUSTER subcommands that read a slot's keys (cluster.c): they run with this node's shards held and see
/// only keys this node holds, as a Redis Cluster node sees only its own slots.
/// </summary>
public static class SlotCommands
{
    public const string Disabled = "ERR This instance has cluster support disabled";

    public static void Register(CommandTable.Builder table) => table
        .AllShards("cluster|countkeysinslot", CountKeysInSlot)
        .AllShards("cluster|getkeysinslot", GetKeysInSlot);

    private static void CountKeysInSlot(CommandContext c)
    {
        if (!c.Config.Cluster)
        {
            c.Reply.WriteError(Disabled);
            return;
        }
        if (!Args.TryLong(c[2], out long slot))
        {
            c.Reply.WriteError(RespErrors.NotInteger);
            return;
        }
        if (slot is < 0 or >= HashSlot.Count)
        {
            c.Reply.WriteError("ERR Invalid slot");
            return;
        }
        c.Reply.WriteInteger(Database(c, (int)slot)?.CountInSlot((int)slot) ?? 0);
    }

    private static void GetKeysInSlot(CommandContext c)
    {
        if (!c.Config.Cluster)
        {
            c.Reply.WriteError(Disabled);
            return;
        }
        if (!Args.TryLong(c[2], out long slot) || !Args.TryLong(c[3], out long max))
        {
            c.Reply.WriteError(RespErrors.NotInteger);
            return;
        }
        if (slot is < 0 or >= HashSlot.Count || max < 0)
        {
            c.Reply.WriteError("ERR Invalid slot or number of keys");
            return;
        }
        var keys = Database(c, (int)slot)?.KeysInSlot((int)slot, max).ToList() ?? [];
        c.Reply.WriteArrayHeader(keys.Count);
        foreach (var key in keys) c.Reply.WriteBulk(key);
    }

    /// <summary>The slot's table in the selected database, when the slot's shard is held here.</summary>
    private static Database? Database(CommandContext c, int slot)
    {
        int shard = c.Keyspace.SlotOwner[slot];
        return c.ShardsInScope.FirstOrDefault(s => s.Index == shard)?.Databases[c.Db];
    }
}
