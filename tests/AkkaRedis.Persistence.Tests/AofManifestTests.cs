namespace AkkaRedis.Persistence.Tests;

public class AofManifestTests
{
    /// <summary>The format is pinned: it is Redis 7's, and redis-server must be able to read what we write.</summary>
    [Fact]
    public void FormatIsRedisSevenManifest()
    {
        var manifest = new AofManifest(new AofFileInfo("appendonly.aof.2.base.aof", 2, 'b'),
            [new AofFileInfo("appendonly.aof.3.incr.aof", 3, 'i'), new AofFileInfo("appendonly.aof.4.incr.aof", 4, 'i')]);
        Assert.Equal(
            "file appendonly.aof.2.base.aof seq 2 type b\n" +
            "file appendonly.aof.3.incr.aof seq 3 type i\n" +
            "file appendonly.aof.4.incr.aof seq 4 type i\n", manifest.Format());
    }

    /// <summary>A Redis 6 appendonly.aof beside the directory becomes its base (Redis 7's upgrade), also after a crash mid-way.</summary>
    [Fact]
    public void ARedisSixAofBesideTheDirectoryBecomesTheBase()
    {
        var dir = Aof.NewDirectory();
        try
        {
            var aofDirectory = Path.Combine(dir, "appendonlydir");
            File.WriteAllText(Path.Combine(dir, "appendonly.aof"), "*1\r\n$4\r\nPING\r\n");
            var manifest = AofWriter.OpenOrCreate(aofDirectory, "appendonly.aof");
            Assert.Equal("file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n", manifest.Format());
            Assert.Equal(manifest.Format(), File.ReadAllText(Path.Combine(aofDirectory, "appendonly.aof.manifest")));
            Assert.Equal("*1\r\n$4\r\nPING\r\n", File.ReadAllText(Path.Combine(aofDirectory, "appendonly.aof")));
            Assert.False(File.Exists(Path.Combine(dir, "appendonly.aof")));

            // A crash after the manifest was written and before the file moved: the next start moves it.
            File.Move(Path.Combine(aofDirectory, "appendonly.aof"), Path.Combine(dir, "appendonly.aof"));
            Assert.Equal(manifest.Format(), AofWriter.OpenOrCreate(aofDirectory, "appendonly.aof").Format());
            Assert.True(File.Exists(Path.Combine(aofDirectory, "appendonly.aof")));
            Assert.False(File.Exists(Path.Combine(dir, "appendonly.aof")));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void ParsesWhatRedisWritesAndIgnoresHistoryFiles()
    {
        var manifest = AofManifest.Parse(
            "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\n", "m");
        Assert.Equal("appendonly.aof.1.base.rdb", manifest.Base!.Name);
        Assert.Equal(["appendonly.aof.2.incr.aof"], manifest.Increments.Select(i => i.Name));
    }

    [Theory]
    [InlineData("file a seq 1\n")]
    [InlineData("file a/b seq 1 type i\n")]
    [InlineData("file a seq 1 type b\nfile b seq 2 type b\n")]
    [InlineData("\n")]
    public void RejectsBadManifests(string text) => Assert.Throws<AofLoadException>(() => AofManifest.Parse(text, "m"));

    [Fact]
    public void SavingReplacesTheManifestAndLeavesNoTemporaryFile()
    {
        var directory = Aof.NewDirectory();
        var path = Path.Combine(directory, "appendonly.aof.manifest");
        File.WriteAllText(path, "old");
        var manifest = new AofManifest(null, [new AofFileInfo("appendonly.aof.1.incr.aof", 1, 'i')]);
        manifest.SaveAtomically(path);
        Assert.Equal(manifest.Format(), File.ReadAllText(path));
        Assert.Equal(["appendonly.aof.manifest"], Directory.GetFiles(directory).Select(Path.GetFileName));
        Directory.Delete(directory, true);
    }
}
