using AkkaRedis.Keyspace.Commands;

namespace AkkaRedis.Server.Sessions;

/// <summary>
/// A single node runs without cluster support, and answers cluster commands as redis-server does when
/// cluster-enabled is no (cluster.c: every CLUSTER subcommand, READONLY, READWRITE). The cluster issue replaces these.
/// </summary>
public static class ClusterCommands
{
    private const string Disabled = "ERR This instance has cluster support disabled";

    public static void Register(SessionCommandTable table)
    {
        foreach (var facts in CommandCatalog.All.Where(f => f.Name.StartsWith("cluster|", StringComparison.Ordinal)))
            table.Add(facts.Name, c => c.Error(Disabled));
        table.Add("readonly", c => c.Error(Disabled));
        table.Add("readwrite", c => c.Error(Disabled));
    }
}
