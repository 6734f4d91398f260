using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>The count rules shared by HRANDFIELD and SRANDMEMBER: positive means distinct picks, negative means picks may repeat.</summary>
public static class RandomPicks
{
    /// <summary>Parses the count (getRangeLongFromObjectOrReply with -LONG_MAX..LONG_MAX).</summary>
    public static bool TryCount(CommandContext c, byte[] arg, out long count, out bool unique)
    {
        unique = true;
        if (!Args.TryInteger(c, arg, out count)) return false;
        if (count == long.MinValue)
        {
            c.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
            return false;
        }
        if (count < 0)
        {
            count = -count;
            unique = false;
        }
        return true;
    }

    /// <summary>
    /// Picks that may repeat are as many as asked, whatever the collection's size: past this many the reply could not
    /// be held (a reply is at most 2 GB, and a pick takes at least 7 bytes), and building it first took the process to
    /// 20 GB before failing. Redis streams such a reply; here it is refused, once there is something to pick from.
    /// </summary>
    public const long MaxRepeatedPicks = int.MaxValue / 8;

    /// <summary>True (the error written) when <see cref="Choose"/> would be asked for more repeated picks than a reply can hold.</summary>
    public static bool TooMany(CommandContext c, int size, long count, bool unique)
    {
        if (unique || size == 0 || count <= MaxRepeatedPicks) return false;
        c.Error($"ERR value is out of range, a negative count may ask for at most {MaxRepeatedPicks} elements here");
        return true;
    }

    /// <summary>Indexes into a collection of <paramref name="size"/>: distinct (all of them, in order, when count &gt;= size) or with repeats.</summary>
    public static List<int> Choose(Random random, int size, long count, bool unique)
    {
        var picks = new List<int>();
        if (size == 0 || count == 0) return picks;
        if (!unique)
        {
            for (long i = 0; i < count; i++) picks.Add(random.Next(size));
            return picks;
        }
        if (count >= size)
        {
            for (int i = 0; i < size; i++) picks.Add(i);
            return picks;
        }
        // A partial Fisher-Yates shuffle: count distinct indexes.
        var indexes = Enumerable.Range(0, size).ToArray();
        for (int i = 0; i < count; i++)
        {
            int j = random.Next(i, size);
            (indexes[i], indexes[j]) = (indexes[j], indexes[i]);
            picks.Add(indexes[i]);
        }
        return picks;
    }
}
