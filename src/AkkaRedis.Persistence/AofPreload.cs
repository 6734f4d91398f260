namespace AkkaRedis.Persistence;

/// <summary>
/// The AOF read and split by shard while the actor system starts, on the core the start-up leaves idle: the server
/// starts this before its host, and the journal takes the result instead of reading the files itself, when it is for
/// the same files, options and shard count.
/// </summary>
public sealed class AofPreload
{
    private readonly string _directory;
    private readonly string _fileName;
    private readonly AofLoadOptions _options;
    private readonly int _shardCount;
    private readonly Task<(AofManifest Manifest, AofLoadResult Result)> _reading;

    private AofPreload(string directory, string fileName, AofLoadOptions options, int shardCount, Task<(AofManifest, AofLoadResult)> reading)
    {
        _directory = directory;
        _fileName = fileName;
        _options = options;
        _shardCount = shardCount;
        _reading = reading;
    }

    /// <summary>Starts reading <paramref name="directory"/> (the appendonlydir) on the thread pool.</summary>
    public static AofPreload Start(string directory, string fileName, IAofRouter router, AofLoadOptions options, Action<string> log,
        IRdbPreamble? rdb = null)
    {
        directory = Path.GetFullPath(directory);
        return new AofPreload(directory, fileName, options, router.ShardCount, Task.Run(() => Read(directory, fileName, router, options, log, rdb)));
    }

    /// <summary>Reads the AOF: its manifest (made, with empty files, when there is none yet) and every unit routed to its shard.</summary>
    public static (AofManifest Manifest, AofLoadResult Result) Read(string directory, string fileName, IAofRouter router, AofLoadOptions options,
        Action<string> log, IRdbPreamble? rdb = null)
    {
        var manifest = AofWriter.OpenOrCreate(directory, fileName);
        return (manifest, AofLoader.Load(directory, manifest, router, options, log, rdb));
    }

    /// <summary>The reading, if it is of these files with these options for this many shards; else null (the caller reads).</summary>
    public Task<(AofManifest Manifest, AofLoadResult Result)>? For(string directory, string fileName, AofLoadOptions options, int shardCount) =>
        Path.GetFullPath(directory) == _directory && fileName == _fileName && options == _options && shardCount == _shardCount ? _reading : null;
}
