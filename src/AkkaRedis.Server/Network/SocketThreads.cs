namespace AkkaRedis.Server.Network;

/// <summary>
/// The .NET socket engine's threads (the epoll loops). By default they hand each completed read or write to the
/// thread pool; with inline completions they run it themselves, and with them the actors it makes runnable (see
/// <see cref="LocalFirstExecutorConfigurator"/>).
/// </summary>
public static class SocketThreads
{
    /// <summary>The switch the runtime reads once, when the first socket starts its engine.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>The engine's thread count (io-threads), read with the switch above.</summary>
    public const string ThreadCountVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>The name the runtime gives its socket engine threads.</summary>
    public const string ThreadName = ".NET Sockets";

    [ThreadStatic] private static int t_kind; // 0: not yet known, 1: a socket engine thread, 2: another

    public static bool IsCurrent
    {
        get
        {
            if (t_kind == 0) t_kind = Thread.CurrentThread.Name == ThreadName ? 1 : 2;
            return t_kind == 1;
        }
    }

    /// <summary>
    /// Sets the engine's thread count (io-threads) and whether its threads run completions themselves; must run before
    /// the process opens its first socket. A variable the user set in the environment wins.
    /// </summary>
    public static void Configure(int threads, bool runCompletionsInline)
    {
        SetUnlessGiven(ThreadCountVariable, threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (runCompletionsInline) SetUnlessGiven(InlineCompletionsVariable, "1");
    }

    private static void SetUnlessGiven(string variable, string value)
    {
        if (Environment.GetEnvironmentVariable(variable) == null) Environment.SetEnvironmentVariable(variable, value);
    }
}
