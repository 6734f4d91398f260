using System.Text.Json;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// The server's runtime settings that measurements chose (see the server's csproj for the figures): they live in its
/// runtimeconfig.json, where an SDK or project change could drop them without any other test noticing.
/// </summary>
public sealed class RuntimeConfigTests
{
    private static JsonElement Properties()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "akkaredis-server.runtimeconfig.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }

    [Theory]
    [InlineData("System.GC.Server", "true")]
    [InlineData("System.GC.DynamicAdaptationMode", "0")]
    [InlineData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", "0")]
    [InlineData("System.Runtime.TieredCompilation.CallCountingDelayMs", "0")]
    [InlineData("System.Runtime.TieredCompilation.CallCountThreshold", "1000")]
    public void TheServerRunsWithItsMeasuredSettings(string name, string value) =>
        Assert.Equal(value, Properties().GetProperty(name).ToString().ToLowerInvariant());
}
