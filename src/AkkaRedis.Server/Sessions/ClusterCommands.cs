using System.Text;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Protocol;
using AkkaRedis.Server.Cluster;

namespace AkkaRedis.Server.Sessions;

/// <summary>
/// CLUSTER and READONLY/READWRITE (cluster.c). On a single node they answer as redis-server does with
/// cluster-enabled no. In cluster mode the topology commands describe where the keyspace shards live now, in
/// Redis Cluster's formats, so cluster-aware clients route each slot straight to the node that owns it; the
/// commands that would change a Redis Cluster's topology are refused, since Akka.Cluster.Sharding places shards.
/// </summary>
public static class ClusterCommands
{
    private static readonly HashSet<string> Supported = ["cluster|info", "cluster|myid", "cluster|nodes", "cluster|slots", "cluster|shards", "cluster|keyslot", "cluster|help"];

    public static void Register(SessionCommandTable table)
    {
        foreach (var facts in CommandCatalog.All.Where(f => f.Name.StartsWith("cluster|", StringComparison.Ordinal)))
        {
            if (facts.Name is "cluster|countkeysinslot" or "cluster|getkeysinslot") continue; // run on the shards (SlotCommands)
            string name = facts.Name;
            table.Add(name, c =>
            {
                if (c.Services.Cluster is not { } cluster) c.Error(SlotCommands.Disabled);
                else if (!Supported.Contains(name))
                    c.Error($"ERR CLUSTER {name["cluster|".Length..].ToUpperInvariant()} is not supported: Akka.Cluster.Sharding places the slots");
                else Run(c, name, cluster.Current);
            });
        }
        // A node serves reads and writes of its slots alike; there are no replicas to read from.
        table.Add("readonly", c => Ok(c));
        table.Add("readwrite", c => Ok(c));
    }

    private static void Ok(SessionContext c)
    {
        if (c.Services.Cluster == null) c.Error(SlotCommands.Disabled);
        else c.Reply.WriteOk();
    }

    private static void Run(SessionContext c, string name, Placement placement)
    {
        switch (name)
        {
            case "cluster|info":
                c.Reply.WriteVerbatim(Info(c, placement));
                break;
            case "cluster|myid":
                c.Reply.WriteBulk(placement.Self.Id);
                break;
            case "cluster|nodes":
                c.Reply.WriteVerbatim(Nodes(c, placement));
                break;
            case "cluster|slots":
                Slots(c, placement);
                break;
            case "cluster|shards":
                Shards(c, placement);
                break;
            case "cluster|keyslot":
                c.Reply.WriteInteger(HashSlot.Of(c[2]));
                break;
            case "cluster|help":
                HelpText.Write(c.Reply,
                [
                    "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "COUNTKEYSINSLOT <slot>",
                    "    Return the number of keys in <slot>.",
                    "GETKEYSINSLOT <slot> <count>",
                    "    Return key names stored by current node in a slot.",
                    "INFO",
                    "    Return information about the cluster.",
                    "KEYSLOT <key>",
                    "    Return the hash slot for <key>.",
                    "MYID",
                    "    Return the node id.",
                    "NODES",
                    "    Return cluster configuration seen by node. Output format:",
                    "    <id> <ip:port@bus-port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
                    "SHARDS",
                    "    Return information about slot range mappings and the nodes associated with them.",
                    "SLOTS",
                    "    Return information about slots range mappings. Each range is made of:",
                    "    start, end, master and replicas IP addresses, ports and ids",
                ]);
                break;
        }
    }

    /// <summary>Contiguous slot ranges and the node that owns each (null: not served right now).</summary>
    private static List<(int Start, int End, ClusterNode Node)> Ranges(SessionContext c, Placement placement)
    {
        var owners = c.Services.Keyspace.SlotOwner;
        var ranges = new List<(int Start, int End, ClusterNode Node)>();
        int start = 0;
        for (int slot = 1; slot <= HashSlot.Count; slot++)
        {
            if (slot < HashSlot.Count && placement.Owners[owners[slot]] == placement.Owners[owners[start]]) continue;
            if (placement.Owners[owners[start]] is { } node) ranges.Add((start, slot - 1, node));
            start = slot;
        }
        return ranges;
    }

    private static int Epoch(Placement placement, ClusterNode node) => Array.IndexOf(placement.Nodes, node) + 1;

    private static string Info(SessionContext c, Placement placement)
    {
        int assigned = Ranges(c, placement).Sum(r => r.End - r.Start + 1);
        int size = placement.Owners.Where(o => o != null).Distinct().Count();
        return new StringBuilder()
            .Append("cluster_enabled:1\r\n")
            .Append($"cluster_state:{(assigned == HashSlot.Count ? "ok" : "fail")}\r\n")
            .Append($"cluster_slots_assigned:{assigned}\r\n")
            .Append($"cluster_slots_ok:{assigned}\r\n")
            .Append("cluster_slots_pfail:0\r\n")
            .Append($"cluster_slots_fail:{HashSlot.Count - assigned}\r\n")
            .Append($"cluster_known_nodes:{placement.Nodes.Length}\r\n")
            .Append($"cluster_size:{size}\r\n")
            .Append($"cluster_current_epoch:{placement.Nodes.Length}\r\n")
            .Append($"cluster_my_epoch:{Math.Max(1, Epoch(placement, placement.Self))}\r\n")
            .Append($"akkaredis_keyspace_shards:{placement.Owners.Length}\r\n")
            .Append($"akkaredis_local_shards:{placement.LocalShards.Length}\r\n")
            .Append("total_cluster_links_buffer_limit_exceeded:0\r\n")
            .ToString();
    }

    private static string Nodes(SessionContext c, Placement placement)
    {
        var ranges = Ranges(c, placement);
        var text = new StringBuilder();
        foreach (var node in placement.Nodes)
        {
            text.Append($"{node.Id} {node.Host}:{node.Port}@{node.BusPort} {(node.IsSelf ? "myself,master" : "master")} - 0 ")
                .Append(node.IsSelf ? 0 : c.Now).Append($" {Epoch(placement, node)} connected");
            foreach (var (start, end, owner) in ranges)
            {
                if (owner != node) continue;
                text.Append(' ').Append(start);
                if (end != start) text.Append('-').Append(end);
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    private static void Slots(SessionContext c, Placement placement)
    {
        var ranges = Ranges(c, placement);
        var reply = c.Reply;
        reply.WriteArrayHeader(ranges.Count);
        foreach (var (start, end, node) in ranges)
        {
            reply.WriteArrayHeader(3);
            reply.WriteInteger(start);
            reply.WriteInteger(end);
            reply.WriteArrayHeader(4);
            reply.WriteBulk(node.Host);
            reply.WriteInteger(node.Port);
            reply.WriteBulk(node.Id);
            reply.WriteMapHeader(0);
        }
    }

    private static void Shards(SessionContext c, Placement placement)
    {
        var byNode = Ranges(c, placement).GroupBy(r => r.Node).ToList();
        var reply = c.Reply;
        reply.WriteArrayHeader(byNode.Count);
        foreach (var group in byNode)
        {
            var node = group.Key;
            reply.WriteMapHeader(2);
            reply.WriteBulk("slots");
            reply.WriteArrayHeader(group.Count() * 2);
            foreach (var (start, end, _) in group)
            {
                reply.WriteInteger(start);
                reply.WriteInteger(end);
            }
            reply.WriteBulk("nodes");
            reply.WriteArrayHeader(1);
            reply.WriteMapHeader(7);
            reply.WriteBulk("id");
            reply.WriteBulk(node.Id);
            reply.WriteBulk("port");
            reply.WriteInteger(node.Port);
            reply.WriteBulk("ip");
            reply.WriteBulk(node.Host);
            reply.WriteBulk("endpoint");
            reply.WriteBulk(node.Host);
            reply.WriteBulk("role");
            reply.WriteBulk("master");
            reply.WriteBulk("replication-offset");
            reply.WriteInteger(0);
            reply.WriteBulk("health");
            reply.WriteBulk("online");
        }
    }
}
