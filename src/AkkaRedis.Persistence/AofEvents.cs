namespace AkkaRedis.Persistence;

/// <summary>
/// What one shard persists for what it ran in one go: the effects as RESP commands, exactly as Redis writes
/// them to its AOF. The bytes hold <paramref name="Units"/> units (a single command, or MULTI ... EXEC where
/// several effects belong together) and SELECT wherever the database changes after the first unit;
/// the journal writes a SELECT before them when the file's database is not <paramref name="FirstDb"/>.
/// </summary>
public sealed record AofBatch(byte[] Resp, int FirstDb, int LastDb, int Units);

/// <summary>One command read back from the AOF, with the database it applies to.</summary>
public readonly record struct AofCommand(int Db, byte[][] Args);

/// <summary>
/// The replayed event: one unit of the AOF (a single command, or the commands of one MULTI/EXEC block)
/// restricted to the keys of the shard that replays it.
/// </summary>
public sealed record AofUnit(AofCommand[] Commands);
