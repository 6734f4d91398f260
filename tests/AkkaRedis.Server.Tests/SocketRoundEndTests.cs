using AkkaRedis.Server.Network;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// The round end of socket threads. Its use, the journal writing once per round, is tested on the real server
/// (PersistenceTests.ARoundOfSocketEventsIsOneWriteToTheAof); here, the process it cannot serve.
/// </summary>
public sealed class SocketRoundEndTests
{
    [Fact]
    public async Task WhereSocketCompletionsRunOnThePoolThereIsNoRoundEnd()
    {
        // This test process leaves DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS unset, so socket completions are pool
        // work: nothing runs after a socket thread's round, and the journal writes at once.
        Assert.Null(Environment.GetEnvironmentVariable(SocketThreads.InlineCompletionsVariable));
        Assert.Null(await SocketRoundEnd.Start());
    }
}
