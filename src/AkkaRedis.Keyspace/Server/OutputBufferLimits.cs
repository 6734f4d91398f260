using System.Globalization;
using AkkaRedis.Keyspace.Commands;

namespace AkkaRedis.Keyspace.Server;

/// <summary>
/// client-output-buffer-limit: per class of client (normal, replica, pubsub), the unwritten output at which the server
/// closes the connection: at once past the hard limit, or after staying past the soft limit for the soft seconds. 0 is
/// no limit. Immutable: a CONFIG SET replaces the whole value.
/// </summary>
public sealed class OutputBufferLimits
{
    public readonly record struct Limit(long Hard, long Soft, long SoftSeconds);

    /// <summary>Redis's defaults: "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60".</summary>
    public static readonly OutputBufferLimits Default = new([
        new Limit(0, 0, 0),
        new Limit(256L << 20, 64L << 20, 60),
        new Limit(32L << 20, 8L << 20, 60),
    ]);

    private static readonly string[] ClassNames = ["normal", "slave", "pubsub"];

    private readonly Limit[] _limits;

    private OutputBufferLimits(Limit[] limits) => _limits = limits;

    /// <summary>The limits of a normal, replica or pub/sub client (a master's output is never limited).</summary>
    public Limit For(ClientType type) => _limits[(int)type];

    /// <summary>
    /// The value with the classes <paramref name="text"/> names changed (setConfigClientOutputBufferLimitOption): groups
    /// of "class hard soft soft-seconds", checked all before any applies. Null, with Redis's reason, when it is refused.
    /// </summary>
    public OutputBufferLimits? With(string text, out string? error)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        error = null;
        if (words.Length % 4 != 0)
        {
            error = "Wrong number of arguments in buffer limit configuration.";
            return null;
        }
        var limits = (Limit[])_limits.Clone();
        for (int i = 0; i < words.Length; i += 4)
        {
            if (ClientTypes.ByName(words[i]) is not { } type || type == ClientType.Master)
            {
                error = "Invalid client class specified in buffer limit configuration.";
                return null;
            }
            if (!Args.TryMemory(words[i + 1], out long hard) || !Args.TryMemory(words[i + 2], out long soft) ||
                !long.TryParse(words[i + 3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long seconds) || seconds < 0)
            {
                error = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
                return null;
            }
            limits[(int)type] = new Limit(hard, soft, seconds);
        }
        return new OutputBufferLimits(limits);
    }

    /// <summary>As CONFIG GET shows it: every class, in bytes and seconds.</summary>
    public override string ToString() => string.Join(' ', _limits.Select((limit, i) =>
        string.Create(CultureInfo.InvariantCulture, $"{ClassNames[i]} {limit.Hard} {limit.Soft} {limit.SoftSeconds}")));
}
