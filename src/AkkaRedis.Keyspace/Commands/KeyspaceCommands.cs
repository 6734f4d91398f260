namespace AkkaRedis.Keyspace.Commands;

/// <summary>Every command family that runs on shards.</summary>
public static class KeyspaceCommands
{
    public static CommandTable.Builder Register(CommandTable.Builder table)
    {
        Strings.Register(table);
        HyperLogLogs.Register(table);
        Bits.Register(table);
        Keys.Register(table);
        Sort.Register(table);
        MemoryCommands.Register(table);
        DebugCommands.Register(table);
        Geo.Register(table);
        Databases.Register(table);
        Hashes.Register(table);
        Streams.Register(table);
        Sets.Register(table);
        SortedSets.Register(table);
        Lists.Register(table);
        BlockingCommands.Register(table);
        Transactions.Register(table);
        AofCommands.Register(table);
        Scripting.ScriptCommands.Register(table);
        Scripting.FunctionCommands.Register(table);
        Snapshot.SaveCommands.Register(table);
        Snapshot.DumpCommands.Register(table);
        Snapshot.MigrateCommand.Register(table);
        SlotCommands.Register(table);
        return table;
    }
}
