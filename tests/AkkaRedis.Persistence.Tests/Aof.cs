using System.Text;

namespace AkkaRedis.Persistence.Tests;

/// <summary>Helpers: RESP text for commands, temporary AOF directories, and a router by the key's first byte.</summary>
public static class Aof
{
    public static byte[][] Args(params string[] args) => args.Select(a => Encoding.UTF8.GetBytes(a)).ToArray();

    public static string Resp(params string[] args)
    {
        var text = new StringBuilder($"*{args.Length}\r\n");
        foreach (var arg in args) text.Append($"${Encoding.UTF8.GetByteCount(arg)}\r\n{arg}\r\n");
        return text.ToString();
    }

    public static string Text(byte[][] args) => string.Join(" ", args.Select(a => Encoding.UTF8.GetString(a)));

    /// <summary>A file's text while a writer still has it open.</summary>
    public static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    public static string NewDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "akkaredis-aof-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>Routes by the first byte of the key (args[1]) modulo the shard count; FLUSHALL goes to every shard; BOGUS is unknown.</summary>
    public sealed class FirstByteRouter(int shards) : IAofRouter
    {
        public int ShardCount => shards;

        public bool TryRoute(byte[][] args, out int shard, out string? error)
        {
            error = null;
            shard = 0;
            var name = Encoding.UTF8.GetString(args[0]).ToUpperInvariant();
            if (name == "BOGUS")
            {
                error = "Unknown command 'BOGUS' reading the append only file";
                return false;
            }
            if (name is "FLUSHALL" or "FLUSHDB" or "SWAPDB")
            {
                shard = -1;
                return true;
            }
            shard = args.Length > 1 && args[1].Length > 0 ? args[1][0] % shards : 0;
            return true;
        }

        /// <summary>SET and RPUSH by their bytes (the loader's quick path); everything else through <see cref="TryRoute"/>.</summary>
        public bool TryRouteRaw(in AofRawCommand command, out int shard)
        {
            shard = 0;
            var name = command.Arg(0);
            if (!Ascii.EqualsIgnoreCase(name, "SET"u8) && !Ascii.EqualsIgnoreCase(name, "RPUSH"u8)) return false;
            shard = command.Arg(1) is [var first, ..] ? first % shards : 0;
            return true;
        }
    }
}
