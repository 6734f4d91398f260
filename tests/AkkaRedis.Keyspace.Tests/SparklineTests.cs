using AkkaRedis.Keyspace.Server;

namespace AkkaRedis.Keyspace.Tests;

public sealed class SparklineTests
{
    [Fact]
    public void SamplesPastTheColumnsWrapIntoAnotherGraphScaledLikeTheFirst()
    {
        // 85 samples rising from 0 to 84: 80 columns, a blank line, then the other 5, on the whole sequence's scale.
        var samples = Enumerable.Range(0, 85).Select(i => ((double)i, i.ToString())).ToList();
        var lines = Sparkline.Render(samples, 80, 4).Split('\n');
        // Per part: 4 rows, a blank line, 2 label rows (the longest label has two digits); a line between the parts.
        Assert.Equal(7 + 1 + 7 + 1, lines.Length);
        Assert.All(lines[..7], line => Assert.Equal(80, line.Length));
        Assert.Equal(new string(' ', 80), lines[4]);
        Assert.Equal("", lines[7]);
        Assert.Equal(["#####", "|||||", "|||||", "|||||", "     ", "88888", "01234"], lines[8..15]);
        Assert.StartsWith("_", lines[3]); // the smallest sample is the lowest step
        Assert.Equal("0123456789", lines[5][..10]);
        Assert.Equal("          ", lines[6][..10]); // one-digit labels have no second row
    }
}
