using System.Globalization;
using System.Text;

namespace AkkaRedis.Server;

/// <summary>
/// redis.conf and redis-server's command line, read as Redis reads them (loadServerConfigFromString): one directive a
/// line, arguments split as sdssplitargs splits them (double quotes with escapes, single quotes), '#' comments,
/// <c>include</c> of another file; options after the file name (<c>--port 6380 --save 60 1000</c>) are directives too,
/// read after the file's, so they win.
/// </summary>
public static class ConfigFile
{
    /// <summary>One directive: its name (lower case) and arguments, and where it was read, for errors.</summary>
    public sealed record Directive(string Name, string[] Args, int Line, string Text);

    /// <summary>A directive Redis would refuse, with the line it was read from (0: none), reported as Redis reports it.</summary>
    public sealed class ConfigException(string message, int line = 0, string? text = null) : Exception(message)
    {
        public int Line { get; } = line;
        public string? Text { get; } = text;

        /// <summary>Redis's report of a bad configuration (its wording, so tools that look for it find it).</summary>
        public string Report()
        {
            var report = new StringBuilder("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n");
            if (Text != null) report.Append($"Reading the configuration file, at line {Line}\n>>> '{Text}'\n");
            return report.Append(Message).ToString();
        }
    }

    /// <summary>
    /// The directives of a command line: an optional configuration file first (any first argument not starting with
    /// '-'; "-" reads it from standard input, as redis-server does), then each <c>--name arg...</c>. Lines are numbered
    /// on from the file's, as Redis numbers the options it appends to the file's text.
    /// </summary>
    public static (List<Directive> Directives, string? FilePath) FromCommandLine(string[] args, Func<TextReader>? stdin = null)
    {
        var directives = new List<Directive>();
        string? path = null;
        int start = 0;
        if (args.Length > 0 && (args[0] == "-" || !args[0].StartsWith('-')))
        {
            if (args[0] == "-")
                directives.AddRange(Parse((stdin ?? (() => Console.In))().ReadToEnd()));
            else
            {
                path = Path.GetFullPath(args[0]);
                directives.AddRange(Read(path));
            }
            start = 1;
        }
        int line = directives.Count == 0 ? 0 : directives[^1].Line;
        for (int i = start; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || args[i].Length == 2)
                throw new ConfigException("Bad directive or wrong number of arguments", ++line, args[i]);
            var name = args[i][2..].ToLowerInvariant();
            var values = new List<string>();
            // As redis-server: the words up to the next --option are this option's arguments.
            while (i + 1 < args.Length && !(args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2)) values.Add(args[++i]);
            directives.Add(new Directive(name, [.. values], ++line, string.Join(' ', [name, .. values.Select(Quote)])));
        }
        return (directives, path);
    }

    /// <summary>The directives of a file (and the files it includes).</summary>
    public static List<Directive> Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"Fatal error, can't open config file '{path}': {e.Message}");
        }
        return Parse(text);
    }

    /// <summary>The directives of a configuration's text; an included file's relative name is under the working directory, as Redis reads it.</summary>
    public static List<Directive> Parse(string text)
    {
        var directives = new List<Directive>();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim(' ', '\t', '\r', '\n');
            if (line.Length == 0 || line[0] == '#') continue;
            var words = SplitArgs(line) ?? throw new ConfigException("Unbalanced quotes in configuration line", i + 1, line);
            if (words.Count == 0) continue;
            var name = words[0].ToLowerInvariant();
            if (name == "include")
            {
                if (words.Count != 2) throw new ConfigException("Bad directive or wrong number of arguments", i + 1, line);
                directives.AddRange(Read(Path.GetFullPath(words[1])));
                continue;
            }
            directives.Add(new Directive(name, [.. words.Skip(1)], i + 1, line));
        }
        return directives;
    }

    /// <summary>sdssplitargs: words split on blanks, "double quoted" with \n \r \t \b \a \\ \" \xHH, 'single quoted' with \'; null for unbalanced quotes.</summary>
    public static List<string>? SplitArgs(string line)
    {
        var words = new List<string>();
        int p = 0;
        while (true)
        {
            while (p < line.Length && char.IsWhiteSpace(line[p])) p++;
            if (p == line.Length) return words;
            var word = new StringBuilder();
            bool inDouble = false, inSingle = false, done = false;
            while (!done)
            {
                if (inDouble)
                {
                    if (p == line.Length) return null;
                    if (line[p] == '\\' && p + 3 < line.Length && line[p + 1] == 'x' && Uri.IsHexDigit(line[p + 2]) && Uri.IsHexDigit(line[p + 3]))
                    {
                        word.Append((char)int.Parse(line.AsSpan(p + 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        p += 3;
                    }
                    else if (line[p] == '\\' && p + 1 < line.Length)
                    {
                        p++;
                        word.Append(line[p] switch { 'n' => '\n', 'r' => '\r', 't' => '\t', 'b' => '\b', 'a' => '\a', var c => c });
                    }
                    else if (line[p] == '"')
                    {
                        // The closing quote must be followed by a blank or the end.
                        if (p + 1 < line.Length && !char.IsWhiteSpace(line[p + 1])) return null;
                        done = true;
                    }
                    else word.Append(line[p]);
                }
                else if (inSingle)
                {
                    if (p == line.Length) return null;
                    if (line[p] == '\\' && p + 1 < line.Length && line[p + 1] == '\'')
                    {
                        p++;
                        word.Append('\'');
                    }
                    else if (line[p] == '\'')
                    {
                        if (p + 1 < line.Length && !char.IsWhiteSpace(line[p + 1])) return null;
                        done = true;
                    }
                    else word.Append(line[p]);
                }
                else if (p == line.Length)
                {
                    done = true;
                    p--;
                }
                else
                {
                    switch (line[p])
                    {
                        case ' ' or '\n' or '\r' or '\t' or '\0':
                            done = true;
                            break;
                        case '"':
                            inDouble = true;
                            break;
                        case '\'':
                            inSingle = true;
                            break;
                        default:
                            word.Append(line[p]);
                            break;
                    }
                }
                p++;
            }
            words.Add(word.ToString());
        }
    }

    /// <summary>An argument as Redis shows it in a configuration error (sdscatrepr, of its UTF-8 bytes): quoted, with escapes.</summary>
    public static string Quote(string value) => AkkaRedis.Protocol.SdsRepr.Append(new StringBuilder(), Encoding.UTF8.GetBytes(value)).ToString();
}
