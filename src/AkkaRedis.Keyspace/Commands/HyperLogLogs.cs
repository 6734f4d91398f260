using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>PFADD, PFCOUNT, PFMERGE and PFDEBUG (hyperloglog.c) over <see cref="HyperLogLog"/> strings.</summary>
public static class HyperLogLogs
{
    public static void Register(CommandTable.Builder table) => table
        .Keyed("pfadd", PfAdd)
        .Keyed("pfcount", PfCount)
        .Keyed("pfmerge", PfMerge)
        .Keyed("pfdebug", PfDebug)
        .Keyed("pfselftest", c =>
        {
            if (HyperLogLog.SelfTest(c.Random, c.Config.HllSparseMaxBytes) is { } failure) c.Error(failure);
            else c.Reply.WriteOk();
        });

    /// <summary>The HLL at a key (null when missing); false with Redis's error when the key holds something else.</summary>
    private static bool TryRead(CommandContext c, Entry? entry, out byte[]? hll)
    {
        hll = null;
        if (!c.TryGet(entry, out byte[]? value)) return false;
        if (value != null && !HyperLogLog.IsValid(value))
        {
            c.Error(HyperLogLog.NotAnHll);
            return false;
        }
        hll = value;
        return true;
    }

    /// <summary>Stores a changed HLL, which Redis keeps as a raw string.</summary>
    private static void Store(CommandContext c, byte[] key, Entry? entry, byte[] hll)
    {
        if (entry == null)
        {
            c.Add(key, hll).Form = StringForm.Raw;
            return;
        }
        entry.Value = hll;
        entry.Form = StringForm.Raw;
        c.KeyChanged(key);
    }

    /// <summary>
    /// Raises each register of <paramref name="max"/> to those of the HLLs at the keys from <paramref name="from"/> on (a
    /// missing key is an empty HLL); false with the error answered. <paramref name="anyDense"/>: one of them is dense.
    /// </summary>
    private static bool TryMerge(CommandContext c, int from, byte[] max, out bool anyDense)
    {
        anyDense = false;
        for (int i = from; i < c.Argc; i++)
        {
            if (!TryRead(c, c.Read(c[i]), out var hll)) return false;
            if (hll == null) continue;
            if (HyperLogLog.IsDense(hll)) anyDense = true;
            if (HyperLogLog.MergeInto(max, hll)) continue;
            c.Error(HyperLogLog.InvalidObject);
            return false;
        }
        return true;
    }

    private static void PfAdd(CommandContext c)
    {
        var entry = c.Write(c[1]);
        if (!TryRead(c, entry, out var hll)) return;
        // pfaddCommand counts the key's creation and each element that changed a register.
        long updated = hll == null ? 1 : 0;
        hll ??= HyperLogLog.Create();
        for (int i = 2; i < c.Argc; i++)
        {
            int result = HyperLogLog.Add(ref hll, c[i], c.Config.HllSparseMaxBytes);
            if (result < 0)
            {
                c.Error(HyperLogLog.InvalidObject);
                return;
            }
            if (result > 0) updated++;
        }
        if (updated > 0)
        {
            // A new key's array, or a new one from Add: never the stored value, so changing it in place is safe.
            HyperLogLog.InvalidateCache(hll);
            Store(c, c[1], entry, hll);
            c.Notify(KeyspaceEvent.String, "pfadd", c[1]);
            c.CountChanges(updated);
        }
        c.Reply.WriteInteger(updated > 0 ? 1 : 0);
    }

    /// <summary>
    /// One key: the cached cardinality, or one computed and cached in the value (a change, journaled as Redis
    /// propagates it). Several keys: the cardinality of their union, nothing cached.
    /// </summary>
    private static void PfCount(CommandContext c)
    {
        if (c.Argc > 2)
        {
            var union = new byte[HyperLogLog.Registers];
            if (TryMerge(c, 1, union, out _)) c.Reply.WriteInteger(HyperLogLog.Estimate(union));
            return;
        }
        var entry = c.Read(c[1]);
        if (!TryRead(c, entry, out var hll)) return;
        if (hll == null)
        {
            c.Reply.WriteInteger(0);
            return;
        }
        if (HyperLogLog.CachedCount(hll) is { } cached)
        {
            c.Reply.WriteInteger(cached);
            return;
        }
        if (HyperLogLog.Count(hll) is not { } count)
        {
            c.Error(HyperLogLog.InvalidObject);
            return;
        }
        hll = hll.ToArray();
        HyperLogLog.CacheCount(hll, count);
        Store(c, c[1], entry, hll);
        c.Reply.WriteInteger(count);
    }

    private static void PfMerge(CommandContext c)
    {
        var max = new byte[HyperLogLog.Registers];
        if (!TryMerge(c, 1, max, out bool useDense)) return;
        var entry = c.Write(c[1]);
        var hll = entry?.Value as byte[] ?? HyperLogLog.Create();
        if (useDense && HyperLogLog.ToDense(hll) is { } dense) hll = dense;
        else if (useDense)
        {
            c.Error(HyperLogLog.InvalidObject);
            return;
        }
        for (int register = 0; register < max.Length; register++)
            if (max[register] != 0) HyperLogLog.Set(ref hll, register, max[register], c.Config.HllSparseMaxBytes);
        if (ReferenceEquals(hll, entry?.Value)) hll = hll.ToArray();
        HyperLogLog.InvalidateCache(hll);
        Store(c, c[1], entry, hll);
        c.Notify(KeyspaceEvent.String, "pfadd", c[1]);
        c.Reply.WriteOk();
    }

    /// <summary>PFDEBUG GETREG | DECODE | ENCODING | TODENSE key (pfdebugCommand): the key is checked first, then the subcommand.</summary>
    private static void PfDebug(CommandContext c)
    {
        var entry = c.Write(c[2]);
        if (entry == null)
        {
            c.Error("ERR The specified key does not exist");
            return;
        }
        if (!TryRead(c, entry, out var found)) return;
        var hll = found!;
        var name = System.Text.Encoding.UTF8.GetString(c[1]);
        var sub = name.ToLowerInvariant();
        if (sub is not ("getreg" or "decode" or "encoding" or "todense"))
        {
            c.Error($"ERR Unknown PFDEBUG subcommand '{name}'");
            return;
        }
        if (c.Argc != 3)
        {
            c.Error($"ERR Wrong number of arguments for the '{name}' subcommand");
            return;
        }
        switch (sub)
        {
            case "encoding":
                c.Reply.WriteSimple(HyperLogLog.IsDense(hll) ? "dense" : "sparse");
                return;
            case "decode":
                if (HyperLogLog.IsDense(hll)) c.Error("ERR HLL encoding is not sparse");
                else c.Reply.WriteBulk(HyperLogLog.Decode(hll));
                return;
        }
        // GETREG and TODENSE turn a sparse HLL dense, and keep it so.
        bool converted = !HyperLogLog.IsDense(hll);
        if (converted)
        {
            if (HyperLogLog.ToDense(hll) is not { } dense)
            {
                c.Error(HyperLogLog.InvalidObject);
                return;
            }
            Store(c, c[2], entry, dense);
            hll = dense;
        }
        if (sub == "todense")
        {
            c.Reply.WriteInteger(converted ? 1 : 0);
            return;
        }
        var registers = HyperLogLog.ReadRegisters(hll)!;
        c.Reply.WriteArrayHeader(registers.Length);
        foreach (byte register in registers) c.Reply.WriteInteger(register);
    }
}
