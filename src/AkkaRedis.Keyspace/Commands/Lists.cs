using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>List commands (t_list.c), without the blocking forms.</summary>
public static class Lists
{
    public static void Register(CommandTable.Builder table) => table
        .Keyed("lpush", c => Push(c, left: true, onlyExisting: false))
        .Keyed("rpush", c => Push(c, left: false, onlyExisting: false))
        .Keyed("lpushx", c => Push(c, left: true, onlyExisting: true))
        .Keyed("rpushx", c => Push(c, left: false, onlyExisting: true))
        .Keyed("lpop", c => Pop(c, left: true))
        .Keyed("rpop", c => Pop(c, left: false))
        .Keyed("llen", c => WithList(c, l => c.Reply.WriteInteger(l?.Count ?? 0)))
        .Keyed("lindex", LIndex)
        .Keyed("lrange", LRange)
        .Keyed("lset", LSet)
        .Keyed("linsert", LInsert)
        .Keyed("lrem", LRem)
        .Keyed("ltrim", LTrim)
        .Keyed("lpos", LPos)
        .Keyed("lmove", LMove)
        .Keyed("rpoplpush", c => Move(c, fromLeft: false, toLeft: true))
        .Keyed("lmpop", LMPop);

    private static void WithList(CommandContext c, Action<RedisList?> action)
    {
        if (c.TryGet<RedisList>(c.Read(c[1]), out var list)) action(list);
    }

    private static void Push(CommandContext c, bool left, bool onlyExisting)
    {
        var entry = c.Write(c[1]);
        if (!c.TryGet<RedisList>(entry, out var list)) return;
        if (list == null)
        {
            if (onlyExisting)
            {
                c.Reply.WriteInteger(0);
                return;
            }
            list = new RedisList();
        }
        for (int i = 2; i < c.Argc; i++)
        {
            if (left) list.PushFront(c[i]);
            else list.PushBack(c[i]);
        }
        c.Store(c[1], entry, list, list.Count);
        c.Notify(KeyspaceEvent.List, left ? "lpush" : "rpush", c[1]);
        c.CountChanges(c.Argc - 2);
        c.Reply.WriteInteger(list.Count);
    }

    private static void Pop(CommandContext c, bool left)
    {
        bool hasCount = c.Argc == 3;
        if (c.Argc > 3)
        {
            c.Error(RespErrors.WrongArgs(c.Spec.Name));
            return;
        }
        long count = 1;
        if (hasCount && !Args.TryPositive(c, c[2], out count)) return;
        var entry = c.Write(c[1]);
        if (!c.TryGet<RedisList>(entry, out var list)) return;
        if (list == null)
        {
            if (hasCount) c.Reply.WriteNullArray();
            else c.Reply.WriteNull();
            return;
        }
        if (hasCount && count == 0)
        {
            c.Reply.WriteArrayHeader(0);
            return;
        }
        if (!hasCount)
        {
            if (left)
            {
                c.Reply.WriteBulk(list.First);
                list.RemoveFront(1);
            }
            else
            {
                c.Reply.WriteBulk(list.Last);
                list.RemoveBack(1);
            }
            Popped(c, c[1], entry, list, left);
            return;
        }
        int popped = WritePopped(c, list, left, count);
        Popped(c, c[1], entry, list, left);
        c.CountChanges(popped);
    }

    /// <summary>listElementsRemoved: the pop's event, then the list stored, or deleted (del) when it is empty.</summary>
    internal static void Popped(CommandContext c, byte[] key, Entry? entry, RedisList list, bool left)
    {
        c.Notify(KeyspaceEvent.List, left ? "lpop" : "rpop", key);
        c.Store(key, entry, list, list.Count);
    }

    /// <summary>Replies with up to <paramref name="count"/> elements and takes them off; how many it took.</summary>
    private static int WritePopped(CommandContext c, RedisList list, bool left, long count)
    {
        int n = (int)Math.Min(count, list.Count);
        c.Reply.WriteArrayHeader(n);
        foreach (var item in left ? list.Range(0, n) : list.Backwards(list.Count - 1, n)) c.Reply.WriteBulk(item);
        if (left) list.RemoveFront(n);
        else list.RemoveBack(n);
        return n;
    }

    /// <summary>LINDEX looks the key up before it parses the index (lindexCommand).</summary>
    private static void LIndex(CommandContext c) => WithList(c, l =>
    {
        if (l == null)
        {
            c.Reply.WriteNull();
            return;
        }
        if (!Args.TryInteger(c, c[2], out long index)) return;
        if (index < 0) index += l.Count;
        if (index < 0 || index >= l.Count) c.Reply.WriteNull();
        else c.Reply.WriteBulk(l.Get((int)index));
    });

    private static void LRange(CommandContext c)
    {
        if (!Args.TryInteger(c, c[2], out long start) || !Args.TryInteger(c, c[3], out long end)) return;
        WithList(c, l =>
        {
            if (l == null)
            {
                c.Reply.WriteArrayHeader(0);
                return;
            }
            long length = l.Count;
            if (start < 0) start = length + start;
            if (end < 0) end = length + end;
            if (start < 0) start = 0;
            if (start > end || start >= length)
            {
                c.Reply.WriteArrayHeader(0);
                return;
            }
            if (end >= length) end = length - 1;
            c.Reply.WriteArrayHeader(end - start + 1);
            foreach (var item in l.Range((int)start, (int)(end - start + 1))) c.Reply.WriteBulk(item);
        });
    }

    private static void LSet(CommandContext c)
    {
        var entry = c.Write(c[1]);
        if (entry == null)
        {
            c.Error(RespErrors.NoSuchKey);
            return;
        }
        if (!c.TryGet<RedisList>(entry, out var list)) return;
        if (!Args.TryInteger(c, c[2], out long index)) return;
        if (index < 0) index += list!.Count;
        if (index < 0 || index >= list!.Count)
        {
            c.Error(RespErrors.IndexOutOfRange);
            return;
        }
        list.Set((int)index, c[3]);
        c.KeyChanged(c[1]);
        c.Notify(KeyspaceEvent.List, "lset", c[1]);
        c.Reply.WriteOk();
    }

    private static void LInsert(CommandContext c)
    {
        bool after = Args.Is(c[2], "AFTER");
        if (!after && !Args.Is(c[2], "BEFORE"))
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        var entry = c.Write(c[1]);
        if (!c.TryGet<RedisList>(entry, out var list)) return;
        if (list == null)
        {
            c.Reply.WriteInteger(0);
            return;
        }
        int i = 0;
        foreach (var item in list)
        {
            if (!item.SequenceEqual(c[3]))
            {
                i++;
                continue;
            }
            list.Insert(after ? i + 1 : i, c[4]);
            c.KeyChanged(c[1]);
            c.Notify(KeyspaceEvent.List, "linsert", c[1]);
            c.Reply.WriteInteger(list.Count);
            return;
        }
        c.Reply.WriteInteger(-1);
    }

    private static void LRem(CommandContext c)
    {
        if (!Args.TryInteger(c, c[2], out long count)) return;
        var entry = c.Write(c[1]);
        if (!c.TryGet<RedisList>(entry, out var list)) return;
        long removed = 0;
        if (list != null)
        {
            removed = list.RemoveMatching(c[3], count);
            if (removed > 0)
            {
                c.Notify(KeyspaceEvent.List, "lrem", c[1]);
                c.Store(c[1], entry, list, list.Count);
            }
        }
        c.Reply.WriteInteger(removed);
    }

    private static void LTrim(CommandContext c)
    {
        if (!Args.TryInteger(c, c[2], out long start) || !Args.TryInteger(c, c[3], out long end)) return;
        var entry = c.Write(c[1]);
        if (!c.TryGet<RedisList>(entry, out var list)) return;
        if (list != null)
        {
            long length = list.Count;
            if (start < 0) start = length + start;
            // ltrimCommand counts the elements it removed (none: no change counted, though the key is signalled).
            if (end < 0) end = length + end;
            if (start < 0) start = 0;
            if (start > end || start >= length) list.Clear();
            else
            {
                if (end >= length) end = length - 1;
                list.Trim((int)start, (int)end);
            }
            c.Notify(KeyspaceEvent.List, "ltrim", c[1]);
            c.Store(c[1], entry, list, list.Count);
            c.CountChanges(length - list.Count);
        }
        c.Reply.WriteOk();
    }

    private static void LPos(CommandContext c)
    {
        long rank = 1, count = -1, maxLen = 0;
        for (int i = 3; i < c.Argc; i += 2)
        {
            if (i + 1 >= c.Argc)
            {
                c.Error(RespErrors.Syntax);
                return;
            }
            if (Args.Is(c[i], "RANK"))
            {
                if (!Args.TryInteger(c, c[i + 1], out rank)) return;
                if (rank == 0 || rank == long.MinValue)
                {
                    c.Error(rank == 0
                        ? "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
                        : "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
                    return;
                }
            }
            else if (Args.Is(c[i], "COUNT"))
            {
                if (!Args.TryLong(c[i + 1], out count) || count < 0)
                {
                    c.Error("ERR COUNT can't be negative");
                    return;
                }
            }
            else if (Args.Is(c[i], "MAXLEN"))
            {
                if (!Args.TryLong(c[i + 1], out maxLen) || maxLen < 0)
                {
                    c.Error("ERR MAXLEN can't be negative");
                    return;
                }
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        WithList(c, l =>
        {
            var matches = new List<long>();
            if (l != null)
            {
                bool forward = rank > 0;
                long skip = Math.Abs(rank) - 1;
                long want = count < 0 ? 1 : count == 0 ? long.MaxValue : count;
                long scanned = 0;
                foreach (var item in forward ? l.GetEnumerator() : l.Backwards(l.Count - 1, l.Count))
                {
                    if ((maxLen != 0 && scanned >= maxLen) || matches.Count >= want) break;
                    long index = forward ? scanned : l.Count - 1 - scanned;
                    scanned++;
                    if (!item.SequenceEqual(c[2])) continue;
                    if (skip > 0) skip--;
                    else matches.Add(index);
                }
            }
            if (count < 0)
            {
                if (matches.Count == 0) c.Reply.WriteNull();
                else c.Reply.WriteInteger(matches[0]);
                return;
            }
            c.Reply.WriteArrayHeader(matches.Count);
            foreach (var m in matches) c.Reply.WriteInteger(m);
        });
    }

    /// <summary>LEFT or RIGHT (ZMPOP: MIN or MAX, given as <paramref name="first"/> and <paramref name="second"/>); <paramref name="left"/> is the first.</summary>
    public static bool TryDirection(CommandContext c, byte[] arg, out bool left, string first = "LEFT", string second = "RIGHT")
    {
        left = Args.Is(arg, first);
        if (left || Args.Is(arg, second)) return true;
        c.Error(RespErrors.Syntax);
        return false;
    }

    private static void LMove(CommandContext c)
    {
        if (!TryDirection(c, c[3], out bool fromLeft) || !TryDirection(c, c[4], out bool toLeft)) return;
        Move(c, fromLeft, toLeft);
    }

    /// <summary>LMOVE / RPOPLPUSH: a missing source answers nil before the destination's type is looked at (lmoveGenericCommand).</summary>
    public static void Move(CommandContext c, bool fromLeft, bool toLeft)
    {
        var sourceEntry = c.Write(c[1]);
        if (!c.TryGet<RedisList>(sourceEntry, out var source)) return;
        if (source == null)
        {
            c.Reply.WriteNull();
            return;
        }
        var destinationEntry = c.Write(c[2]);
        if (!c.TryGet<RedisList>(destinationEntry, out var destination)) return;
        var value = fromLeft ? source.PopFront() : source.PopBack();
        if (ReferenceEquals(source, destination) || destination == null && c[1].AsSpan().SequenceEqual(c[2]))
        {
            destination = source;
            destinationEntry = sourceEntry;
        }
        destination ??= new RedisList();
        if (toLeft) destination.PushFront(value);
        else destination.PushBack(value);
        // lmoveHandlePush creates and fills the destination (new, lpush/rpush) before the source's pop and del.
        if (!ReferenceEquals(destination, source)) c.Store(c[2], destinationEntry, destination, destination.Count);
        c.Notify(KeyspaceEvent.List, toLeft ? "lpush" : "rpush", c[2]);
        Popped(c, c[1], sourceEntry, source, fromLeft);
        c.Reply.WriteBulk(value);
        // Journaled as LMOVE (also for RPOPLPUSH and a served BLMOVE), or as its two halves when the keys are in
        // different slots, so each half replays on the shard that owns its key.
        byte[] from = fromLeft ? Direction.Left : Direction.Right, to = toLeft ? Direction.Left : Direction.Right;
        if (HashSlot.Of(c[1]) == HashSlot.Of(c[2])) c.Propagate(Cmd.LMove, c[1], c[2], from, to);
        else
        {
            c.Propagate(fromLeft ? Cmd.LPop : Cmd.RPop, c[1]);
            c.Propagate(toLeft ? Cmd.LPush : Cmd.RPush, c[2], value);
        }
    }

    private static class Direction
    {
        public static readonly byte[] Left = "LEFT"u8.ToArray();
        public static readonly byte[] Right = "RIGHT"u8.ToArray();
    }

    private static void LMPop(CommandContext c)
    {
        if (!TryMPopArguments(c, 1, out int keysEnd, out bool left, out long count)) return;
        for (int k = 2; k < keysEnd; k++)
        {
            var entry = c.Write(c[k]);
            if (!c.TryGet<RedisList>(entry, out var list)) return;
            if (list == null) continue;
            PopMany(c, c[k], left, count);
            return;
        }
        c.Reply.WriteNullArray();
    }

    /// <summary>
    /// LMPOP / BLMPOP: numkeys at <paramref name="numKeysIndex"/>, the keys, LEFT|RIGHT, [COUNT n] (lmpopGenericCommand);
    /// ZMPOP's MIN|MAX are given as <paramref name="first"/> and <paramref name="second"/> (<paramref name="left"/>: the first).
    /// </summary>
    public static bool TryMPopArguments(CommandContext c, int numKeysIndex, out int keysEnd, out bool left, out long count, string first = "LEFT", string second = "RIGHT")
    {
        keysEnd = 0;
        left = false;
        count = 1;
        if (!Args.TryLong(c[numKeysIndex], out long numKeys) || numKeys <= 0)
        {
            c.Error("ERR numkeys should be greater than 0");
            return false;
        }
        if (numKeys > c.Argc - numKeysIndex - 2)
        {
            c.Error(RespErrors.Syntax);
            return false;
        }
        keysEnd = numKeysIndex + 1 + (int)numKeys;
        if (!TryDirection(c, c[keysEnd], out left, first, second)) return false;
        bool countGiven = false;
        for (int i = keysEnd + 1; i < c.Argc; i += 2)
        {
            if (Args.Is(c[i], "COUNT") && i + 1 < c.Argc && !countGiven)
            {
                if (!Args.TryLong(c[i + 1], out count) || count <= 0)
                {
                    c.Error("ERR count should be greater than 0");
                    return false;
                }
                countGiven = true;
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return false;
            }
        }
        return true;
    }

    /// <summary>Pops up to <paramref name="count"/> elements of a non-empty list and answers [key, [elements]].</summary>
    public static void PopMany(CommandContext c, byte[] key, bool left, long count)
    {
        var entry = c.Write(key)!;
        var list = (RedisList)entry.Value;
        c.Reply.WriteArrayHeader(2);
        c.Reply.WriteBulk(key);
        int popped = WritePopped(c, list, left, count);
        Popped(c, key, entry, list, left);
        c.CountChanges(popped);
        // LMPOP and BLMPOP are journaled as the pop they did (as Redis propagates them).
        c.Propagate(left ? Cmd.LPop : Cmd.RPop, key, Args.Bytes(count));
    }
}
