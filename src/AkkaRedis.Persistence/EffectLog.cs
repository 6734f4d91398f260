using System.Runtime.CompilerServices;
using System.Globalization;
using System.Text;
using AkkaRedis.Protocol;

namespace AkkaRedis.Persistence;

/// <summary>
/// AOF text being written: what a shard's commands changed, until the shard persists it as one <see cref="AofBatch"/>,
/// and the per-shard chunks the loader splits an AOF into. A block (EXEC, a command with several effects, a cross-slot
/// command written as key states) becomes MULTI ... EXEC, written only if something inside it changed data;
/// SELECT is written where the database changes, before MULTI when it can be.
/// </summary>
public sealed class EffectLog
{
    private static readonly byte[][] Multi = ["MULTI"u8.ToArray()];
    private static readonly byte[][] Exec = ["EXEC"u8.ToArray()];
    private static readonly byte[] Select = "SELECT"u8.ToArray();

    private readonly RespWriter _out = new(4096);
    private readonly Stream? _sink;

    /// <param name="sink">Where a large log (a rewrite's base) goes as it grows, instead of growing in memory.</param>
    public EffectLog(Stream? sink = null) => _sink = sink;
    private int _firstDb = -1;
    private int _db = -1;
    private int _units;
    private int _blockDepth;
    private bool _blockOpened;

    public bool IsEmpty => _units == 0 && !_blockOpened;

    /// <summary>Bytes collected so far.</summary>
    public int Length => _out.Length;

    public void Add(int db, ReadOnlySpan<byte[]> args)
    {
        SelectDb(db);
        if (_blockDepth > 0 && !_blockOpened)
        {
            WriteCommand(Multi);
            _blockOpened = true;
        }
        WriteCommand(args);
        if (_blockDepth == 0) _units++;
        if (_sink != null && _blockDepth == 0 && _out.Length >= 1 << 20) FlushToSink();
    }

    /// <summary>One command of <paramref name="db"/> outside any block, already RESP (as read from an AOF).</summary>
    public void AddRaw(int db, ReadOnlySpan<byte> resp)
    {
        SelectDb(db);
        _out.WriteRaw(resp);
        _units++;
    }

    private void SelectDb(int db)
    {
        if (_firstDb < 0) _firstDb = _db = db;
        else if (db != _db)
        {
            WriteCommand([Select, Encoding.ASCII.GetBytes(db.ToString(CultureInfo.InvariantCulture))]);
            _db = db;
        }
    }

    /// <summary>Writes what is collected to the sink (the log must have one).</summary>
    public void FlushToSink()
    {
        _sink!.Write(_out.Written);
        _out.Clear();
    }

    /// <summary>Starts a MULTI/EXEC block; blocks nest (a multi-effect command inside EXEC) into one.</summary>
    public void BeginBlock() => _blockDepth++;

    public void EndBlock()
    {
        if (--_blockDepth > 0 || !_blockOpened) return;
        WriteCommand(Exec);
        _blockOpened = false;
        _units++;
    }

    /// <summary>One unit read back from an AOF: a single command, or several as one MULTI/EXEC block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddUnit(ReadOnlySpan<AofCommand> unit)
    {
        if (unit.Length > 1) BeginBlock();
        foreach (var command in unit) Add(command.Db, command.Args);
        if (unit.Length > 1) EndBlock();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteCommand(ReadOnlySpan<byte[]> args)
    {
        _out.WriteArrayHeader(args.Length);
        foreach (var arg in args) _out.WriteBulk(arg);
    }

    /// <summary>The collected effects as one event; the log starts empty again.</summary>
    public AofBatch Take()
    {
        var batch = new AofBatch(_out.ToArray(), _firstDb, _db, _units);
        _out.Clear();
        _firstDb = _db = -1;
        _units = 0;
        return batch;
    }
}
