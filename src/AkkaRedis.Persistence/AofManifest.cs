using System.Text;

namespace AkkaRedis.Persistence;

/// <summary>One file of the multi-part AOF: b = base (the dataset at a rewrite), i = increment (writes since).</summary>
public sealed record AofFileInfo(string Name, long Seq, char Type);

/// <summary>
/// Redis 7's AOF manifest (aof.c): one line per file, "file NAME seq N type b|i", the base first and the
/// increments in the order they are replayed. Replaced atomically: written to a temporary file, fsynced,
/// renamed over the old one, and the directory fsynced, so a crash leaves either the old or the new one.
/// </summary>
public sealed record AofManifest(AofFileInfo? Base, IReadOnlyList<AofFileInfo> Increments)
{
    public IEnumerable<AofFileInfo> Files => Base == null ? Increments : Increments.Prepend(Base);

    public AofFileInfo LastIncrement => Increments[^1];

    public static AofManifest Parse(string text, string path)
    {
        AofFileInfo? baseFile = null;
        var increments = new List<AofFileInfo>();
        int lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string? name = null, type = null;
            long seq = -1;
            for (int i = 0; i + 1 < parts.Length; i += 2)
            {
                switch (parts[i])
                {
                    case "file": name = parts[i + 1]; break;
                    case "seq": seq = long.TryParse(parts[i + 1], out long n) ? n : -1; break;
                    case "type": type = parts[i + 1]; break;
                }
            }
            if (name == null || seq < 0 || type is not ("b" or "i" or "h") || name.Contains('/'))
                throw new AofLoadException($"Invalid AOF manifest file format: {path} line {lineNumber}");
            var file = new AofFileInfo(name, seq, type[0]);
            if (file.Type == 'b')
            {
                if (baseFile != null) throw new AofLoadException($"Found duplicate base file information in {path}");
                baseFile = file;
            }
            else if (file.Type == 'i') increments.Add(file);
            // 'h' (history) files are left over from a rewrite: not part of the data.
        }
        if (baseFile == null && increments.Count == 0) throw new AofLoadException($"Found an empty AOF manifest: {path}");
        return new AofManifest(baseFile, increments);
    }

    public string Format()
    {
        var text = new StringBuilder();
        foreach (var file in Files) text.Append($"file {file.Name} seq {file.Seq} type {file.Type}\n");
        return text.ToString();
    }

    /// <summary>Writes the manifest so that a crash at any moment leaves the old or the new one whole.</summary>
    public void SaveAtomically(string path) => AofFiles.ReplaceAtomically(path, Encoding.UTF8.GetBytes(Format()));
}

/// <summary>The AOF cannot be loaded as it is; the message says which file, where, and what to do.</summary>
public sealed class AofLoadException(string message) : Exception(message);
