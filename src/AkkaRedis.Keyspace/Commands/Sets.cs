using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>Set commands (t_set.c). Multi-key forms run with every involved shard held (see CrossShard).</summary>
public static class Sets
{
    public static void Register(CommandTable.Builder table) => table
        .Keyed("sadd", SAdd)
        .Keyed("srem", SRem)
        .Keyed("scard", c => WithSet(c, s => c.Reply.WriteInteger(s?.Count ?? 0)))
        .Keyed("sismember", c => WithSet(c, s => c.Reply.WriteInteger(s != null && s.Contains(c[2]) ? 1 : 0)))
        .Keyed("smismember", SMIsMember)
        .Keyed("smembers", c => WithSet(c, s => WriteSet(c, s?.Members.ToList() ?? [])))
        .Keyed("srandmember", SRandMember)
        .Keyed("spop", SPop)
        .Keyed("smove", SMove)
        .Keyed("sinter", c => Combine(c, Operation.Inter, 1, null))
        .Keyed("sunion", c => Combine(c, Operation.Union, 1, null))
        .Keyed("sdiff", c => Combine(c, Operation.Diff, 1, null))
        .Keyed("sinterstore", c => Combine(c, Operation.Inter, 2, c[1]))
        .Keyed("sunionstore", c => Combine(c, Operation.Union, 2, c[1]))
        .Keyed("sdiffstore", c => Combine(c, Operation.Diff, 2, c[1]))
        .Keyed("sintercard", SInterCard)
        .Keyed("sscan", SScan);

    private static void WithSet(CommandContext c, Action<RedisSet?> action)
    {
        if (c.TryGet<RedisSet>(c.Read(c[1]), out var set)) action(set);
    }

    private static void WriteSet(CommandContext c, IReadOnlyCollection<byte[]> members)
    {
        c.Reply.WriteSetHeader(members.Count);
        foreach (var member in members) c.Reply.WriteBulk(member);
    }

    private static void SAdd(CommandContext c)
    {
        // Not TryGetForWrite: its factory would capture c, a closure per call.
        var entry = c.Write(c[1]);
        if (!c.TryGet<RedisSet>(entry, out var set)) return;
        set ??= RedisSet.For(c[2]);
        long added = 0;
        for (int i = 2; i < c.Argc; i++)
            if (set.Add(c[i], c.Config.SetMaxIntsetEntries)) added++;
        if (added > 0)
        {
            c.Store(c[1], entry, set, set.Count);
            c.Notify(KeyspaceEvent.Set, "sadd", c[1]);
            c.CountChanges(added);
        }
        c.Reply.WriteInteger(added);
    }

    private static void SRem(CommandContext c) =>
        c.RemoveMembers<RedisSet>((value, member) => value.Remove(member), value => value.Count, KeyspaceEvent.Set, "srem");

    private static void SMIsMember(CommandContext c) => WithSet(c, s =>
    {
        c.Reply.WriteArrayHeader(c.Argc - 2);
        for (int i = 2; i < c.Argc; i++) c.Reply.WriteInteger(s != null && s.Contains(c[i]) ? 1 : 0);
    });

    private static void SRandMember(CommandContext c)
    {
        if (c.Argc == 2)
        {
            WithSet(c, s =>
            {
                if (s == null) c.Reply.WriteNull();
                else c.Reply.WriteBulk(s.Members.ElementAt(c.Random.Next(s.Count)));
            });
            return;
        }
        if (c.Argc > 3)
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        if (!RandomPicks.TryCount(c, c[2], out long count, out bool unique)) return;
        WithSet(c, s =>
        {
            var members = s?.ToArray() ?? [];
            if (RandomPicks.TooMany(c, members.Length, count, unique)) return;
            var picks = RandomPicks.Choose(c.Random, members.Length, count, unique);
            // Always an array, also in RESP3, as Redis 7 answers (t_set.c srandmemberWithCountCommand).
            c.Reply.WriteArrayHeader(picks.Count);
            foreach (int i in picks) c.Reply.WriteBulk(members[i]);
        });
    }

    private static void SPop(CommandContext c)
    {
        long count = 1;
        bool hasCount = c.Argc == 3;
        if (c.Argc > 3)
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        if (hasCount && !Args.TryPositive(c, c[2], out count)) return;
        var entry = c.Write(c[1]);
        if (!c.TryGet<RedisSet>(entry, out var set)) return;
        if (set == null)
        {
            if (hasCount) c.Reply.WriteSetHeader(0);
            else c.Reply.WriteNull();
            return;
        }
        var members = set.ToArray();
        var picks = RandomPicks.Choose(c.Random, members.Length, count, unique: true);
        var popped = picks.Select(i => members[i]).ToList();
        foreach (var member in popped) set.Remove(member);
        if (popped.Count > 0) c.Notify(KeyspaceEvent.Set, "spop", c[1]);
        c.Store(c[1], entry, set, set.Count);
        c.CountChanges(popped.Count);
        if (hasCount) WriteSet(c, popped);
        else c.Reply.WriteBulk(popped[0]);
        // The journal gets what was popped, not the random draw (t_set.c spopWithCountCommand).
        if (popped.Count > 0) c.Propagate([Cmd.SRem, c[1], .. popped]);
        else c.Propagate([]);
    }

    private static void SMove(CommandContext c)
    {
        var sourceEntry = c.Write(c[1]);
        var destinationEntry = c.Write(c[2]);
        if (!c.TryGet<RedisSet>(sourceEntry, out var source)) return;
        if (source == null)
        {
            c.Reply.WriteInteger(0);
            return;
        }
        if (!c.TryGet<RedisSet>(destinationEntry, out var destination)) return;
        if (ReferenceEquals(source, destination))
        {
            c.Reply.WriteInteger(source.Contains(c[3]) ? 1 : 0);
            return;
        }
        if (!source.Remove(c[3]))
        {
            c.Reply.WriteInteger(0);
            return;
        }
        c.Notify(KeyspaceEvent.Set, "srem", c[1]);
        c.Store(c[1], sourceEntry, source, source.Count);
        destination ??= RedisSet.For(c[3]);
        // The destination changed only if it did not hold the member already (smoveCommand): else WATCH and client
        // tracking are not told of it.
        if (destination.Add(c[3], c.Config.SetMaxIntsetEntries))
        {
            c.Store(c[2], destinationEntry, destination, destination.Count);
            c.Notify(KeyspaceEvent.Set, "sadd", c[2]);
        }
        c.Reply.WriteInteger(1);
        if (HashSlot.Of(c[1]) != HashSlot.Of(c[2]))
        {
            // Two halves, each replayed by the shard that owns its key.
            c.Propagate(Cmd.SRem, c[1], c[3]);
            c.Propagate(Cmd.SAdd, c[2], c[3]);
        }
    }

    private enum Operation { Inter, Union, Diff }

    /// <summary>The sets at the given keys (missing keys are empty); null with WRONGTYPE written if one holds another type.</summary>
    private static List<RedisSet?>? ReadSets(CommandContext c, int from, int to)
    {
        var sets = new List<RedisSet?>();
        for (int i = from; i < to; i++)
        {
            if (!c.TryGet<RedisSet>(c.Read(c[i]), out var set)) return null;
            sets.Add(set);
        }
        return sets;
    }

    private static List<byte[]> Compute(Operation operation, List<RedisSet?> sets)
    {
        switch (operation)
        {
            case Operation.Inter:
                if (sets.Any(s => s == null)) return [];
                var ordered = sets.OrderBy(s => s!.Count).ToList();
                return ordered[0]!.Members.Where(m => ordered.Skip(1).All(s => s!.Contains(m))).ToList();
            case Operation.Union:
                var union = new HashSet<byte[]>(ByteArrayComparer.Instance);
                var result = new List<byte[]>();
                foreach (var set in sets)
                    if (set != null)
                        foreach (var m in set.Members)
                            if (union.Add(m)) result.Add(m);
                return result;
            default:
                if (sets[0] == null) return [];
                return sets[0]!.Members.Where(m => sets.Skip(1).All(s => s == null || !s.Contains(m))).ToList();
        }
    }

    private static void Combine(CommandContext c, Operation operation, int firstKey, byte[]? destination)
    {
        var sets = ReadSets(c, firstKey, c.Argc);
        if (sets == null) return;
        var members = Compute(operation, sets);
        if (destination == null)
        {
            WriteSet(c, members);
            return;
        }
        if (members.Count > 0)
        {
            var stored = RedisSet.For(members[0]);
            foreach (var m in members) stored.Add(m, c.Config.SetMaxIntsetEntries);
            c.SetValue(destination, stored);
            c.Notify(KeyspaceEvent.Set, operation switch { Operation.Inter => "sinterstore", Operation.Union => "sunionstore", _ => "sdiffstore" }, destination);
        }
        else c.DeleteAndNotify(destination);
        c.Reply.WriteInteger(members.Count);
    }

    private static void SInterCard(CommandContext c)
    {
        if (!Args.TryLong(c[1], out long numKeys) || numKeys <= 0)
        {
            c.Error("ERR numkeys should be greater than 0");
            return;
        }
        if (numKeys > c.Argc - 2)
        {
            c.Error("ERR Number of keys can't be greater than number of args");
            return;
        }
        long limit = 0;
        for (int i = 2 + (int)numKeys; i < c.Argc; i += 2)
        {
            if (Args.Is(c[i], "LIMIT") && i + 1 < c.Argc)
            {
                if (!Args.TryLong(c[i + 1], out limit) || limit < 0)
                {
                    c.Error("ERR LIMIT can't be negative");
                    return;
                }
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }
        var sets = ReadSets(c, 2, 2 + (int)numKeys);
        if (sets == null) return;
        long count = Compute(Operation.Inter, sets).Count;
        c.Reply.WriteInteger(limit > 0 ? Math.Min(limit, count) : count);
    }

    private static void SScan(CommandContext c) => CollectionScan.Run<RedisSet>(c, (set, pattern) =>
        set.Members.Where(m => pattern == null || Glob.Match(pattern, m)).ToList());
}
