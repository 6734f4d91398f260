using System.Runtime.CompilerServices;
using System.Diagnostics;
using System.Text;

namespace AkkaRedis.Persistence;

/// <summary>How to treat a damaged AOF (redis.conf aof-load-truncated, and our opt-in for damage elsewhere).</summary>
public sealed record AofLoadOptions(bool LoadTruncated, bool LoadUpToDamage);

/// <summary>The AOF read back and split by owning shard, in file order: per shard, its chunks and how many units they hold.</summary>
public sealed class AofLoadResult(AofChunkBuilder[] shards, long commands, long bytes)
{
    public List<AofChunk>[] Chunks { get; } = shards.Select(s => s.Seal()).ToArray();
    public long[] Units { get; } = shards.Select(s => s.TotalUnits).ToArray();
    public long Commands { get; } = commands;
    public long Bytes { get; } = bytes;
}

/// <summary>
/// Turns an RDB file into the commands of an AOF rewrite: redis-server 7 writes the base of its AOF as an RDB file
/// (aof-use-rdb-preamble yes, its default), and Redis 6's single appendonly.aof may begin with one. The keyspace
/// reads RDB; this layer only finds where it is.
/// </summary>
public interface IRdbPreamble
{
    /// <summary>The RDB at the start of <paramref name="file"/> as RESP commands, and how many bytes of the file it took.</summary>
    byte[] ToCommands(byte[] file, out int rdbLength);
}

/// <summary>
/// Loads the multi-part AOF (base, then increments, in manifest order) as Redis's loadAppendOnlyFiles does:
/// SELECT sets the database for what follows, a MULTI ... EXEC block is one unit, and each command is routed
/// to the shard that owns its keys. A command cut off at the end of the last file (a crash mid-write) is
/// dropped and the file truncated to the last whole unit when <see cref="AofLoadOptions.LoadTruncated"/>;
/// anything else that is not RESP stops the load with the file name and offset. A file that begins with an RDB (as
/// redis-server's base does) is read through <paramref name="rdb"/>, then as AOF from where the RDB ends.
/// </summary>
public static class AofLoader
{
    public static AofLoadResult Load(string directory, AofManifest manifest, IAofRouter router, AofLoadOptions options, Action<string> log,
        IRdbPreamble? rdb = null)
    {
        var units = new AofChunkBuilder[router.ShardCount];
        for (int i = 0; i < units.Length; i++) units[i] = new AofChunkBuilder();
        var files = manifest.Files.ToList();
        long total = files.Sum(f => File.Exists(Path.Combine(directory, f.Name)) ? new FileInfo(Path.Combine(directory, f.Name)).Length : 0);
        long commands = 0, done = 0;
        var progress = Stopwatch.StartNew();
        for (int f = 0; f < files.Count; f++)
        {
            var path = Path.Combine(directory, files[f].Name);
            bool last = f == files.Count - 1;
            if (!File.Exists(path))
            {
                // Redis creates an empty increment lazily; a missing base or middle file is lost data.
                if (last && files[f].Type == 'i') continue;
                throw new AofLoadException($"The AOF file {files[f].Name} listed in the manifest does not exist in {directory}");
            }
            long good, start = 0;
            string? damage;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
            if (StartsWithRdb(stream))
            {
                // The RDB is whole or the file is refused: a damaged RDB cannot be loaded up to its damage.
                start = LoadRdb(stream, files[f].Name, rdb, router, units, ref commands);
                done += start;
                log($"Loaded the RDB preamble of the AOF file {files[f].Name} ({start} bytes)");
            }
            using (var reader = new AofReader(stream))
            {
                var file = new FileLoad(reader, router, units);
                damage = file.Run(ref commands, () =>
                {
                    if (progress.ElapsedMilliseconds < 1000) return;
                    log($"Loading AOF: {(done + reader.Offset) / (1024 * 1024)} of {total / (1024 * 1024)} MB, {commands} commands");
                    progress.Restart();
                });
                good = start + file.LastGoodOffset;
                done += reader.Offset;
            }
            if (damage == null) continue;
            bool truncatedTail = damage.StartsWith("truncated", StringComparison.Ordinal);
            if (truncatedTail && last && options.LoadTruncated)
            {
                log($"!!! Warning: short read while loading the AOF file {files[f].Name} ({damage})! " +
                    $"AOF loaded anyway because aof-load-truncated is enabled; the file is truncated to {good} bytes");
                using var truncating = new FileStream(path, FileMode.Open, FileAccess.Write);
                truncating.SetLength(good);
                truncating.Flush(flushToDisk: true);
                break;
            }
            if (options.LoadUpToDamage)
            {
                log($"!!! Warning: {damage} in the AOF file {files[f].Name} at offset {good}: loaded up to there and ignoring the rest, " +
                    "because aof-load-damaged is enabled");
                return new AofLoadResult(units, commands, done);
            }
            throw new AofLoadException(
                $"Bad file format reading the append only file {files[f].Name} at offset {good} ({damage}): " +
                $"make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>" +
                (truncatedTail && last ? ", or start with --aof-load-truncated yes" : ", or start with --aof-load-damaged yes to load up to the damage"));
        }
        return new AofLoadResult(units, commands, done);
    }

    private static bool StartsWithRdb(FileStream stream)
    {
        Span<byte> signature = stackalloc byte[5];
        int read = stream.ReadAtLeast(signature, 5, throwOnEndOfStream: false);
        stream.Position = 0;
        return read == 5 && signature.SequenceEqual("REDIS"u8);
    }

    /// <summary>Routes the RDB at the start of the file as commands; leaves the stream where the RDB ends and returns that offset.</summary>
    private static long LoadRdb(FileStream stream, string name, IRdbPreamble? rdb, IAofRouter router, AofChunkBuilder[] units, ref long commands)
    {
        if (rdb == null) throw new AofLoadException($"The AOF file {name} begins with an RDB preamble, which this loader cannot read");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        byte[] resp;
        int length;
        try
        {
            resp = rdb.ToCommands(bytes, out length);
        }
        catch (Exception e) when (e is not AofLoadException)
        {
            throw new AofLoadException($"Bad file format reading the RDB preamble of the append only file {name}: {e.Message}");
        }
        using (var reader = new AofReader(resp))
        {
            var damage = new FileLoad(reader, router, units).Run(ref commands, () => { });
            if (damage != null) throw new AofLoadException($"The RDB preamble of the append only file {name} could not be replayed: {damage}");
        }
        stream.Position = length;
        return length;
    }

    /// <summary>One file's pass: units in order, the offset after the last whole unit, and what stopped it early.</summary>
    private sealed class FileLoad(AofReader reader, IAofRouter router, AofChunkBuilder[] units)
    {
        private readonly List<AofCommand> _block = [];
        private bool _inMulti;
        private int _db;
        public long LastGoodOffset { get; private set; }

        /// <summary>Null when the file was read to its end; otherwise what was wrong.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public string? Run(ref long commands, Action tick)
        {
            while (true)
            {
                var status = reader.NextRaw(out var raw);
                switch (status)
                {
                    case AofRead.End:
                        return _inMulti ? "truncated: a MULTI without its EXEC at the end" : null;
                    case AofRead.Truncated:
                        return "truncated: the last command is incomplete";
                    case AofRead.Corrupt:
                        if (!_inMulti) LastGoodOffset = reader.CommandStart;
                        return "not a RESP command";
                }
                commands++;
                if ((commands & 0xFFFF) == 0) tick();
                // Most commands go to their shard as the bytes they are; SELECT, MULTI/EXEC and those whose keys take
                // looking into are read into arrays.
                if (!_inMulti && !IsControl(raw.Arg(0)) && router.TryRouteRaw(raw, out int shard))
                {
                    units[shard].AddRaw(_db, raw.Bytes);
                    LastGoodOffset = reader.Offset;
                    continue;
                }
                string? error = Apply(raw.ToArgs());
                if (error != null)
                {
                    if (!_inMulti) LastGoodOffset = reader.CommandStart;
                    return error;
                }
                if (!_inMulti) LastGoodOffset = reader.Offset;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private string? Apply(byte[][] args)
        {
            if (IsCommand(args, "select"))
            {
                _db = ParseDb(args);
                return _db < 0 ? "invalid SELECT" : null;
            }
            if (IsCommand(args, "multi"))
            {
                if (_inMulti) return "nested MULTI";
                _inMulti = true;
                return null;
            }
            if (IsCommand(args, "exec"))
            {
                if (!_inMulti) return "EXEC without MULTI";
                _inMulti = false;
                var error = Route(_block.ToArray());
                _block.Clear();
                return error;
            }
            var command = new AofCommand(_db, args);
            if (_inMulti)
            {
                _block.Add(command);
                return null;
            }
            return Route([command]);
        }

        /// <summary>Adds the unit to every shard that owns part of it, keeping only that shard's commands.</summary>
        private string? Route(AofCommand[] unit) => AofPartition.Split(unit, router, (shard, part) => units[shard].Add(part));
    }

    public static bool IsCommand(byte[][] args, string name) => Ascii.EqualsIgnoreCase(args[0], name);

    /// <summary>SELECT, MULTI or EXEC: what the loader acts on itself rather than route.</summary>
    private static bool IsControl(ReadOnlySpan<byte> name) =>
        Ascii.EqualsIgnoreCase(name, "select"u8) || Ascii.EqualsIgnoreCase(name, "multi"u8) || Ascii.EqualsIgnoreCase(name, "exec"u8);

    /// <summary>SELECT's database, or -1 when it is not one.</summary>
    public static int ParseDb(byte[][] args) =>
        args.Length == 2 && int.TryParse(args[1], System.Globalization.NumberStyles.None, null, out int db) ? db : -1;
}

/// <summary>
/// Builds one shard's share of the AOF as AOF text (an <see cref="EffectLog"/>), in chunks of about a megabyte.
/// </summary>
public sealed class AofChunkBuilder
{
    private const int ChunkBytes = 1 << 20;

    private readonly List<AofChunk> _chunks = [];
    private readonly EffectLog _log = new();

    public long TotalUnits { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(ReadOnlySpan<AofCommand> unit)
    {
        _log.AddUnit(unit);
        Added();
    }

    /// <summary>A unit of one command, as the RESP read from the file.</summary>
    public void AddRaw(int db, ReadOnlySpan<byte> resp)
    {
        _log.AddRaw(db, resp);
        Added();
    }

    private void Added()
    {
        TotalUnits++;
        if (_log.Length >= ChunkBytes) Flush();
    }

    private void Flush()
    {
        if (_log.IsEmpty) return;
        var batch = _log.Take();
        _chunks.Add(new AofChunk(batch.Resp, batch.Units, batch.FirstDb));
    }

    /// <summary>All chunks, the last one included.</summary>
    public List<AofChunk> Seal()
    {
        Flush();
        return _chunks;
    }
}
