namespace AkkaRedis.Persistence;

/// <summary>
/// What one shard persists for what it ran in one go: the effects as RESP commands, exactly as Redis writes
/// them to its AOF. The bytes hold <paramref name="Units"/> units (a single command, or MULTI ... EXEC where
/// several effects belong together) and SELECT wherever the database changes after the first unit;
/// the journal writes a SELECT before them when the file's database is not <paramref name="FirstDb"/>.
/// </summary>
public sealed record AofBatch(byte[] Resp, int FirstDb, int LastDb, int Units)
{
    /// <summary>The same commands as a piece to replay.</summary>
    public AofChunk AsChunk() => new(Resp, Units, FirstDb);
}

/// <summary>One command read back from the AOF, with the database it applies to.</summary>
public readonly record struct AofCommand(int Db, byte[][] Args);

/// <summary>
/// The replayed event: a piece of one shard's share of the AOF, itself AOF text (RESP commands, SELECT where the
/// database changes, MULTI ... EXEC around a unit of several commands), holding <paramref name="Units"/> units in
/// file order. The loader splits the AOF into such pieces by owning shard without keeping objects per command,
/// and each shard parses its own pieces: parsing is spread over the shards and nothing short-lived survives
/// into the old generation. The event's sequence number is that of its last unit (a unit's sequence number is
/// its position among the shard's units). <paramref name="StartDb"/> is the database selected at its start.
/// </summary>
public sealed record AofChunk(byte[] Resp, int Units, int StartDb)
{
    /// <summary>
    /// The commands in order, each with the database SELECT left it in; MULTI and EXEC are not commands to apply:
    /// the end of a MULTI/EXEC block is marked by a null, and a command inside one says so.
    /// </summary>
    public IEnumerable<(AofCommand Command, bool InBlock)?> Read()
    {
        bool inBlock = false;
        int db = StartDb;
        var reader = new AofReader(Resp);
        while (reader.Next(out var args) == AofRead.Command)
        {
            if (AofLoader.IsCommand(args, "select")) db = AofLoader.ParseDb(args);
            else if (AofLoader.IsCommand(args, "multi")) inBlock = true;
            else if (AofLoader.IsCommand(args, "exec"))
            {
                inBlock = false;
                yield return null;
            }
            else yield return (new AofCommand(db, args), inBlock);
        }
    }

    /// <summary>The units, each as its commands with their databases.</summary>
    public List<AofCommand[]> ReadUnits()
    {
        var units = new List<AofCommand[]>();
        var block = new List<AofCommand>();
        foreach (var item in Read())
        {
            if (item is not { } read)
            {
                units.Add(block.ToArray());
                block.Clear();
            }
            else if (read.InBlock) block.Add(read.Command);
            else units.Add([read.Command]);
        }
        return units;
    }
}
