using AkkaRedis.Keyspace.Data;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>
/// The blocking commands' common ground (blocked.c) and the list ones: BLPOP, BRPOP, BLMPOP, BRPOPLPUSH, BLMOVE
/// (t_list.c); the sorted-set ones (BZPOPMIN...) are in <see cref="SortedSets"/>. Served at once when a key has
/// elements; otherwise the client waits on every key (see <see cref="BlockedClient"/>) and the first shard that sees a
/// write fill one serves it. Inside MULTI (no BlockedClient payload) they behave as the non-blocking forms.
/// </summary>
public static class BlockingCommands
{
    public static void Register(CommandTable.Builder table) => table
        .Keyed("blpop", c => Run(c, x => BPop(x, left: true)))
        .Keyed("brpop", c => Run(c, x => BPop(x, left: false)))
        .Keyed("blmpop", c => Run(c, BLMPop))
        .Keyed("brpoplpush", c => Run(c, x => BMove(x, fromLeft: false, toLeft: true, timeoutIndex: 3)))
        .Keyed("blmove", c => Run(c, BLMove));

    /// <summary>Runs a blocking command only if its client is still pending, and marks it finished unless it blocked.</summary>
    public static void Run(CommandContext c, Action<CommandContext> command)
    {
        var client = c.Payload as BlockedClient;
        if (client != null && !client.TryStart())
        {
            c.Blocked = true; // already answered by its timeout or disconnect: nothing to say
            return;
        }
        command(c);
        if (client != null && !c.Blocked) client.Finish();
    }

    /// <summary>getTimeoutFromObjectOrReply: seconds as a long double, not negative once in milliseconds; milliseconds out.</summary>
    public static bool TryTimeout(CommandContext c, byte[] arg, out long milliseconds) => TryTimeout(c, arg, out milliseconds, inMilliseconds: false);

    /// <summary>As <see cref="TryTimeout(CommandContext, byte[], out long)"/>, the argument in milliseconds when <paramref name="inMilliseconds"/> (XREAD's BLOCK).</summary>
    public static bool TryTimeout(CommandContext c, byte[] arg, out long result, bool inMilliseconds)
    {
        result = 0;
        // strtold, as getLongDoubleFromObject: a long double's range, so 1e400 is a number, but out of range here.
        if (!LongDouble.TryParse(arg, out var seconds))
        {
            c.Error("ERR timeout is not a float or out of range");
            return false;
        }
        // Rounded up to whole milliseconds, as Redis does: -0.0001 s is 0, no timeout. Redis then casts to long long,
        // which turns a value past its range negative (x86's conversion of an overflow).
        double ms = Math.Ceiling(seconds.ToDouble() * (inMilliseconds ? 1 : 1000));
        if (ms < 0 || ms >= 9.2233720368547758e18)
        {
            c.Error("ERR timeout is negative");
            return false;
        }
        result = (long)ms;
        return true;
    }

    /// <summary>
    /// Waits on the keys, or (inside MULTI) answers the null array at once. <paramref name="isReady"/> says which values
    /// can serve it (by default a non-empty list).
    /// </summary>
    public static void Block(CommandContext c, IEnumerable<byte[]> keys, Func<CommandContext, byte[], bool> serve, Func<byte[], object?, bool>? isReady = null)
    {
        if (c.Payload is not BlockedClient client)
        {
            c.Reply.WriteNullArray();
            return;
        }
        client.Serve = serve;
        if (isReady != null) client.IsReady = isReady;
        client.Db = c.Db;
        client.Spec = c.Spec;
        client.Args = c.Args;
        client.Resp3 = c.Reply.Resp3;
        client.WaitOn(c.Keyspace, keys);
        c.Blocked = true;
    }

    /// <summary>
    /// The keys a blocking command pops from (BLMOVE's and BRPOPLPUSH's source; every key of the others) and which values
    /// can serve it: what it waits on once it blocks, for whoever must know without running it (a cluster's waker).
    /// </summary>
    public static (IEnumerable<byte[]> Sources, Func<byte[], object?, bool> IsReady) WaitsOn(CommandSpec spec, byte[][] args)
    {
        if (spec.Name is "xread" or "xreadgroup") return Streams.WaitsOn(args);
        var sources = spec.Name is "blmove" or "brpoplpush" ? [args[1]] : spec.KeyPositions(args).Select(p => args[p]);
        return (sources, spec.Name.StartsWith("bz", StringComparison.Ordinal) ? SortedSets.IsNonEmptySortedSet : IsNonEmptyList);
    }

    /// <summary>Whether this request can block: always for BLPOP and the like; XREAD and XREADGROUP only with BLOCK.</summary>
    public static bool MayBlock(CommandSpec spec, byte[][] args) =>
        spec.IsBlocking && (spec.Name is not ("xread" or "xreadgroup") || Streams.TryBlockMilliseconds(args, out _));

    public static bool IsNonEmptyList(byte[] key, object? value) => value is RedisList { Count: > 0 };

    /// <summary>The first non-empty list among the keys, WRONGTYPE (and false) at the first key of another type.</summary>
    private static bool TryFirstList(CommandContext c, int from, int to, out byte[]? key) =>
        TryFirstNonEmpty<RedisList>(c, from, to, list => list.Count, out key);

    /// <summary>The first key of <paramref name="from"/>..<paramref name="to"/> holding a non-empty <typeparamref name="T"/>; WRONGTYPE (and false) at the first key of another type.</summary>
    public static bool TryFirstNonEmpty<T>(CommandContext c, int from, int to, Func<T, int> count, out byte[]? key) where T : class
    {
        key = null;
        for (int i = from; i < to; i++)
        {
            var found = c.Write(c[i]);
            if (found == null) continue;
            if (found.Value is not T value)
            {
                c.Error(RespErrors.WrongType);
                return false;
            }
            if (count(value) == 0) continue;
            key = c[i];
            return true;
        }
        return true;
    }

    private static void BPop(CommandContext c, bool left)
    {
        if (!TryTimeout(c, c[c.Argc - 1], out _)) return;
        if (!TryFirstList(c, 1, c.Argc - 1, out var key)) return;
        if (key != null)
        {
            PopOne(c, key, left);
            return;
        }
        Block(c, c.Args[1..^1], (context, readyKey) => PopOne(context, readyKey, left));
    }

    /// <summary>Pops one element of the list at <paramref name="key"/> and answers [key, element].</summary>
    private static bool PopOne(CommandContext c, byte[] key, bool left)
    {
        var entry = c.Write(key)!;
        var list = (RedisList)entry.Value;
        var element = left ? list.PopFront() : list.PopBack();
        Lists.Popped(c, key, entry, list, left);
        c.Reply.WriteArrayHeader(2);
        c.Reply.WriteBulk(key);
        c.Reply.WriteBulk(element);
        c.Propagate([left ? Cmd.LPop : Cmd.RPop, key]);
        return true;
    }

    private static void BLMPop(CommandContext c)
    {
        if (!TryTimeout(c, c[1], out _)) return;
        if (!Lists.TryMPopArguments(c, 2, out int keysEnd, out bool left, out long count)) return;
        if (!TryFirstList(c, 3, keysEnd, out var key)) return;
        if (key != null)
        {
            Lists.PopMany(c, key, left, count);
            return;
        }
        Block(c, c.Args[3..keysEnd], (context, readyKey) =>
        {
            Lists.PopMany(context, readyKey, left, count);
            return true;
        });
    }

    private static void BLMove(CommandContext c)
    {
        if (!Lists.TryDirection(c, c[3], out bool fromLeft) || !Lists.TryDirection(c, c[4], out bool toLeft)) return;
        BMove(c, fromLeft, toLeft, timeoutIndex: 5);
    }

    private static void BMove(CommandContext c, bool fromLeft, bool toLeft, int timeoutIndex)
    {
        if (!TryTimeout(c, c[timeoutIndex], out _)) return;
        var source = c.Write(c[1]);
        if (!c.TryGet<RedisList>(source, out var list)) return;
        if (list is { Count: > 0 })
        {
            Lists.Move(c, fromLeft, toLeft);
            return;
        }
        var destination = c[2];
        // Inside MULTI it is RPOPLPUSH / LMOVE, whose empty source answers a null bulk string, not a null array.
        if (c.Payload is not BlockedClient)
        {
            c.Reply.WriteNull();
            return;
        }
        Block(c, [c[1]], (context, readyKey) => ServeMove(context, readyKey, destination, fromLeft, toLeft));
    }

    /// <summary>
    /// Serves a woken BLMOVE: on the destination's own shard the move is done here; otherwise the element is
    /// popped here and delivered by the destination's shard, which answers the client (returns false: no reply yet).
    /// </summary>
    private static bool ServeMove(CommandContext c, byte[] source, byte[] destination, bool fromLeft, bool toLeft)
    {
        int destinationShard = c.Keyspace.SlotOwner[HashSlot.Of(destination)];
        if (destinationShard == c.Shard.Index)
        {
            var destinationEntry = c.Write(destination);
            if (destinationEntry != null && destinationEntry.Value is not RedisList)
            {
                c.Error(RespErrors.WrongType);
                return true;
            }
            c.Args = [Cmd.LMove, source, destination];
            Lists.Move(c, fromLeft, toLeft);
            return true;
        }
        var entry = c.Write(source)!;
        var list = (RedisList)entry.Value;
        var element = fromLeft ? list.PopFront() : list.PopBack();
        // The push and its event happen on the destination's shard, after this pop's.
        Lists.Popped(c, source, entry, list, fromLeft);
        c.Propagate(fromLeft ? Cmd.LPop : Cmd.RPop, source);
        c.Deliveries.Add((destinationShard, new Shards.DeliverElement(c.Db, destination, element, toLeft, null, source, fromLeft)));
        return false;
    }
}
