using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>Hash commands (t_hash.c).</summary>
public static class Hashes
{
    public static void Register(CommandTable.Builder table) => table
        .Keyed("hset", c => HSet(c, multiReply: false))
        .Keyed("hmset", c => HSet(c, multiReply: true))
        .Keyed("hsetnx", HSetNx)
        .Keyed("hget", HGet)
        .Keyed("hmget", HMGet)
        .Keyed("hdel", HDel)
        .Keyed("hlen", c => WithHash(c, h => c.Reply.WriteInteger(h?.Count ?? 0)))
        .Keyed("hstrlen", c => WithHash(c, h => c.Reply.WriteInteger(h?.Get(c[2])?.Length ?? 0)))
        .Keyed("hexists", c => WithHash(c, h => c.Reply.WriteInteger(h?.Get(c[2]) != null ? 1 : 0)))
        .Keyed("hkeys", c => WithHash(c, h => WriteAll(c, h, keys: true, values: false)))
        .Keyed("hvals", c => WithHash(c, h => WriteAll(c, h, keys: false, values: true)))
        .Keyed("hgetall", c => WithHash(c, h => WriteAll(c, h, keys: true, values: true)))
        .Keyed("hincrby", HIncrBy)
        .Keyed("hincrbyfloat", HIncrByFloat)
        .Keyed("hrandfield", HRandField)
        .Keyed("hscan", HScan);

    /// <summary>Runs <paramref name="action"/> with the hash (null when missing) after the WRONGTYPE check.</summary>
    private static void WithHash(CommandContext c, Action<RedisHash?> action)
    {
        if (c.TryGet<RedisHash>(c.Read(c[1]), out var hash)) action(hash);
    }

    private static void HSet(CommandContext c, bool multiReply)
    {
        if (c.Argc % 2 != 0)
        {
            c.Error(RespErrors.WrongArgs(c.Spec.Name));
            return;
        }
        if (!c.TryGetForWrite(c[1], () => new RedisHash(), out var hash, out var entry)) return;
        long added = 0;
        for (int i = 2; i < c.Argc; i += 2)
            if (hash.Set(c[i], c[i + 1], c.Config.HashMaxListpackEntries, c.Config.HashMaxListpackValue)) added++;
        c.Store(c[1], entry, hash, hash.Count);
        c.Notify(KeyspaceEvent.Hash, "hset", c[1]);
        c.CountChanges((c.Argc - 2) / 2);
        if (multiReply) c.Reply.WriteOk();
        else c.Reply.WriteInteger(added);
    }

    private static void HSetNx(CommandContext c)
    {
        if (!c.TryGetForWrite(c[1], () => new RedisHash(), out var hash, out var entry)) return;
        if (hash.Get(c[2]) != null)
        {
            c.Reply.WriteInteger(0);
            return;
        }
        hash.Set(c[2], c[3], c.Config.HashMaxListpackEntries, c.Config.HashMaxListpackValue);
        c.Store(c[1], entry, hash, hash.Count);
        c.Notify(KeyspaceEvent.Hash, "hset", c[1]);
        c.Reply.WriteInteger(1);
    }

    private static void HGet(CommandContext c) => WithHash(c, h =>
    {
        var value = h?.Get(c[2]);
        if (value == null) c.Reply.WriteNull();
        else c.Reply.WriteBulk(value);
    });

    private static void HMGet(CommandContext c) => WithHash(c, h =>
    {
        c.Reply.WriteArrayHeader(c.Argc - 2);
        for (int i = 2; i < c.Argc; i++)
        {
            var value = h?.Get(c[i]);
            if (value == null) c.Reply.WriteNull();
            else c.Reply.WriteBulk(value);
        }
    });

    private static void HDel(CommandContext c) =>
        c.RemoveMembers<RedisHash>((value, member) => value.Remove(member), value => value.Count, KeyspaceEvent.Hash, "hdel");

    private static void WriteAll(CommandContext c, RedisHash? hash, bool keys, bool values)
    {
        int count = hash?.Count ?? 0;
        if (keys && values) c.Reply.WriteMapHeader(count);
        else c.Reply.WriteArrayHeader(count);
        if (hash == null) return;
        foreach (var pair in hash.Entries)
        {
            if (keys) c.Reply.WriteBulk(pair.Key);
            if (values) c.Reply.WriteBulk(pair.Value);
        }
    }

    private static void HIncrBy(CommandContext c)
    {
        if (!Args.TryInteger(c, c[3], out long increment)) return;
        if (!c.TryGetForWrite(c[1], () => new RedisHash(), out var hash, out var entry)) return;
        long current = 0;
        var existing = hash.Get(c[2]);
        if (existing != null && !Strings.TryParseStoredInteger(existing, out current))
        {
            c.Error("ERR hash value is not an integer");
            return;
        }
        if (!Args.TryAdd(current, increment, out long result))
        {
            c.Error(RespErrors.Overflow);
            return;
        }
        hash.Set(c[2], Args.Bytes(result), c.Config.HashMaxListpackEntries, c.Config.HashMaxListpackValue);
        c.Store(c[1], entry, hash, hash.Count);
        c.Notify(KeyspaceEvent.Hash, "hincrby", c[1]);
        c.Reply.WriteInteger(result);
    }

    private static void HIncrByFloat(CommandContext c)
    {
        if (!LongDouble.TryParse(c[3], out var increment))
        {
            c.Error(RespErrors.NotFloat);
            return;
        }
        if (!increment.IsFinite)
        {
            c.Error("ERR value is NaN or Infinity");
            return;
        }
        if (!c.TryGetForWrite(c[1], () => new RedisHash(), out var hash, out var entry)) return;
        var current = default(LongDouble);
        var existing = hash.Get(c[2]);
        if (existing != null && !LongDouble.TryParse(existing, out current))
        {
            c.Error("ERR hash value is not a float");
            return;
        }
        var bytes = Strings.AddFloats(c, current, increment);
        if (bytes == null) return;
        hash.Set(c[2], bytes, c.Config.HashMaxListpackEntries, c.Config.HashMaxListpackValue);
        c.Store(c[1], entry, hash, hash.Count);
        c.Notify(KeyspaceEvent.Hash, "hincrbyfloat", c[1]);
        c.Reply.WriteBulk(bytes);
        c.Propagate(Cmd.HSet, c[1], c[2], bytes);
    }

    private static void HRandField(CommandContext c)
    {
        if (c.Argc == 2)
        {
            WithHash(c, h =>
            {
                if (h == null) c.Reply.WriteNull();
                else c.Reply.WriteBulk(h.Entries.ElementAt(c.Random.Next(h.Count)).Key);
            });
            return;
        }
        if (!RandomPicks.TryCount(c, c[2], out long count, out bool unique)) return;
        bool withValues = false;
        if (c.Argc == 4 && Args.Is(c[3], "WITHVALUES")) withValues = true;
        else if (c.Argc > 3)
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        WithHash(c, h =>
        {
            var pairs = h?.Entries.ToArray() ?? [];
            if (RandomPicks.TooMany(c, pairs.Length, count, unique)) return;
            var picks = RandomPicks.Choose(c.Random, pairs.Length, count, unique);
            if (withValues && c.Reply.Resp3)
            {
                c.Reply.WriteArrayHeader(picks.Count);
                foreach (int i in picks)
                {
                    c.Reply.WriteArrayHeader(2);
                    c.Reply.WriteBulk(pairs[i].Key);
                    c.Reply.WriteBulk(pairs[i].Value);
                }
                return;
            }
            c.Reply.WriteArrayHeader(picks.Count * (withValues ? 2 : 1));
            foreach (int i in picks)
            {
                c.Reply.WriteBulk(pairs[i].Key);
                if (withValues) c.Reply.WriteBulk(pairs[i].Value);
            }
        });
    }

    private static void HScan(CommandContext c) => CollectionScan.Run<RedisHash>(c, (hash, pattern) =>
    {
        var items = new List<byte[]>();
        foreach (var pair in hash.Entries)
        {
            if (pattern != null && !Glob.Match(pattern, pair.Key)) continue;
            items.Add(pair.Key);
            items.Add(pair.Value);
        }
        return items;
    });
}
