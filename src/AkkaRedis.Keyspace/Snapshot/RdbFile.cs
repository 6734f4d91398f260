using System.Buffers.Binary;
using System.Text;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Scripting;

namespace AkkaRedis.Keyspace.Snapshot;

/// <summary>
/// The RDB file that SAVE and BGSAVE write (dump.rdb), in Redis 7.0's format (version 10) so redis-server loads it:
/// AUX fields, function libraries, then per database SELECTDB, RESIZEDB and each key (its expiry in ms first), and
/// EOF with a CRC-64 of the whole file. Values use the plain encodings every Redis reads: string, list, set, hash, and
/// sorted sets as ZSET_2 (binary scores). Reading also takes the compact encodings redis-server 7.0 writes (quicklist of
/// listpacks, listpack hashes and sorted sets, intsets), so a dump.rdb from Redis loads here; other types are refused, naming the type.
/// </summary>
public static class RdbFile
{
    private const byte TypeString = 0, TypeList = 1, TypeSet = 2, TypeZset = 3, TypeHash = 4, TypeZset2 = 5;
    // The compact encodings redis-server 7.0 writes.
    private const byte TypeSetIntset = 11, TypeZsetListpack = 17, TypeHashListpack = 16, TypeListQuicklist2 = 18;
    /// <summary>The RDB format version Redis 7.0 writes (in files and DUMP payloads).</summary>
    private const byte RdbVersion = 10;
    private const byte OpFunction2 = 245, OpAux = 250, OpResizeDb = 251, OpExpireMs = 252, OpSelectDb = 254, OpEof = 255;

    /// <summary>The whole dataset as RDB bytes. Every shard must be held (or not yet started).</summary>
    /// <param name="compress">rdbcompression: strings LZF-compressed where that saves room.</param>
    public static byte[] Write(Data.Keyspace keyspace, IEnumerable<FunctionLibrary> libraries, long nowMs, bool compress)
    {
        var output = new List<byte>(1 << 16);
        output.AddRange("REDIS0010"u8.ToArray());
        Aux(output, "redis-ver", Server.ServerState.Version);
        Aux(output, "redis-bits", "64");
        Aux(output, "ctime", (nowMs / 1000).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Aux(output, "aof-base", "0");
        foreach (var library in libraries)
        {
            output.Add(OpFunction2);
            RdbEncoding.WriteString(output, Encoding.UTF8.GetBytes(library.Code), compress);
        }
        for (int db = 0; db < keyspace.DatabaseCount; db++)
        {
            var entries = keyspace.Shards.SelectMany(s => s.Databases[db].All().Select(e => e.Entry))
                .Where(e => e.ExpireAt < 0 || e.ExpireAt > nowMs).ToList();
            if (entries.Count == 0) continue;
            output.Add(OpSelectDb);
            RdbEncoding.WriteLength(output, db);
            output.Add(OpResizeDb);
            RdbEncoding.WriteLength(output, entries.Count);
            RdbEncoding.WriteLength(output, entries.Count(e => e.ExpireAt >= 0));
            foreach (var entry in entries) WriteEntry(output, entry, compress);
        }
        output.Add(OpEof);
        var crc = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(crc, Crc64.Compute(output.ToArray()));
        output.AddRange(crc);
        return output.ToArray();
    }

    private static void WriteEntry(List<byte> output, Entry entry, bool compress)
    {
        if (entry.ExpireAt >= 0)
        {
            output.Add(OpExpireMs);
            var ms = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(ms, entry.ExpireAt);
            output.AddRange(ms);
        }
        output.Add(TypeOf(entry.Value));
        RdbEncoding.WriteString(output, entry.Key, compress);
        WriteValue(output, entry.Value, compress);
    }

    private static byte TypeOf(object value) => value switch
    {
        byte[] => TypeString,
        RedisList => TypeList,
        RedisSet => TypeSet,
        RedisHash => TypeHash,
        RedisSortedSet => TypeZset2,
        RedisStream => RdbStream.TypeStream2,
        _ => throw new ArgumentException($"no RDB type for {value.GetType().Name}"),
    };

    private static void WriteValue(List<byte> output, object value, bool compress)
    {
        switch (value)
        {
            case byte[] text:
                RdbEncoding.WriteString(output, text, compress);
                break;
            case RedisList list:
                Items(output, list.Items, list.Count, compress);
                break;
            case RedisSet set:
                Items(output, set.Members, set.Count, compress);
                break;
            case RedisSortedSet zset:
                // From the highest score down, as rdbSaveObject writes a skiplist (loading then inserts at the head).
                RdbEncoding.WriteLength(output, zset.Count);
                var score = new byte[8];
                foreach (var node in zset.Range(0, zset.Count - 1, reverse: true))
                {
                    RdbEncoding.WriteString(output, node.Member, compress);
                    BinaryPrimitives.WriteDoubleLittleEndian(score, node.Score);
                    output.AddRange(score);
                }
                break;
            case RedisStream stream:
                RdbStream.Write(output, stream);
                break;
            case RedisHash hash:
                RdbEncoding.WriteLength(output, hash.Count);
                foreach (var (field, fieldValue) in hash.Entries)
                {
                    RdbEncoding.WriteString(output, field, compress);
                    RdbEncoding.WriteString(output, fieldValue, compress);
                }
                break;
        }
    }

    /// <summary>
    /// DUMP's payload (cluster.c createDumpPayload): the value's RDB type and serialization, then the RDB version (two
    /// bytes, little-endian) and a CRC-64 of all that, so RESTORE on this server or on redis-server can check it.
    /// </summary>
    public static byte[] Dump(object value, bool compress)
    {
        var output = new List<byte>(64) { TypeOf(value) };
        WriteValue(output, value, compress);
        output.Add(RdbVersion);
        output.Add(0);
        var crc = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(crc, Crc64.Compute(output.ToArray()));
        output.AddRange(crc);
        return output.ToArray();
    }

    /// <summary>verifyDumpPayload: long enough, a version this server reads, and the checksum right.</summary>
    public static bool DumpIsIntact(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 10) return false;
        var footer = payload[^10..];
        int version = footer[0] | footer[1] << 8;
        return version <= RdbVersion && BinaryPrimitives.ReadUInt64LittleEndian(footer[2..]) == Crc64.Compute(payload[..^8]);
    }

    /// <summary>The value of an intact DUMP payload; <see cref="RdbException"/> when its contents are not a value.</summary>
    public static object Undump(byte[] payload, Server.ServerConfig config)
    {
        var reader = new RdbReader(payload[..^10], 0);
        var value = ReadValue(reader.Byte(), reader, config);
        if (reader.Remaining != 0) throw new RdbException("Bad data format");
        return value;
    }

    private static void Items(List<byte> output, IEnumerable<byte[]> items, int count, bool compress)
    {
        RdbEncoding.WriteLength(output, count);
        foreach (var item in items) RdbEncoding.WriteString(output, item, compress);
    }

    private static void Aux(List<byte> output, string key, string value)
    {
        output.Add(OpAux);
        RdbEncoding.WriteString(output, Encoding.ASCII.GetBytes(key));
        RdbEncoding.WriteString(output, Encoding.ASCII.GetBytes(value));
    }

    /// <summary>What a file holds: (db, key, value, expireAt) entries and library codes.</summary>
    public sealed record Contents(List<(int Db, byte[] Key, object Value, long ExpireAt)> Entries, List<string> Libraries);

    /// <summary>
    /// Puts a file's keys into the keyspace, each in the shard that owns its slot; keys already expired are left out, as
    /// rdbLoad leaves them out. With <paramref name="replace"/> a key already there is replaced (DEBUG RELOAD NOFLUSH
    /// MERGE); into an empty keyspace (start-up, a reload that flushed) there is nothing to look for. The shards must
    /// not be running, or be held.
    /// </summary>
    /// <param name="keyLoadDelay">key-load-delay: microseconds to wait after each key (see <see cref="Server.LoadDelay"/>).</param>
    public static void LoadInto(Contents contents, Data.Keyspace keyspace, long nowMs, bool replace = false, int keyLoadDelay = 0)
    {
        foreach (var (db, key, value, expireAt) in contents.Entries)
        {
            Server.LoadDelay.Wait(keyLoadDelay);
            if (db >= keyspace.DatabaseCount)
                throw new InvalidOperationException($"The RDB file holds database {db}, but databases is {keyspace.DatabaseCount}");
            int slot = HashSlot.Of(key);
            var database = keyspace.Shards[keyspace.SlotOwner[slot]].Databases[db];
            if (replace && database.FindRaw(slot, key) is { } existing) database.Remove(slot, existing);
            if (expireAt >= 0 && expireAt <= nowMs) continue;
            database.Add(slot, new Entry(key, value) { ExpireAt = expireAt, LastAccessSeconds = nowMs / 1000 });
        }
    }

    public static Contents Read(byte[] data, Server.ServerConfig config) => Read(data, config, out _);

    /// <summary>Reads the RDB at the start of <paramref name="data"/>; <paramref name="end"/>: where it ends (after its checksum).</summary>
    public static Contents Read(byte[] data, Server.ServerConfig config, out int end)
    {
        if (data.Length < 9 + 9 || !data.AsSpan(0, 5).SequenceEqual("REDIS"u8))
            throw new RdbException("Wrong signature trying to load DB from file");
        if (!int.TryParse(Encoding.ASCII.GetString(data, 5, 4), out int version) || version < 1 || version > 10)
            throw new RdbException($"Can't handle RDB format version {Encoding.ASCII.GetString(data, 5, 4)}");
        var reader = new RdbReader(data, 9);
        var contents = new Contents([], []);
        int db = 0;
        long expireAt = -1;
        while (true)
        {
            byte type = reader.Byte();
            switch (type)
            {
                case OpEof:
                    end = reader.Position;
                    if (version >= 5 && reader.Remaining >= 8)
                    {
                        ulong expected = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(reader.Position));
                        if (expected != 0 && expected != Crc64.Compute(data.AsSpan(0, reader.Position)))
                            throw new RdbException("Wrong RDB checksum");
                        end += 8;
                    }
                    return contents;
                case OpAux:
                    reader.String();
                    reader.String();
                    continue;
                case OpSelectDb:
                    db = (int)reader.Length();
                    continue;
                case OpResizeDb:
                    reader.Length();
                    reader.Length();
                    continue;
                case OpExpireMs:
                    expireAt = BinaryPrimitives.ReadInt64LittleEndian(reader.Take(8));
                    continue;
                case 253: // EXPIRETIME in seconds
                    expireAt = BinaryPrimitives.ReadInt32LittleEndian(reader.Take(4)) * 1000L;
                    continue;
                case OpFunction2:
                    contents.Libraries.Add(Encoding.UTF8.GetString(reader.String()));
                    continue;
                case 249: // MODULE_AUX
                case 246: // old FUNCTION
                    throw new RdbException($"Unsupported RDB opcode {type}");
                case 248: // IDLE
                    reader.Length();
                    continue;
                case 247: // FREQ
                    reader.Byte();
                    continue;
            }
            var key = reader.String();
            contents.Entries.Add((db, key, ReadValue(type, reader, config), expireAt));
            expireAt = -1;
        }
    }

    private static object ReadValue(byte type, RdbReader reader, Server.ServerConfig config) => type switch
    {
        TypeString => reader.String(),
        TypeList => List(reader),
        TypeSet => Set(reader, config.SetMaxIntsetEntries),
        TypeHash => Hash(reader, config),
        TypeZset => Zset(reader, config, binaryScores: false),
        TypeZset2 => Zset(reader, config, binaryScores: true),
        TypeZsetListpack => ListpackZset(reader.String(), config),
        TypeSetIntset => IntsetSet(reader.String(), config.SetMaxIntsetEntries),
        TypeHashListpack => ListpackHash(reader.String(), config),
        TypeListQuicklist2 => Quicklist(reader),
        RdbStream.TypeStream or RdbStream.TypeStream2 => RdbStream.Read(reader, type, Listpack),
        _ => throw new RdbException($"Unsupported value type {type} in the RDB file"),
    };

    private static RedisList List(RdbReader reader)
    {
        var list = new RedisList();
        for (long i = reader.Length(); i > 0; i--) list.PushBack(reader.String());
        return list;
    }

    private static RedisSet Set(RdbReader reader, int maxIntset)
    {
        long count = reader.Length();
        var first = reader.String();
        var set = RedisSet.For(first);
        set.Add(first, maxIntset);
        for (long i = count - 1; i > 0; i--) set.Add(reader.String(), maxIntset);
        return set;
    }

    private static RedisHash Hash(RdbReader reader, Server.ServerConfig config)
    {
        var hash = new RedisHash();
        for (long i = reader.Length(); i > 0; i--) hash.Set(reader.String(), reader.String(), config.HashMaxListpackEntries, config.HashMaxListpackValue);
        return hash;
    }

    private static RedisSortedSet Zset(RdbReader reader, Server.ServerConfig config, bool binaryScores)
    {
        long count = reader.Length();
        var zset = RedisSortedSet.For((int)Math.Min(count, int.MaxValue), 0, config.ZsetMaxListpackEntries, config.ZsetMaxListpackValue);
        for (long i = count; i > 0; i--)
        {
            var member = reader.String();
            double score = binaryScores ? BinaryPrimitives.ReadDoubleLittleEndian(reader.Take(8)) : TextScore(reader);
            if (double.IsNaN(score)) throw new RdbException("Zset with NAN score detected");
            if (zset.TryGetScore(member, out _)) throw new RdbException("Duplicate zset fields detected");
            zset.Set(member, score, config.ZsetMaxListpackEntries, config.ZsetMaxListpackValue);
        }
        return zset;
    }

    /// <summary>rdbLoadDoubleValue: a length byte (253 nan, 254 +inf, 255 -inf) then the number as text.</summary>
    private static double TextScore(RdbReader reader)
    {
        byte length = reader.Byte();
        return length switch
        {
            253 => double.NaN,
            254 => double.PositiveInfinity,
            255 => double.NegativeInfinity,
            _ => double.Parse(Encoding.ASCII.GetString(reader.Take(length)), System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private static RedisSortedSet ListpackZset(byte[] blob, Server.ServerConfig config)
    {
        var items = Listpack(blob);
        if (items.Count % 2 != 0) throw new RdbException("Zset listpack integrity check failed.");
        var zset = RedisSortedSet.For(items.Count / 2, 0, config.ZsetMaxListpackEntries, config.ZsetMaxListpackValue);
        for (int i = 0; i < items.Count; i += 2)
        {
            if (!Commands.Args.TryDouble(items[i + 1], out double score)) throw new RdbException("Zset listpack integrity check failed.");
            zset.Set(items[i], score, config.ZsetMaxListpackEntries, config.ZsetMaxListpackValue);
        }
        return zset;
    }

    private static RedisSet IntsetSet(byte[] blob, int maxIntset)
    {
        int width = BinaryPrimitives.ReadInt32LittleEndian(blob);
        int count = BinaryPrimitives.ReadInt32LittleEndian(blob.AsSpan(4));
        if (width is not (2 or 4 or 8) || 8 + (long)count * width > blob.Length) throw new RdbException("Intset integrity check failed.");
        var set = RedisSet.For("0"u8.ToArray());
        for (int i = 0; i < count; i++)
        {
            var at = blob.AsSpan(8 + i * width);
            long value = width == 2 ? BinaryPrimitives.ReadInt16LittleEndian(at) : width == 4 ? BinaryPrimitives.ReadInt32LittleEndian(at) : BinaryPrimitives.ReadInt64LittleEndian(at);
            set.Add(Commands.Args.Bytes(value), maxIntset);
        }
        return set;
    }

    private static RedisHash ListpackHash(byte[] blob, Server.ServerConfig config)
    {
        var items = Listpack(blob);
        if (items.Count % 2 != 0) throw new RdbException("Hash listpack integrity check failed.");
        var hash = new RedisHash();
        for (int i = 0; i < items.Count; i += 2) hash.Set(items[i], items[i + 1], config.HashMaxListpackEntries, config.HashMaxListpackValue);
        return hash;
    }

    private static RedisList Quicklist(RdbReader reader)
    {
        var list = new RedisList();
        for (long nodes = reader.Length(); nodes > 0; nodes--)
        {
            long container = reader.Length();
            var blob = reader.String();
            if (container == 1) list.PushBack(blob); // a plain node: one large element
            else foreach (var item in Listpack(blob)) list.PushBack(item);
        }
        return list;
    }

    /// <summary>A listpack's elements (listpack.c): integers come back as their decimal text, as Redis returns them.</summary>
    private static List<byte[]> Listpack(byte[] blob)
    {
        var items = new List<byte[]>();
        int p = 6;
        while (p < blob.Length && blob[p] != 0xff)
        {
            byte encoding = blob[p];
            int size;
            if ((encoding & 0x80) == 0)
            {
                items.Add(Commands.Args.Bytes(encoding & 0x7f));
                size = 1;
            }
            else if ((encoding & 0xc0) == 0x80)
            {
                int length = encoding & 0x3f;
                items.Add(blob.AsSpan(p + 1, length).ToArray());
                size = 1 + length;
            }
            else if ((encoding & 0xe0) == 0xc0)
            {
                int value = ((encoding & 0x1f) << 8) | blob[p + 1];
                items.Add(Commands.Args.Bytes(value >= 1 << 12 ? value - (1 << 13) : value));
                size = 2;
            }
            else if ((encoding & 0xf0) == 0xe0)
            {
                int length = ((encoding & 0x0f) << 8) | blob[p + 1];
                items.Add(blob.AsSpan(p + 2, length).ToArray());
                size = 2 + length;
            }
            else
            {
                var at = blob.AsSpan(p + 1);
                switch (encoding)
                {
                    case 0xf0:
                        int length = BinaryPrimitives.ReadInt32LittleEndian(at);
                        items.Add(blob.AsSpan(p + 5, length).ToArray());
                        size = 5 + length;
                        break;
                    case 0xf1: items.Add(Commands.Args.Bytes(BinaryPrimitives.ReadInt16LittleEndian(at))); size = 3; break;
                    case 0xf2: items.Add(Commands.Args.Bytes((at[0] | at[1] << 8 | at[2] << 16) << 8 >> 8)); size = 4; break;
                    case 0xf3: items.Add(Commands.Args.Bytes(BinaryPrimitives.ReadInt32LittleEndian(at))); size = 5; break;
                    case 0xf4: items.Add(Commands.Args.Bytes(BinaryPrimitives.ReadInt64LittleEndian(at))); size = 9; break;
                    default: throw new RdbException("Listpack integrity check failed.");
                }
            }
            // Each entry ends with its own length, in 1 to 5 bytes, for walking backwards.
            p += size + (size < 128 ? 1 : size < 16384 ? 2 : size < 2097152 ? 3 : size < 268435456 ? 4 : 5);
        }
        return items;
    }
}
