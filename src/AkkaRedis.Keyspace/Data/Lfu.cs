namespace AkkaRedis.Keyspace.Data;

/// <summary>Redis's LFU access counter (evict.c): a logarithmic 8-bit counter that decays by one per lfu-decay-time minutes idle.</summary>
public static class Lfu
{
    public const byte InitialValue = 5;

    public static void Increment(Entry entry, long nowMs, int logFactor, int decayMinutes, Random random)
    {
        Decay(entry, nowMs, decayMinutes);
        byte counter = entry.Frequency;
        if (counter < 255)
        {
            double baseValue = Math.Max(0, counter - InitialValue);
            double probability = 1.0 / (baseValue * logFactor + 1);
            if (random.NextDouble() < probability) counter++;
        }
        entry.Frequency = counter;
        entry.LastAccessSeconds = nowMs / 1000;
    }

    /// <summary>The counter after decay, without changing the entry (OBJECT FREQ reads it this way).</summary>
    public static byte Current(Entry entry, long nowMs, int decayMinutes)
    {
        if (decayMinutes <= 0) return entry.Frequency;
        long idleMinutes = (nowMs / 1000 - entry.LastAccessSeconds) / 60;
        long periods = idleMinutes / decayMinutes;
        return (byte)Math.Max(0, entry.Frequency - periods);
    }

    private static void Decay(Entry entry, long nowMs, int decayMinutes) => entry.Frequency = Current(entry, nowMs, decayMinutes);
}
