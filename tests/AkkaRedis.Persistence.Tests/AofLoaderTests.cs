namespace AkkaRedis.Persistence.Tests;

public class AofLoaderTests : IDisposable
{
    private readonly string _directory = Aof.NewDirectory();
    private readonly List<string> _log = [];

    public void Dispose() => Directory.Delete(_directory, true);

    private AofManifest Write(string baseText, params string[] increments)
    {
        File.WriteAllText(Path.Combine(_directory, "a.1.base.aof"), baseText);
        var files = new List<AofFileInfo>();
        for (int i = 0; i < increments.Length; i++)
        {
            File.WriteAllText(Path.Combine(_directory, $"a.{i + 1}.incr.aof"), increments[i]);
            files.Add(new AofFileInfo($"a.{i + 1}.incr.aof", i + 1, 'i'));
        }
        return new AofManifest(new AofFileInfo("a.1.base.aof", 1, 'b'), files);
    }

    private AofLoadResult Load(AofManifest manifest, bool truncated = true, bool damaged = false) =>
        AofLoader.Load(_directory, manifest, new Aof.FirstByteRouter(2), new AofLoadOptions(truncated, damaged), _log.Add);

    private static List<string> Units(AofLoadResult result, int shard) =>
        result.Chunks[shard].SelectMany(c => c.ReadUnits()).Select(u => string.Join(" | ", u.Select(c => $"{c.Db}:{Aof.Text(c.Args)}"))).ToList();

    [Fact]
    public void RoutesUnitsByKeyInFileOrderWithTheirDatabase()
    {
        // 'a' = 97 (shard 1), 'b' = 98 (shard 0).
        var manifest = Write(Aof.Resp("SET", "a", "1"),
            Aof.Resp("SET", "b", "2") + Aof.Resp("SELECT", "3") + Aof.Resp("INCR", "a") + Aof.Resp("FLUSHALL"),
            Aof.Resp("RPUSH", "b", "x"));
        var result = Load(manifest);
        Assert.Equal(["0:SET a 1", "3:INCR a", "3:FLUSHALL"], Units(result, 1));
        Assert.Equal(["0:SET b 2", "3:FLUSHALL", "0:RPUSH b x"], Units(result, 0));
        Assert.Equal(6, result.Commands);
    }

    [Fact]
    public void CommandsCopiedByTheirBytesAcrossBufferRefillsLoadAsTheyWereWritten()
    {
        // SET and RPUSH take the quick path (copied as read), INCR and SELECT the other; values large enough that
        // commands straddle the reader's 1 MB refills, and one larger than its buffer.
        var text = new System.Text.StringBuilder();
        var expected = new List<string>[] { [], [] };
        int db = 0;
        for (int i = 0; i < 400; i++)
        {
            string key = (char)('a' + i % 4) + i.ToString(), value = new string((char)('0' + i % 10), i == 200 ? 3_000_000 : 7_000 + i);
            string[] command = (i % 7) switch { 0 => ["INCR", key], 3 => ["RPUSH", key, value, "x"], _ => ["SET", key, value] };
            if (i % 50 == 49)
            {
                db = (db + 1) % 3;
                text.Append(Aof.Resp("SELECT", db.ToString()));
            }
            text.Append(Aof.Resp(command));
            expected[key[0] % 2].Add($"{db}:{string.Join(' ', command)}");
        }
        var result = Load(Write("", text.ToString()));
        Assert.Equal(expected[0], Units(result, 0));
        Assert.Equal(expected[1], Units(result, 1));
        Assert.Equal(408, result.Commands);
    }

    [Fact]
    public void AMultiBlockIsOneUnitSplitByShard()
    {
        var manifest = Write("", Aof.Resp("MULTI") + Aof.Resp("SET", "a", "1") + Aof.Resp("SET", "b", "2") + Aof.Resp("SET", "aa", "3") + Aof.Resp("EXEC"));
        var result = Load(manifest);
        Assert.Equal(["0:SET a 1 | 0:SET aa 3"], Units(result, 1));
        Assert.Equal(["0:SET b 2"], Units(result, 0));
    }

    [Fact]
    public void ACutOffLastCommandIsDroppedAndTheFileTruncated()
    {
        var whole = Aof.Resp("SET", "a", "1");
        var manifest = Write("", whole + Aof.Resp("SET", "b", "2")[..7]);
        var result = Load(manifest);
        Assert.Equal(["0:SET a 1"], Units(result, 1));
        Assert.Empty(Units(result, 0));
        Assert.Equal(whole.Length, new FileInfo(Path.Combine(_directory, "a.1.incr.aof")).Length);
        Assert.Contains(_log, line => line.Contains("aof-load-truncated"));
    }

    [Fact]
    public void AMultiWithoutItsExecAtTheEndIsReverted()
    {
        var whole = Aof.Resp("SET", "a", "1");
        var manifest = Write("", whole + Aof.Resp("MULTI") + Aof.Resp("SET", "b", "2"));
        var result = Load(manifest);
        Assert.Equal(["0:SET a 1"], Units(result, 1));
        Assert.Empty(Units(result, 0));
        Assert.Equal(whole.Length, new FileInfo(Path.Combine(_directory, "a.1.incr.aof")).Length);
    }

    [Fact]
    public void ATruncatedTailRefusesToLoadWhenNotAllowed()
    {
        var manifest = Write("", Aof.Resp("SET", "a", "1") + "*3\r\n$3\r\nSET");
        var e = Assert.Throws<AofLoadException>(() => Load(manifest, truncated: false));
        Assert.Contains("a.1.incr.aof", e.Message);
        Assert.Contains("aof-load-truncated", e.Message);
    }

    [Fact]
    public void DamageInTheMiddleNamesTheFileAndOffsetAndLoadsNothing()
    {
        var first = Aof.Resp("SET", "a", "1");
        var manifest = Write("", first + "garbage\r\n" + Aof.Resp("SET", "b", "2"));
        var e = Assert.Throws<AofLoadException>(() => Load(manifest));
        Assert.Contains($"a.1.incr.aof at offset {first.Length}", e.Message);
        // The file is left as it was for the user to inspect.
        Assert.Equal(first.Length + 9 + Aof.Resp("SET", "b", "2").Length, new FileInfo(Path.Combine(_directory, "a.1.incr.aof")).Length);
    }

    [Fact]
    public void DamageInAnEarlierFileIsNeverTreatedAsATruncatedTail()
    {
        var manifest = Write(Aof.Resp("SET", "a", "1") + "*3\r\n$3\r\nSE", Aof.Resp("SET", "b", "2"));
        var e = Assert.Throws<AofLoadException>(() => Load(manifest));
        Assert.Contains("a.1.base.aof", e.Message);
    }

    [Fact]
    public void LoadingUpToTheDamageIsAnOptIn()
    {
        var manifest = Write("", Aof.Resp("SET", "a", "1") + "garbage\r\n" + Aof.Resp("SET", "b", "2"));
        var result = Load(manifest, damaged: true);
        Assert.Equal(["0:SET a 1"], Units(result, 1));
        Assert.Empty(Units(result, 0));
        Assert.Contains(_log, line => line.Contains("aof-load-damaged"));
    }

    [Fact]
    public void AnUnknownCommandIsDamage()
    {
        var manifest = Write("", Aof.Resp("SET", "a", "1") + Aof.Resp("BOGUS", "x"));
        var e = Assert.Throws<AofLoadException>(() => Load(manifest));
        Assert.Contains("Unknown command 'BOGUS'", e.Message);
    }
}
