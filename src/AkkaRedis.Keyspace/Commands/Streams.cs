using System.Text;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>
/// Stream commands (t_stream.c). What is journaled is what Redis propagates: XADD with the ID it gave and an
/// approximate trim made exact, XREADGROUP as one XCLAIM per entry delivered (and XGROUP SETID for NOACK), so a replay
/// rebuilds the groups' pending lists as clients saw them.
/// </summary>
public static class Streams
{
    public static void Register(CommandTable.Builder table) => table
        .Keyed("xadd", XAdd)
        .Keyed("xlen", XLen)
        .Keyed("xrange", c => XRange(c, reverse: false))
        .Keyed("xrevrange", c => XRange(c, reverse: true))
        .Keyed("xdel", XDel)
        .Keyed("xtrim", XTrim)
        .Keyed("xsetid", XSetId)
        .Keyed("xread", c => BlockingCommands.Run(c, x => XRead(x, group: false)))
        .Keyed("xreadgroup", c => BlockingCommands.Run(c, x => XRead(x, group: true)))
        .Keyed("xgroup|create", XGroup)
        .Keyed("xgroup|setid", XGroup)
        .Keyed("xgroup|destroy", XGroup)
        .Keyed("xgroup|createconsumer", XGroup)
        .Keyed("xgroup|delconsumer", XGroup)
        .Keyed("xgroup|help", XGroup)
        .Keyed("xack", XAck)
        .Keyed("xpending", XPending)
        .Keyed("xclaim", XClaim)
        .Keyed("xautoclaim", XAutoClaim)
        .Keyed("xinfo|stream", XInfoStream)
        .Keyed("xinfo|groups", XInfoGroups)
        .Keyed("xinfo|consumers", XInfoConsumers)
        .Keyed("xinfo|help", c => HelpText.Write(c.Reply,
        [
            "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
            "HELP",
            "    Prints this help.",
        ]));

    private static readonly byte[] XAddName = "XADD"u8.ToArray(), XClaimName = "XCLAIM"u8.ToArray(), XGroupName = "XGROUP"u8.ToArray(),
        XSetIdName = "XSETID"u8.ToArray(), SetIdWord = "SETID"u8.ToArray(), CreateWord = "CREATE"u8.ToArray(),
        CreateConsumerWord = "CREATECONSUMER"u8.ToArray(), EntriesReadWord = "ENTRIESREAD"u8.ToArray(), TimeWord = "TIME"u8.ToArray(),
        RetryCountWord = "RETRYCOUNT"u8.ToArray(), ForceWord = "FORCE"u8.ToArray(), JustIdWord = "JUSTID"u8.ToArray(),
        LastIdWord = "LASTID"u8.ToArray(), EqualsWord = "="u8.ToArray(), MaxLenWord = "MAXLEN"u8.ToArray(),
        EntriesAddedWord = "ENTRIESADDED"u8.ToArray(), MaxDeletedIdWord = "MAXDELETEDID"u8.ToArray(), Zero = "0"u8.ToArray();

    public const string InvalidId = "ERR Invalid stream ID specified as stream command argument";

    // ------------------------------------------------------------------------------------------ parsing

    private static bool TryId(CommandContext c, byte[] arg, out StreamId id, ulong missingSeq = 0, bool strict = false)
    {
        if (StreamId.TryParse(arg, out id, missingSeq, strict)) return true;
        c.Error(InvalidId);
        return false;
    }

    /// <summary>streamParseIntervalIDOrReply: an ID, or "(" and an ID for an exclusive bound.</summary>
    private static bool TryIntervalId(CommandContext c, byte[] arg, out StreamId id, out bool exclusive, ulong missingSeq)
    {
        exclusive = arg.Length > 1 && arg[0] == '(';
        return exclusive ? TryId(c, arg[1..], out id, missingSeq, strict: true) : TryId(c, arg, out id, missingSeq);
    }

    /// <summary>The start of a range: inclusive, or after an exclusive bound.</summary>
    private static bool TryRangeStart(CommandContext c, byte[] arg, out StreamId id)
    {
        if (!TryIntervalId(c, arg, out id, out bool exclusive, 0)) return false;
        if (exclusive && !id.TryIncrement(out id))
        {
            c.Error("ERR invalid start ID for the interval");
            return false;
        }
        return true;
    }

    private static bool TryRangeEnd(CommandContext c, byte[] arg, out StreamId id)
    {
        if (!TryIntervalId(c, arg, out id, out bool exclusive, ulong.MaxValue)) return false;
        if (exclusive && !id.TryDecrement(out id))
        {
            c.Error("ERR invalid end ID for the interval");
            return false;
        }
        return true;
    }

    /// <summary>XADD's and XTRIM's options (streamAddTrimArgs).</summary>
    private sealed class TrimArgs
    {
        public long? MaxLength;
        public StreamId? MinId;
        public bool Approximate;
        public long Limit;
        /// <summary>Where the threshold argument is (the "~" or "=" before it, if any, is one before).</summary>
        public int ThresholdIndex;
        public bool HasOperator;
        public bool NoMkStream;
        public bool IdGiven;
        public bool SeqGiven = true;
        public StreamId Id;
        public bool Trims => MaxLength != null || MinId != null;
    }

    /// <summary>streamParseAddOrTrimArgsOrReply: the options, and for XADD the ID's position (-1 on an error answered).</summary>
    private static int ParseTrimArgs(CommandContext c, TrimArgs args, bool xadd)
    {
        int i = 2;
        bool limitGiven = false;
        for (; i < c.Argc; i++)
        {
            int more = c.Argc - 1 - i;
            var opt = c[i];
            if (xadd && opt is [(byte)'*'])
                break;
            bool maxlen = Args.Is(opt, "maxlen");
            if ((maxlen || Args.Is(opt, "minid")) && more > 0)
            {
                if (args.Trims)
                {
                    c.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
                    return -1;
                }
                args.Approximate = false;
                args.HasOperator = false;
                var next = c[i + 1];
                if (more >= 2 && next is [(byte)'~'])
                {
                    args.Approximate = true;
                    args.HasOperator = true;
                    i++;
                }
                else if (more >= 2 && next is [(byte)'='])
                {
                    args.HasOperator = true;
                    i++;
                }
                if (maxlen)
                {
                    if (!Args.TryInteger(c, c[i + 1], out long max)) return -1;
                    if (max < 0)
                    {
                        c.Error("ERR The MAXLEN argument must be >= 0.");
                        return -1;
                    }
                    args.MaxLength = max;
                }
                else
                {
                    if (!TryId(c, c[i + 1], out var min, strict: true)) return -1;
                    args.MinId = min;
                }
                i++;
                args.ThresholdIndex = i;
            }
            else if (Args.Is(opt, "limit") && more > 0)
            {
                if (!Args.TryInteger(c, c[i + 1], out args.Limit)) return -1;
                if (args.Limit < 0)
                {
                    c.Error("ERR The LIMIT argument must be >= 0.");
                    return -1;
                }
                limitGiven = true;
                i++;
            }
            else if (xadd && Args.Is(opt, "nomkstream")) args.NoMkStream = true;
            else if (xadd)
            {
                if (!StreamId.TryParse(opt, out args.Id, out args.SeqGiven, 0, strict: true, allowSeqStar: true))
                {
                    c.Error(InvalidId);
                    return -1;
                }
                args.IdGiven = true;
                break;
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return -1;
            }
        }
        if (args.Limit != 0 && !args.Trims)
        {
            c.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
            return -1;
        }
        if (!xadd && !args.Trims)
        {
            c.Error("ERR syntax error, XTRIM must be called with a trimming strategy");
            return -1;
        }
        if (c.Replaying) args.Limit = 0; // mustObeyClient: the journal's trim is exact
        else if (limitGiven)
        {
            if (!args.Approximate)
            {
                c.Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
                return -1;
            }
        }
        else if (args.Approximate)
        {
            long nodeEntries = c.Config.StreamNodeMaxEntries;
            args.Limit = nodeEntries * 100;
            if (args.Limit <= 0) args.Limit = 10000;
            if (args.Limit > 1_000_000) args.Limit = 1_000_000;
        }
        else args.Limit = 0;
        return i;
    }

    /// <summary>Trims by <paramref name="args"/>; an approximate trim is journaled as the exact one it turned out to be.</summary>
    private static long Trim(CommandContext c, RedisStream stream, TrimArgs args, byte[][] propagated)
    {
        long deleted = stream.Trim(args.MaxLength, args.MinId, args.Approximate, args.Limit);
        if (args.Approximate)
        {
            // streamRewriteApproxSpecifier and streamRewriteTrimArgument.
            propagated[args.ThresholdIndex - 1] = EqualsWord;
            propagated[args.ThresholdIndex] = args.MaxLength != null
                ? Args.Bytes(stream.Length)
                : (stream.Length > 0 ? stream.FirstId : stream.LastId).ToBytes();
        }
        return deleted;
    }

    // ------------------------------------------------------------------------------------------ XADD, XLEN, XRANGE

    private static void XAdd(CommandContext c)
    {
        var args = new TrimArgs();
        int idIndex = ParseTrimArgs(c, args, xadd: true);
        if (idIndex < 0) return;
        int fieldsFrom = idIndex + 1;
        if (c.Argc - fieldsFrom < 2 || (c.Argc - fieldsFrom) % 2 == 1)
        {
            c.Error(RespErrors.WrongArgs("xadd"));
            return;
        }
        if (args.IdGiven && args.SeqGiven && args.Id.IsZero)
        {
            c.Error("ERR The ID specified in XADD must be greater than 0-0");
            return;
        }
        var entry = c.Write(c[1]);
        if (!c.TryGet<RedisStream>(entry, out var stream)) return;
        if (stream == null)
        {
            if (args.NoMkStream)
            {
                c.Reply.WriteNull();
                return;
            }
            stream = new RedisStream();
        }
        if (stream.LastId == StreamId.Max)
        {
            c.Error("ERR The stream has exhausted the last possible ID, unable to add more items");
            return;
        }
        if (!TryNewId(stream, args, c.Now, out var id))
        {
            c.Error("ERR The ID specified in XADD is equal or smaller than the target stream top item");
            return;
        }
        stream.Append(id, c.Args[fieldsFrom..], c.Config.StreamNodeMaxEntries, c.Config.StreamNodeMaxBytes);
        var idBytes = id.ToBytes();
        c.Reply.WriteBulk(idBytes);
        if (entry == null) c.Add(c[1], stream);
        else c.KeyChanged(c[1]);
        c.Notify(KeyspaceEvent.Stream, "xadd", c[1]);
        var propagated = (byte[][])c.Args.Clone();
        if (args.Trims && Trim(c, stream, args, propagated) > 0) c.Notify(KeyspaceEvent.Stream, "xtrim", c[1]);
        propagated[idIndex] = idBytes;
        c.Propagate(propagated);
    }

    /// <summary>streamAppendItem's choice of ID: the one given, "ms-*" with the next sequence, or the next after the last.</summary>
    private static bool TryNewId(RedisStream stream, TrimArgs args, long nowMs, out StreamId id)
    {
        var last = stream.LastId;
        if (args.IdGiven && args.SeqGiven) id = args.Id;
        else if (args.IdGiven)
        {
            if (last.Ms == args.Id.Ms)
            {
                if (last.Seq == ulong.MaxValue)
                {
                    id = last;
                    return false;
                }
                id = new StreamId(last.Ms, last.Seq + 1);
            }
            else id = args.Id;
        }
        else if ((ulong)nowMs > last.Ms) id = new StreamId((ulong)nowMs, 0);
        else if (!last.TryIncrement(out id)) return false;
        return id > last;
    }

    private static void XLen(CommandContext c)
    {
        if (c.TryGet<RedisStream>(c.Read(c[1]), out var stream)) c.Reply.WriteInteger(stream?.Length ?? 0);
    }

    private static void XRange(CommandContext c, bool reverse)
    {
        if (!TryRangeStart(c, reverse ? c[3] : c[2], out var start) || !TryRangeEnd(c, reverse ? c[2] : c[3], out var end)) return;
        long count = -1;
        for (int j = 4; j < c.Argc; j++)
        {
            if (Args.Is(c[j], "count") && c.Argc - j - 1 >= 1)
            {
                if (!Args.TryInteger(c, c[j + 1], out count)) return;
                if (count < 0) count = 0;
                j++;
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        var entry = c.Read(c[1]);
        if (entry == null)
        {
            c.Reply.WriteArrayHeader(0);
            return;
        }
        if (!c.TryGet<RedisStream>(entry, out var stream)) return;
        if (count == 0) c.Reply.WriteNullArray();
        else WriteEntries(c.Reply, stream!.Range(start, end, reverse), count < 0 ? 0 : count);
    }

    /// <summary>Entries as Redis answers them: an array of [id, [field, value, ...]], at most <paramref name="count"/> (0: all).</summary>
    private static long WriteEntries(RespWriter reply, IEnumerable<StreamEntry> entries, long count)
    {
        var list = UpTo(entries, count);
        reply.WriteArrayHeader(list.Count);
        foreach (var entry in list) WriteEntry(reply, entry);
        return list.Count;
    }

    /// <summary>The first <paramref name="count"/> items, or all of them when it is 0 (a COUNT of 0 is no limit).</summary>
    private static List<T> UpTo<T>(IEnumerable<T> items, long count) =>
        (count > 0 ? items.Take((int)Math.Min(count, int.MaxValue)) : items).ToList();

    private static void WriteEntry(RespWriter reply, StreamEntry entry)
    {
        reply.WriteArrayHeader(2);
        reply.WriteBulk(entry.Id.ToBytes());
        reply.WriteArrayHeader(entry.Fields.Length);
        foreach (var item in entry.Fields) reply.WriteBulk(item);
    }

    // ------------------------------------------------------------------------------------------ XDEL, XTRIM, XSETID

    private static void XDel(CommandContext c)
    {
        var entry = c.Write(c[1]);
        if (entry == null)
        {
            c.Reply.WriteInteger(0);
            return;
        }
        if (!c.TryGet<RedisStream>(entry, out var stream)) return;
        var ids = new StreamId[c.Argc - 2];
        for (int j = 2; j < c.Argc; j++)
            if (!TryId(c, c[j], out ids[j - 2], strict: true)) return;
        long deleted = 0;
        foreach (var id in ids)
        {
            if (!stream!.Delete(id)) continue;
            if (id > stream.MaxDeletedId) stream.MaxDeletedId = id;
            deleted++;
        }
        if (deleted > 0)
        {
            c.KeyChanged(c[1]);
            c.Notify(KeyspaceEvent.Stream, "xdel", c[1]);
            c.CountChanges(deleted);
        }
        c.Reply.WriteInteger(deleted);
    }

    private static void XTrim(CommandContext c)
    {
        var args = new TrimArgs();
        if (ParseTrimArgs(c, args, xadd: false) < 0) return;
        var entry = c.Write(c[1]);
        if (entry == null)
        {
            c.Reply.WriteInteger(0);
            return;
        }
        if (!c.TryGet<RedisStream>(entry, out var stream)) return;
        var propagated = (byte[][])c.Args.Clone();
        long deleted = Trim(c, stream!, args, propagated);
        if (deleted > 0)
        {
            c.KeyChanged(c[1]);
            c.Notify(KeyspaceEvent.Stream, "xtrim", c[1]);
            c.CountChanges(deleted);
            c.Propagate(propagated);
        }
        c.Reply.WriteInteger(deleted);
    }

    private static void XSetId(CommandContext c)
    {
        if (!TryId(c, c[2], out var id, strict: true)) return;
        long entriesAdded = -1;
        var maxDeleted = StreamId.Zero;
        for (int i = 3; i < c.Argc; i += 2)
        {
            bool more = c.Argc - 1 - i > 0;
            if (Args.Is(c[i], "entriesadded") && more)
            {
                if (!Args.TryInteger(c, c[i + 1], out entriesAdded)) return;
                if (entriesAdded < 0)
                {
                    c.Error("ERR entries_added must be positive");
                    return;
                }
            }
            else if (Args.Is(c[i], "maxdeletedid") && more)
            {
                if (!TryId(c, c[i + 1], out maxDeleted, strict: true)) return;
                if (id < maxDeleted)
                {
                    c.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
                    return;
                }
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        var entry = c.Write(c[1]);
        if (entry == null)
        {
            c.Error(RespErrors.NoSuchKey);
            return;
        }
        if (!c.TryGet<RedisStream>(entry, out var stream)) return;
        if (stream!.Length > 0)
        {
            if (id < stream.LastLiveId())
            {
                c.Error("ERR The ID specified in XSETID is smaller than the target stream top item");
                return;
            }
            if (entriesAdded != -1 && stream.Length > entriesAdded)
            {
                c.Error("ERR The entries_added specified in XSETID is smaller than the target stream length");
                return;
            }
        }
        stream.LastId = id;
        if (entriesAdded != -1) stream.EntriesAdded = entriesAdded;
        if (!maxDeleted.IsZero) stream.MaxDeletedId = maxDeleted;
        c.KeyChanged(c[1]);
        c.Notify(KeyspaceEvent.Stream, "xsetid", c[1]);
        c.Reply.WriteOk();
    }

    // ------------------------------------------------------------------------------------------ XREAD, XREADGROUP

    /// <summary>What a blocked XREAD or XREADGROUP waits for: per key, entries after an ID (or the group's last delivered).</summary>
    private sealed class StreamWait(byte[][] keys, StreamId[] after, byte[]? group, byte[]? consumer, bool noAck, long count)
    {
        public readonly byte[][] Keys = keys;
        public readonly StreamId[] After = after;
        public readonly byte[]? Group = group;
        public readonly byte[]? Consumer = consumer;
        public readonly bool NoAck = noAck;
        public readonly long Count = count;

        public int IndexOf(byte[] key)
        {
            for (int i = 0; i < Keys.Length; i++)
                if (Keys[i].AsSpan().SequenceEqual(key)) return i;
            return -1;
        }

        /// <summary>The stream at the key can answer: it has an entry after the ID, or (for a group) it or its group is gone.</summary>
        public bool IsReady(byte[] key, object? value)
        {
            int i = IndexOf(key);
            if (i < 0) return false;
            if (Group == null) return value is RedisStream s && s.LastId > After[i];
            if (value is not RedisStream stream || !stream.Groups.TryGetValue(Group, out var group)) return true;
            return stream.LastId > group.LastId;
        }
    }

    /// <summary>
    /// The keys a blocking XREAD or XREADGROUP waits on and when a stream can serve it, from its arguments alone (for a
    /// cluster's waker, which runs the command again when woken): "$" counts any entry added after the wait began.
    /// </summary>
    public static (IEnumerable<byte[]> Sources, Func<byte[], object?, bool> IsReady) WaitsOn(byte[][] args)
    {
        int streamsAt = Array.FindIndex(args, 1, a => Args.Is(a, "streams")) + 1;
        int count = (args.Length - streamsAt) / 2;
        var keys = args[streamsAt..(streamsAt + count)];
        int groupAt = Array.FindIndex(args, 1, a => Args.Is(a, "group"));
        var after = new StreamId[count];
        for (int k = 0; k < count; k++)
            after[k] = StreamId.TryParse(args[streamsAt + count + k], out var id, 0, strict: true) ? id : StreamId.Max;
        var wait = new StreamWait(keys, after, groupAt > 0 ? args[groupAt + 1] : null, null, false, 0);
        return (keys, wait.IsReady);
    }

    /// <summary>
    /// A blocking XREAD's "$" IDs of the streams <paramref name="isHere"/> says this shard holds, as their last IDs (0-0
    /// where there is no stream): a cluster's waker runs the command again when woken, where "$" would mean the entry
    /// that woke it. Positions are the arguments'; XREADGROUP has no "$".
    /// </summary>
    public static List<(int Position, byte[] Id)> ResolveLastIds(byte[][] args, Func<byte[], bool> isHere, Func<byte[], object?> valueOf)
    {
        var resolved = new List<(int, byte[])>();
        if (Array.FindIndex(args, 1, a => Args.Is(a, "group")) > 0) return resolved;
        int streamsAt = Array.FindIndex(args, 1, a => Args.Is(a, "streams")) + 1;
        if (streamsAt == 0) return resolved;
        int count = (args.Length - streamsAt) / 2;
        for (int k = 0; k < count; k++)
        {
            int at = streamsAt + count + k;
            var key = args[streamsAt + k];
            if (args[at] is not [(byte)'$'] || !isHere(key)) continue;
            resolved.Add((at, (valueOf(key) is RedisStream stream ? stream.LastId : StreamId.Zero).ToBytes()));
        }
        return resolved;
    }

    /// <summary>XREAD's BLOCK argument in milliseconds when given (for the connection's timer), else null.</summary>
    public static bool TryBlockMilliseconds(byte[][] args, out long? milliseconds)
    {
        milliseconds = null;
        for (int i = 1; i < args.Length - 1; i++)
        {
            if (Args.Is(args[i], "streams")) return milliseconds != null;
            if (Args.Is(args[i], "block"))
            {
                // A bad timeout is the command's error to answer; here it is only "no timer".
                milliseconds = Args.TryDouble(args[i + 1], out double ms) && ms > 0 && ms < long.MaxValue ? (long)Math.Ceiling(ms) : 0;
                i++;
            }
            else if (Args.Is(args[i], "count")) i++;
            else if (Args.Is(args[i], "group")) i += 2;
        }
        return milliseconds != null;
    }

    private static void XRead(CommandContext c, bool group)
    {
        string name = group ? "XREADGROUP" : "XREAD";
        long timeout = -1, count = 0;
        int streamsAt = 0, streamCount = 0;
        bool noAck = false;
        byte[]? groupName = null, consumerName = null;
        for (int i = 1; i < c.Argc; i++)
        {
            int more = c.Argc - i - 1;
            var o = c[i];
            if (Args.Is(o, "block") && more > 0)
            {
                if (c.InScript)
                {
                    c.Error($"ERR {(group ? "xreadgroup" : "xread")} command is not allowed with BLOCK option from scripts");
                    return;
                }
                i++;
                if (!BlockingCommands.TryTimeout(c, c[i], out timeout, inMilliseconds: true)) return;
            }
            else if (Args.Is(o, "count") && more > 0)
            {
                i++;
                if (!Args.TryInteger(c, c[i], out count)) return;
                if (count < 0) count = 0;
            }
            else if (Args.Is(o, "streams") && more > 0)
            {
                streamsAt = i + 1;
                streamCount = c.Argc - streamsAt;
                if (streamCount % 2 != 0)
                {
                    c.Error("ERR Unbalanced " + name + " list of streams: for each stream key an ID or '$' must be specified.");
                    return;
                }
                streamCount /= 2;
                break;
            }
            else if (Args.Is(o, "group") && more >= 2)
            {
                if (!group)
                {
                    c.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
                    return;
                }
                groupName = c[i + 1];
                consumerName = c[i + 2];
                i += 2;
            }
            else if (Args.Is(o, "noack"))
            {
                if (!group)
                {
                    c.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
                    return;
                }
                noAck = true;
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        if (streamsAt == 0)
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        if (group && groupName == null)
        {
            c.Error("ERR Missing GROUP option for XREADGROUP");
            return;
        }

        var keys = c.Args[streamsAt..(streamsAt + streamCount)];
        var ids = new StreamId[streamCount];
        var groups = new StreamGroup?[streamCount];
        for (int k = 0; k < streamCount; k++)
        {
            var key = keys[k];
            var idArg = c[streamsAt + streamCount + k];
            var found = c.Read(key);
            if (!c.TryGet<RedisStream>(found, out var stream)) return;
            if (groupName != null)
            {
                if (stream == null || !stream.Groups.TryGetValue(groupName, out groups[k]))
                {
                    ErrorWithNames(c, $"NOGROUP No such key '{Latin1(key)}' or consumer group '{Latin1(groupName)}' in XREADGROUP with GROUP option");
                    return;
                }
            }
            if (idArg is [(byte)'$'])
            {
                if (group)
                {
                    c.Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
                    return;
                }
                ids[k] = stream?.LastId ?? StreamId.Zero;
            }
            else if (idArg is [(byte)'>'])
            {
                if (!group)
                {
                    c.Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
                    return;
                }
                ids[k] = StreamId.Max;
            }
            else if (!TryId(c, idArg, out ids[k], strict: true)) return;
        }

        var reply = new RespWriter(64) { Resp3 = c.Reply.Resp3 };
        int served = 0;
        for (int k = 0; k < streamCount; k++)
        {
            if (c.Read(keys[k])?.Value is not RedisStream stream) continue;
            var after = ids[k];
            bool history = false, now = false;
            if (groups[k] is { } g)
            {
                if (after != StreamId.Max) now = history = true;
                else if (stream.Length > 0 && stream.LastLiveId() > g.LastId)
                {
                    now = true;
                    after = g.LastId;
                }
            }
            else if (stream.Length > 0 && stream.LastLiveId() > after) now = true;
            if (!now) continue;
            served++;
            if (!reply.Resp3) reply.WriteArrayHeader(2);
            reply.WriteBulk(keys[k]);
            ServeStream(c, reply, keys[k], stream, after, count, groups[k], groupName, consumerName, noAck, history);
        }
        if (served > 0)
        {
            if (c.Reply.Resp3) c.Reply.WriteMapHeader(served);
            else c.Reply.WriteArrayHeader(served);
            c.Reply.WriteRaw(reply.ToArray());
        }
        // XREADGROUP journals only the XCLAIMs and XGROUP SETIDs it gave, never itself.
        if (group) c.Propagate([]);
        if (served > 0) return;
        if (timeout == -1)
        {
            c.Reply.WriteNullArray();
            return;
        }
        var wait = new StreamWait(keys, ids, groupName, consumerName, noAck, count > 0 ? count : 1000);
        BlockingCommands.Block(c, keys, (context, readyKey) => ServeBlocked(context, readyKey, wait), wait.IsReady);
    }

    /// <summary>Answers a blocked XREAD or XREADGROUP from the stream at <paramref name="key"/> (serveClientsBlockedOnStreamKey).</summary>
    private static bool ServeBlocked(CommandContext c, byte[] key, StreamWait wait)
    {
        var value = c.Lookup(key, c.Db)?.Value;
        if (wait.Group != null)
        {
            if (value is not RedisStream)
            {
                c.Error("UNBLOCKED the stream key no longer exists");
                return true;
            }
        }
        var stream = (RedisStream)value!;
        StreamGroup? group = null;
        var after = wait.After[wait.IndexOf(key)];
        if (wait.Group != null)
        {
            if (!stream.Groups.TryGetValue(wait.Group, out group))
            {
                c.Error("NOGROUP the consumer group this client was blocked on no longer exists");
                return true;
            }
            after = group.LastId;
        }
        if (c.Reply.Resp3) c.Reply.WriteMapHeader(1);
        else
        {
            c.Reply.WriteArrayHeader(1);
            c.Reply.WriteArrayHeader(2);
        }
        c.Reply.WriteBulk(key);
        ServeStream(c, c.Reply, key, stream, after, wait.Count, group, wait.Group, wait.Consumer, wait.NoAck, history: false);
        return true;
    }

    /// <summary>
    /// streamReplyWithRange for XREAD(GROUP): the entries after <paramref name="after"/>; for a group, from the consumer's
    /// own pending list (<paramref name="history"/>) or new ones, which become pending (unless NOACK) and move the group on.
    /// </summary>
    private static void ServeStream(CommandContext c, RespWriter reply, byte[] key, RedisStream stream, StreamId after, long count,
        StreamGroup? group, byte[]? groupName, byte[]? consumerName, bool noAck, bool history)
    {
        StreamConsumer? consumer = null;
        if (group != null)
        {
            consumer = LookupConsumer(group, consumerName!, c.Now);
            if (consumer == null)
            {
                consumer = CreateConsumer(c, group, consumerName!, key);
                if (noAck) c.Propagate(XGroupName, CreateConsumerWord, key, groupName!, consumerName!);
            }
            c.KeyChanged(key);
        }
        // From the entry after the ID (an ID at the very end has none: the range is empty).
        if (!after.TryIncrement(out var start)) start = StreamId.Max;
        if (group != null && history)
        {
            ReplyFromConsumerPending(c, reply, stream, start, count, consumer!);
            return;
        }
        var entries = new List<StreamEntry>();
        foreach (var entry in stream.Range(start, StreamId.Max))
        {
            entries.Add(entry);
            if (count > 0 && entries.Count == count) break;
        }
        reply.WriteArrayHeader(entries.Count);
        bool propagateLastId = false;
        foreach (var entry in entries)
        {
            if (group != null && entry.Id > group.LastId)
            {
                stream.Delivered(group, entry.Id);
                if (noAck) propagateLastId = true;
            }
            WriteEntry(reply, entry);
            if (group != null && !noAck)
            {
                if (group.Pending.TryGetValue(entry.Id, out var pending))
                {
                    pending.Owner.Pending.Remove(entry.Id);
                    pending.Owner = consumer!;
                    pending.DeliveryTime = c.Now;
                    pending.DeliveryCount = 1;
                }
                else
                {
                    pending = new PendingEntry(entry.Id, consumer!, c.Now, 1);
                    group.Pending[entry.Id] = pending;
                }
                consumer!.Pending[entry.Id] = pending;
                PropagateClaim(c, key, group, groupName!, entry.Id.ToBytes(), pending);
            }
        }
        if (propagateLastId) PropagateGroupId(c, key, group!, groupName!);
    }

    /// <summary>streamReplyWithRangeFromConsumerPEL: the consumer's pending entries from <paramref name="start"/>; a deleted one as [id, nil].</summary>
    private static void ReplyFromConsumerPending(CommandContext c, RespWriter reply, RedisStream stream, StreamId start, long count, StreamConsumer consumer)
    {
        var pendings = consumer.Pending.Values.Where(p => p.Id >= start);
        var list = UpTo(pendings, count);
        reply.WriteArrayHeader(list.Count);
        foreach (var pending in list)
        {
            var entry = stream.Find(pending.Id);
            if (entry == null)
            {
                reply.WriteArrayHeader(2);
                reply.WriteBulk(pending.Id.ToBytes());
                reply.WriteNullArray();
                continue;
            }
            WriteEntry(reply, entry);
            pending.DeliveryTime = c.Now;
            pending.DeliveryCount++;
        }
    }

    // ------------------------------------------------------------------------------------------ consumer groups

    private static StreamConsumer? LookupConsumer(StreamGroup group, byte[] name, long nowMs, bool refresh = true)
    {
        if (!group.Consumers.TryGetValue(name, out var consumer)) return null;
        if (refresh) consumer.SeenTime = nowMs;
        return consumer;
    }

    /// <summary>streamCreateConsumer: null when it exists; counts a change and sends xgroup-createconsumer.</summary>
    private static StreamConsumer? CreateConsumer(CommandContext c, StreamGroup group, byte[] name, byte[] key)
    {
        if (group.Consumers.ContainsKey(name)) return null;
        var consumer = new StreamConsumer(name, c.Now);
        group.Consumers[name] = consumer;
        c.KeyChanged(key);
        c.Notify(KeyspaceEvent.Stream, "xgroup-createconsumer", key);
        return consumer;
    }

    /// <summary>streamPropagateXCLAIM: the entry's pending state, as XCLAIM with everything stated.</summary>
    private static void PropagateClaim(CommandContext c, byte[] key, StreamGroup group, byte[] groupName, byte[] id, PendingEntry pending) =>
        c.Propagate(XClaimName, key, groupName, pending.Owner.Name, Zero, id, TimeWord, Args.Bytes(pending.DeliveryTime),
            RetryCountWord, Args.Bytes(pending.DeliveryCount), ForceWord, JustIdWord, LastIdWord, group.LastId.ToBytes());

    /// <summary>streamPropagateGroupID: the group's last delivered ID and entries read.</summary>
    private static void PropagateGroupId(CommandContext c, byte[] key, StreamGroup group, byte[] groupName) =>
        c.Propagate(XGroupName, SetIdWord, key, groupName, group.LastId.ToBytes(), EntriesReadWord, Args.Bytes(group.EntriesRead));

    private static string Latin1(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>An error that quotes keys or names: their bytes as they are (addReplyErrorFormat turns newlines into spaces).</summary>
    private static void ErrorWithNames(CommandContext c, string message) =>
        c.Reply.WriteErrorOfBytes(message.Replace('\r', ' ').Replace('\n', ' '));

    private static void XGroup(CommandContext c)
    {
        string sub = Encoding.UTF8.GetString(c[1]).ToLowerInvariant();
        if (sub == "help")
        {
            HelpText.Write(c.Reply,
            [
                "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "CREATE <key> <groupname> <id|$> [option]",
                "    Create a new consumer group. Options are:",
                "    * MKSTREAM",
                "      Create the empty stream if it does not exist.",
                "    * ENTRIESREAD entries_read",
                "      Set the group's entries_read counter (internal use).",
                "CREATECONSUMER <key> <groupname> <consumer>",
                "    Create a new consumer in the specified group.",
                "DELCONSUMER <key> <groupname> <consumer>",
                "    Remove the specified consumer.",
                "DESTROY <key> <groupname>",
                "    Remove the specified group.",
                "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
                "    Set the current group ID and entries_read counter.",
                "HELP",
                "    Prints this help.",
            ]);
            return;
        }
        bool create = sub == "create", setId = sub == "setid", mkStream = false;
        long entriesRead = StreamGroup.InvalidEntriesRead;
        for (int i = 5; i < c.Argc;)
        {
            if (create && Args.Is(c[i], "mkstream"))
            {
                mkStream = true;
                i++;
            }
            else if ((create || setId) && Args.Is(c[i], "entriesread") && i + 1 < c.Argc)
            {
                if (!Args.TryInteger(c, c[i + 1], out entriesRead)) return;
                if (entriesRead < 0 && entriesRead != StreamGroup.InvalidEntriesRead)
                {
                    c.Error("ERR value for ENTRIESREAD must be positive or -1");
                    return;
                }
                i += 2;
            }
            else
            {
                c.Error(RespErrors.SubcommandSyntax(Encoding.UTF8.GetString(c[1]), "xgroup"));
                return;
            }
        }
        var key = c[2];
        var groupName = c[3];
        var entry = c.Write(key);
        if (!c.TryGet<RedisStream>(entry, out var stream)) return;
        StreamGroup? group = null;
        if (!mkStream)
        {
            if (stream == null)
            {
                c.Error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
                return;
            }
            if (!stream.Groups.TryGetValue(groupName, out group) && sub is "setid" or "createconsumer" or "delconsumer")
            {
                ErrorWithNames(c, $"NOGROUP No such consumer group '{Latin1(groupName)}' for key name '{Latin1(key)}'");
                return;
            }
        }
        switch (sub)
        {
            case "create" when c.Argc is >= 5 and <= 8:
            {
                StreamId id;
                if (c[4] is [(byte)'$']) id = stream?.LastId ?? StreamId.Zero;
                else if (!TryId(c, c[4], out id, strict: true)) return;
                if (stream != null && stream.Groups.ContainsKey(groupName))
                {
                    c.Error("BUSYGROUP Consumer Group name already exists");
                    return;
                }
                if (stream == null)
                {
                    stream = new RedisStream();
                    c.Add(key, stream);
                }
                stream.Groups[groupName] = new StreamGroup(id, entriesRead);
                c.KeyChanged(key);
                c.Notify(KeyspaceEvent.Stream, "xgroup-create", key);
                c.Reply.WriteOk();
                return;
            }
            case "setid" when c.Argc is 5 or 7:
            {
                StreamId id;
                if (c[4] is [(byte)'$']) id = stream!.LastId;
                else if (!TryId(c, c[4], out id)) return;
                group!.LastId = id;
                group.EntriesRead = entriesRead;
                c.KeyChanged(key);
                c.Notify(KeyspaceEvent.Stream, "xgroup-setid", key);
                c.Reply.WriteOk();
                return;
            }
            case "destroy" when c.Argc == 4:
                if (group == null)
                {
                    c.Reply.WriteInteger(0);
                    return;
                }
                stream!.Groups.Remove(groupName);
                c.KeyChanged(key); // wakes the XREADGROUPs blocked on it, which answer NOGROUP
                c.Notify(KeyspaceEvent.Stream, "xgroup-destroy", key);
                c.Reply.WriteInteger(1);
                return;
            case "createconsumer" when c.Argc == 5:
                c.Reply.WriteInteger(CreateConsumer(c, group!, c[4], key) != null ? 1 : 0);
                return;
            case "delconsumer" when c.Argc == 5:
            {
                long pending = 0;
                if (LookupConsumer(group!, c[4], c.Now, refresh: false) is { } consumer)
                {
                    pending = consumer.Pending.Count;
                    foreach (var id in consumer.Pending.Keys) group!.Pending.Remove(id);
                    group!.Consumers.Remove(c[4]);
                    c.KeyChanged(key);
                    c.Notify(KeyspaceEvent.Stream, "xgroup-delconsumer", key);
                }
                c.Reply.WriteInteger(pending);
                return;
            }
            default:
                c.Error(RespErrors.SubcommandSyntax(Encoding.UTF8.GetString(c[1]), "xgroup"));
                return;
        }
    }

    private static void XAck(CommandContext c)
    {
        var entry = c.Read(c[1]);
        if (!c.TryGet<RedisStream>(entry, out var stream)) return;
        if (stream == null || !stream.Groups.TryGetValue(c[2], out var group))
        {
            c.Reply.WriteInteger(0);
            return;
        }
        var ids = new StreamId[c.Argc - 3];
        for (int j = 3; j < c.Argc; j++)
            if (!TryId(c, c[j], out ids[j - 3], strict: true)) return;
        long acknowledged = 0;
        foreach (var id in ids)
        {
            if (!group.Pending.Remove(id, out var pending)) continue;
            pending.Owner.Pending.Remove(id);
            acknowledged++;
        }
        if (acknowledged > 0)
        {
            c.KeyChanged(c[1]);
            c.CountChanges(acknowledged);
        }
        c.Reply.WriteInteger(acknowledged);
    }

    private static void XPending(CommandContext c)
    {
        bool summary = c.Argc == 3;
        if (c.Argc != 3 && (c.Argc < 6 || c.Argc > 9))
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        long count = 0, minIdle = 0;
        StreamId start = default, end = default;
        byte[]? consumerName = null;
        if (c.Argc >= 6)
        {
            int at = 3;
            if (Args.Is(c[3], "idle"))
            {
                if (!Args.TryInteger(c, c[4], out minIdle)) return;
                if (c.Argc < 8)
                {
                    c.Error(RespErrors.Syntax);
                    return;
                }
                at += 2;
            }
            if (!Args.TryInteger(c, c[at + 2], out count)) return;
            if (count < 0) count = 0;
            if (!TryRangeStart(c, c[at], out start) || !TryRangeEnd(c, c[at + 1], out end)) return;
            if (at + 3 < c.Argc) consumerName = c[at + 3];
        }
        var entry = c.Read(c[1]);
        if (!c.TryGet<RedisStream>(entry, out var stream)) return;
        if (stream == null || !stream.Groups.TryGetValue(c[2], out var group))
        {
            ErrorWithNames(c, $"NOGROUP No such key '{Latin1(c[1])}' or consumer group '{Latin1(c[2])}'");
            return;
        }
        if (summary)
        {
            c.Reply.WriteArrayHeader(4);
            c.Reply.WriteInteger(group.Pending.Count);
            if (group.Pending.Count == 0)
            {
                c.Reply.WriteNull();
                c.Reply.WriteNull();
                c.Reply.WriteNullArray();
                return;
            }
            c.Reply.WriteBulk(group.Pending.First().Key.ToBytes());
            c.Reply.WriteBulk(group.Pending.Last().Key.ToBytes());
            var holders = group.Consumers.Values.Where(x => x.Pending.Count > 0).ToList();
            c.Reply.WriteArrayHeader(holders.Count);
            foreach (var holder in holders)
            {
                c.Reply.WriteArrayHeader(2);
                c.Reply.WriteBulk(holder.Name);
                c.Reply.WriteBulk(holder.Pending.Count);
            }
            return;
        }
        SortedDictionary<StreamId, PendingEntry> pel = group.Pending;
        if (consumerName != null)
        {
            if (LookupConsumer(group, consumerName, c.Now, refresh: false) is not { } consumer)
            {
                c.Reply.WriteArrayHeader(0);
                return;
            }
            pel = consumer.Pending;
        }
        var rows = new List<PendingEntry>();
        foreach (var (id, pending) in pel)
        {
            if (count == 0 || id > end) break;
            if (id < start) continue;
            if (minIdle > 0 && c.Now - pending.DeliveryTime < minIdle) continue;
            rows.Add(pending);
            count--;
        }
        c.Reply.WriteArrayHeader(rows.Count);
        foreach (var pending in rows)
        {
            c.Reply.WriteArrayHeader(4);
            c.Reply.WriteBulk(pending.Id.ToBytes());
            c.Reply.WriteBulk(pending.Owner.Name);
            c.Reply.WriteInteger(Math.Max(0, c.Now - pending.DeliveryTime));
            c.Reply.WriteInteger(pending.DeliveryCount);
        }
    }

    /// <summary>XCLAIM and XAUTOCLAIM: the group of the stream at c[1], or NOGROUP (or WRONGTYPE) answered.</summary>
    private static bool TryClaimGroup(CommandContext c, out RedisStream stream, out StreamGroup group)
    {
        stream = null!;
        group = null!;
        var entry = c.Read(c[1]);
        if (!c.TryGet<RedisStream>(entry, out var found)) return false;
        if (found == null || !found.Groups.TryGetValue(c[2], out var g))
        {
            ErrorWithNames(c, $"NOGROUP No such key '{Latin1(c[1])}' or consumer group '{Latin1(c[2])}'");
            return false;
        }
        stream = found;
        group = g;
        return true;
    }

    /// <summary>Gives a pending entry to <paramref name="consumer"/> (moving it from its owner's list).</summary>
    private static void GiveTo(PendingEntry pending, StreamConsumer consumer)
    {
        if (pending.Owner == consumer) return;
        pending.Owner?.Pending.Remove(pending.Id);
        pending.Owner = consumer;
        consumer.Pending[pending.Id] = pending;
    }

    /// <summary>A pending entry whose stream entry is gone: dropped, and the drop journaled (as XCLAIM of a missing entry).</summary>
    private static void DropPending(CommandContext c, RedisStream stream, StreamGroup group, PendingEntry pending)
    {
        PropagateClaim(c, c[1], group, c[2], pending.Id.ToBytes(), pending);
        group.Pending.Remove(pending.Id);
        pending.Owner.Pending.Remove(pending.Id);
        c.KeyChanged(c[1]);
    }

    private static void XClaim(CommandContext c)
    {
        if (!TryClaimGroup(c, out var stream, out var group)) return;
        if (!Args.TryLong(c[4], out long minIdle))
        {
            c.Error("ERR Invalid min-idle-time argument for XCLAIM");
            return;
        }
        if (minIdle < 0) minIdle = 0;
        var ids = new List<StreamId>();
        int j = 5;
        for (; j < c.Argc; j++)
        {
            if (!StreamId.TryParse(c[j], out var id, 0, strict: true)) break;
            ids.Add(id);
        }
        long now = c.Now, retryCount = -1, deliveryTime = -1;
        bool force = false, justId = false;
        var lastId = StreamId.Zero;
        for (; j < c.Argc; j++)
        {
            bool more = c.Argc - 1 - j > 0;
            var opt = c[j];
            if (Args.Is(opt, "force")) force = true;
            else if (Args.Is(opt, "justid")) justId = true;
            else if (Args.Is(opt, "idle") && more)
            {
                j++;
                if (!Args.TryLong(c[j], out deliveryTime))
                {
                    c.Error("ERR Invalid IDLE option argument for XCLAIM");
                    return;
                }
                deliveryTime = now - deliveryTime;
            }
            else if (Args.Is(opt, "time") && more)
            {
                j++;
                if (!Args.TryLong(c[j], out deliveryTime))
                {
                    c.Error("ERR Invalid TIME option argument for XCLAIM");
                    return;
                }
            }
            else if (Args.Is(opt, "retrycount") && more)
            {
                j++;
                if (!Args.TryLong(c[j], out retryCount))
                {
                    c.Error("ERR Invalid RETRYCOUNT option argument for XCLAIM");
                    return;
                }
            }
            else if (Args.Is(opt, "lastid") && more)
            {
                j++;
                if (!TryId(c, c[j], out lastId, strict: true)) return;
            }
            else
            {
                ErrorWithNames(c, $"ERR Unrecognized XCLAIM option '{Latin1(opt)}'");
                return;
            }
        }
        bool propagateLastId = false;
        if (lastId > group.LastId)
        {
            group.LastId = lastId;
            propagateLastId = true;
            c.KeyChanged(c[1]);
        }
        if (deliveryTime == -1 || deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
        StreamConsumer? consumer = null;
        var reply = new RespWriter(64) { Resp3 = c.Reply.Resp3 };
        int claimed = 0;
        foreach (var id in ids)
        {
            group.Pending.TryGetValue(id, out var pending);
            var entry = stream.Find(id);
            if (entry == null)
            {
                if (pending != null)
                {
                    DropPending(c, stream, group, pending);
                    propagateLastId = false;
                }
                continue;
            }
            if (force && pending == null)
            {
                pending = new PendingEntry(id, null!, now, 0);
                group.Pending[id] = pending;
            }
            if (pending == null) continue;
            if (pending.Owner != null && minIdle > 0 && now - pending.DeliveryTime < minIdle) continue;
            consumer ??= LookupConsumer(group, c[3], now) ?? CreateConsumer(c, group, c[3], c[1])!;
            GiveTo(pending, consumer);
            pending.DeliveryTime = deliveryTime;
            if (retryCount >= 0) pending.DeliveryCount = retryCount;
            else if (!justId) pending.DeliveryCount++;
            if (justId) reply.WriteBulk(id.ToBytes());
            else WriteEntry(reply, entry);
            claimed++;
            PropagateClaim(c, c[1], group, c[2], id.ToBytes(), pending);
            propagateLastId = false;
            c.KeyChanged(c[1]);
        }
        if (propagateLastId) PropagateGroupId(c, c[1], group, c[2]);
        c.Propagate([]);
        c.Reply.WriteArrayHeader(claimed);
        c.Reply.WriteRaw(reply.ToArray());
    }

    private static void XAutoClaim(CommandContext c)
    {
        if (!Args.TryLong(c[4], out long minIdle))
        {
            c.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM");
            return;
        }
        if (minIdle < 0) minIdle = 0;
        if (!TryRangeStart(c, c[5], out var start)) return;
        long count = 100;
        bool justId = false;
        for (int j = 6; j < c.Argc; j++)
        {
            bool more = c.Argc - 1 - j > 0;
            if (Args.Is(c[j], "count") && more)
            {
                long maxCount = long.MaxValue / 16;
                if (!Args.TryLong(c[j + 1], out count) || count < 1 || count > maxCount)
                {
                    c.Error("ERR COUNT must be > 0");
                    return;
                }
                j++;
            }
            else if (Args.Is(c[j], "justid")) justId = true;
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        if (!TryClaimGroup(c, out var stream, out var group)) return;
        long attempts = count * 10, now = c.Now;
        StreamConsumer? consumer = null;
        var reply = new RespWriter(64) { Resp3 = c.Reply.Resp3 };
        var deleted = new List<StreamId>();
        int claimed = 0;
        StreamId? next = null;
        var candidates = group.Pending.Values.Where(p => p.Id >= start).ToList();
        int at = 0;
        for (; attempts-- > 0 && count > 0 && at < candidates.Count; at++)
        {
            var pending = candidates[at];
            var entry = stream.Find(pending.Id);
            if (entry == null)
            {
                DropPending(c, stream, group, pending);
                deleted.Add(pending.Id);
                count--;
                continue;
            }
            if (minIdle > 0 && now - pending.DeliveryTime < minIdle) continue;
            consumer ??= LookupConsumer(group, c[3], now) ?? CreateConsumer(c, group, c[3], c[1])!;
            GiveTo(pending, consumer);
            pending.DeliveryTime = now;
            if (!justId) pending.DeliveryCount++;
            if (justId) reply.WriteBulk(pending.Id.ToBytes());
            else WriteEntry(reply, entry);
            claimed++;
            count--;
            PropagateClaim(c, c[1], group, c[2], pending.Id.ToBytes(), pending);
            c.KeyChanged(c[1]);
        }
        if (at < candidates.Count) next = candidates[at].Id;
        c.Propagate([]);
        c.Reply.WriteArrayHeader(3);
        c.Reply.WriteBulk((next ?? StreamId.Zero).ToBytes());
        c.Reply.WriteArrayHeader(claimed);
        c.Reply.WriteRaw(reply.ToArray());
        c.Reply.WriteArrayHeader(deleted.Count);
        foreach (var id in deleted) c.Reply.WriteBulk(id.ToBytes());
    }

    // ------------------------------------------------------------------------------------------ XINFO

    /// <summary>The stream at c[2] for XINFO: "no such key" or WRONGTYPE answered when there is none.</summary>
    private static RedisStream? InfoStream(CommandContext c)
    {
        var entry = c.Read(c[2]);
        if (entry == null)
        {
            c.Error(RespErrors.NoSuchKey);
            return null;
        }
        return c.TryGet<RedisStream>(entry, out var stream) ? stream : null;
    }

    private static void WriteId(RespWriter reply, StreamId id) => reply.WriteBulk(id.ToBytes());

    private static void XInfoStream(CommandContext c)
    {
        bool full = c.Argc > 3;
        long count = 10;
        if (full)
        {
            int options = c.Argc - 3;
            if (options != 1 && options != 3 || !Args.Is(c[3], "full") || options == 3 && !Args.Is(c[4], "count"))
            {
                c.Error(RespErrors.SubcommandSyntax(Encoding.UTF8.GetString(c[1]), "xinfo"));
                return;
            }
            if (options == 3)
            {
                if (!Args.TryInteger(c, c[5], out count)) return;
                if (count < 0) count = 10;
            }
        }
        if (InfoStream(c) is not { } stream) return;
        var r = c.Reply;
        r.WriteMapHeader(full ? 9 : 10);
        r.WriteBulk("length"u8);
        r.WriteInteger(stream.Length);
        r.WriteBulk("radix-tree-keys"u8);
        r.WriteInteger(stream.Nodes.Count);
        r.WriteBulk("radix-tree-nodes"u8);
        r.WriteInteger(RadixTreeNodes(stream.Nodes.Count));
        r.WriteBulk("last-generated-id"u8);
        WriteId(r, stream.LastId);
        r.WriteBulk("max-deleted-entry-id"u8);
        WriteId(r, stream.MaxDeletedId);
        r.WriteBulk("entries-added"u8);
        r.WriteInteger(stream.EntriesAdded);
        r.WriteBulk("recorded-first-entry-id"u8);
        WriteId(r, stream.FirstId);
        if (!full)
        {
            r.WriteBulk("groups"u8);
            r.WriteInteger(stream.Groups.Count);
            r.WriteBulk("first-entry"u8);
            WriteEdge(r, stream.Range(StreamId.Zero, StreamId.Max).FirstOrDefault());
            r.WriteBulk("last-entry"u8);
            WriteEdge(r, stream.Range(StreamId.Zero, StreamId.Max, reverse: true).FirstOrDefault());
            return;
        }
        r.WriteBulk("entries"u8);
        WriteEntries(r, stream.Range(StreamId.Zero, StreamId.Max), count);
        r.WriteBulk("groups"u8);
        r.WriteArrayHeader(stream.Groups.Count);
        foreach (var (name, group) in stream.Groups)
        {
            r.WriteMapHeader(7);
            r.WriteBulk("name"u8);
            r.WriteBulk(name);
            r.WriteBulk("last-delivered-id"u8);
            WriteId(r, group.LastId);
            r.WriteBulk("entries-read"u8);
            WriteEntriesRead(r, group);
            r.WriteBulk("lag"u8);
            WriteLag(r, stream, group);
            r.WriteBulk("pel-count"u8);
            r.WriteInteger(group.Pending.Count);
            r.WriteBulk("pending"u8);
            var pendings = UpTo(group.Pending.Values, count);
            r.WriteArrayHeader(pendings.Count);
            foreach (var pending in pendings)
            {
                r.WriteArrayHeader(4);
                WriteId(r, pending.Id);
                r.WriteBulk(pending.Owner.Name);
                r.WriteInteger(pending.DeliveryTime);
                r.WriteInteger(pending.DeliveryCount);
            }
            r.WriteBulk("consumers"u8);
            r.WriteArrayHeader(group.Consumers.Count);
            foreach (var consumer in group.Consumers.Values)
            {
                r.WriteMapHeader(4);
                r.WriteBulk("name"u8);
                r.WriteBulk(consumer.Name);
                r.WriteBulk("seen-time"u8);
                r.WriteInteger(consumer.SeenTime);
                r.WriteBulk("pel-count"u8);
                r.WriteInteger(consumer.Pending.Count);
                r.WriteBulk("pending"u8);
                var own = UpTo(consumer.Pending.Values, count);
                r.WriteArrayHeader(own.Count);
                foreach (var pending in own)
                {
                    r.WriteArrayHeader(3);
                    WriteId(r, pending.Id);
                    r.WriteInteger(pending.DeliveryTime);
                    r.WriteInteger(pending.DeliveryCount);
                }
            }
        }
    }

    /// <summary>A radix tree's node count for this many 16-byte keys, roughly as Redis's rax reports it (not kept here).</summary>
    private static long RadixTreeNodes(int keys) => keys == 0 ? 1 : keys * 2L;

    private static void WriteEdge(RespWriter reply, StreamEntry? entry)
    {
        if (entry == null) reply.WriteNull();
        else WriteEntry(reply, entry);
    }

    private static void WriteEntriesRead(RespWriter reply, StreamGroup group)
    {
        if (group.EntriesRead != StreamGroup.InvalidEntriesRead) reply.WriteInteger(group.EntriesRead);
        else reply.WriteNull();
    }

    private static void WriteLag(RespWriter reply, RedisStream stream, StreamGroup group)
    {
        if (stream.Lag(group) is { } lag) reply.WriteInteger(lag);
        else reply.WriteNull();
    }

    private static void XInfoGroups(CommandContext c)
    {
        if (InfoStream(c) is not { } stream) return;
        var r = c.Reply;
        r.WriteArrayHeader(stream.Groups.Count);
        foreach (var (name, group) in stream.Groups)
        {
            r.WriteMapHeader(6);
            r.WriteBulk("name"u8);
            r.WriteBulk(name);
            r.WriteBulk("consumers"u8);
            r.WriteInteger(group.Consumers.Count);
            r.WriteBulk("pending"u8);
            r.WriteInteger(group.Pending.Count);
            r.WriteBulk("last-delivered-id"u8);
            WriteId(r, group.LastId);
            r.WriteBulk("entries-read"u8);
            WriteEntriesRead(r, group);
            r.WriteBulk("lag"u8);
            WriteLag(r, stream, group);
        }
    }

    private static void XInfoConsumers(CommandContext c)
    {
        if (InfoStream(c) is not { } stream) return;
        if (!stream.Groups.TryGetValue(c[3], out var group))
        {
            ErrorWithNames(c, $"NOGROUP No such consumer group '{Latin1(c[3])}' for key name '{Latin1(c[2])}'");
            return;
        }
        var r = c.Reply;
        r.WriteArrayHeader(group.Consumers.Count);
        foreach (var consumer in group.Consumers.Values)
        {
            r.WriteMapHeader(3);
            r.WriteBulk("name"u8);
            r.WriteBulk(consumer.Name);
            r.WriteBulk("pending"u8);
            r.WriteInteger(consumer.Pending.Count);
            r.WriteBulk("idle"u8);
            r.WriteInteger(Math.Max(0, c.Now - consumer.SeenTime));
        }
    }

    // ------------------------------------------------------------------------------------------ the journal's form

    /// <summary>
    /// A stream as commands, as Redis's rewriteStreamObject writes it: XADD per entry (an empty stream by XADD MAXLEN 0),
    /// XSETID with the counters, then each group by XGROUP CREATE, its pending entries by XCLAIM, and consumers with
    /// nothing pending by XGROUP CREATECONSUMER.
    /// </summary>
    public static IEnumerable<byte[][]> AsCommands(byte[] key, RedisStream stream)
    {
        if (stream.Length > 0)
            foreach (var entry in stream.Range(StreamId.Zero, StreamId.Max))
                yield return [XAddName, key, entry.Id.ToBytes(), .. entry.Fields];
        else yield return [XAddName, key, MaxLenWord, Zero, "0-1"u8.ToArray(), "x"u8.ToArray(), "y"u8.ToArray()];
        yield return [XSetIdName, key, stream.LastId.ToBytes(), EntriesAddedWord, Args.Bytes(stream.EntriesAdded), MaxDeletedIdWord, stream.MaxDeletedId.ToBytes()];
        foreach (var (name, group) in stream.Groups)
        {
            yield return [XGroupName, CreateWord, key, name, group.LastId.ToBytes(), EntriesReadWord, Args.Bytes(group.EntriesRead)];
            foreach (var pending in group.Pending.Values)
                yield return [XClaimName, key, name, pending.Owner.Name, Zero, pending.Id.ToBytes(), TimeWord, Args.Bytes(pending.DeliveryTime),
                    RetryCountWord, Args.Bytes(pending.DeliveryCount), JustIdWord, ForceWord];
            foreach (var consumer in group.Consumers.Values)
                if (consumer.Pending.Count == 0) yield return [XGroupName, CreateConsumerWord, key, name, consumer.Name];
        }
    }
}
