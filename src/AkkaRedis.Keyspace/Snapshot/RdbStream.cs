using System.Buffers.Binary;
using AkkaRedis.Keyspace.Data;

namespace AkkaRedis.Keyspace.Snapshot;

/// <summary>
/// A stream in RDB form (rdb.c, RDB_TYPE_STREAM_LISTPACKS and _2): its nodes as listpacks keyed by their master ID,
/// the counters, then each consumer group with its pending entries and consumers. Written as type 19 (Redis 7.0);
/// types 15 (Redis 5 and 6) and 19 are read.
/// </summary>
public static class RdbStream
{
    public const byte TypeStream = 15, TypeStream2 = 19;

    private const int FlagDeleted = 1, FlagSameFields = 2;

    public static void Write(List<byte> output, RedisStream stream)
    {
        var nodes = stream.Nodes.Where(n => n.Live > 0).ToList();
        RdbEncoding.WriteLength(output, nodes.Count);
        foreach (var node in nodes)
        {
            var live = node.Entries.Where(e => !e.Deleted).ToList();
            var master = live[0].Id;
            var key = new byte[16];
            WriteId(key, master);
            RdbEncoding.WriteString(output, key);
            RdbEncoding.WriteString(output, NodeListpack(master, live));
        }
        RdbEncoding.WriteLength(output, stream.Length);
        WriteUnsigned(output, stream.LastId.Ms);
        WriteUnsigned(output, stream.LastId.Seq);
        WriteUnsigned(output, stream.FirstId.Ms);
        WriteUnsigned(output, stream.FirstId.Seq);
        WriteUnsigned(output, stream.MaxDeletedId.Ms);
        WriteUnsigned(output, stream.MaxDeletedId.Seq);
        RdbEncoding.WriteLength(output, stream.EntriesAdded);
        RdbEncoding.WriteLength(output, stream.Groups.Count);
        foreach (var (name, group) in stream.Groups)
        {
            RdbEncoding.WriteString(output, name);
            WriteUnsigned(output, group.LastId.Ms);
            WriteUnsigned(output, group.LastId.Seq);
            // rdbSaveLen of a long long: -1 (entries read unknown) goes as the 64-bit length it casts to.
            WriteUnsigned(output, unchecked((ulong)group.EntriesRead));
            RdbEncoding.WriteLength(output, group.Pending.Count);
            var raw = new byte[16];
            foreach (var pending in group.Pending.Values)
            {
                WriteId(raw, pending.Id);
                output.AddRange(raw);
                WriteMilliseconds(output, pending.DeliveryTime);
                RdbEncoding.WriteLength(output, pending.DeliveryCount);
            }
            RdbEncoding.WriteLength(output, group.Consumers.Count);
            foreach (var consumer in group.Consumers.Values)
            {
                RdbEncoding.WriteString(output, consumer.Name);
                WriteMilliseconds(output, consumer.SeenTime);
                RdbEncoding.WriteLength(output, consumer.Pending.Count);
                foreach (var id in consumer.Pending.Keys)
                {
                    WriteId(raw, id);
                    output.AddRange(raw);
                }
            }
        }
    }

    /// <summary>
    /// One node as t_stream.c lays it out: the master entry (count, deleted, the first entry's fields, 0), then per entry
    /// its flags, the ID as differences from the master's, the fields (or only the values when they are the master's),
    /// and the number of elements the entry took.
    /// </summary>
    private static byte[] NodeListpack(StreamId master, List<StreamEntry> entries)
    {
        var lp = new ListpackWriter();
        var masterFields = entries[0].Fields.Where((_, i) => i % 2 == 0).ToArray();
        lp.Add(entries.Count);
        lp.Add(0);
        lp.Add(masterFields.Length);
        foreach (var field in masterFields) lp.Add(field);
        lp.Add(0);
        foreach (var entry in entries)
        {
            int fieldCount = entry.Fields.Length / 2;
            bool same = fieldCount == masterFields.Length;
            for (int i = 0; same && i < fieldCount; i++) same = entry.Fields[i * 2].AsSpan().SequenceEqual(masterFields[i]);
            lp.Add(same ? FlagSameFields : 0);
            lp.Add(unchecked((long)(entry.Id.Ms - master.Ms)));
            lp.Add(unchecked((long)(entry.Id.Seq - master.Seq)));
            if (same)
                for (int i = 0; i < fieldCount; i++) lp.Add(entry.Fields[i * 2 + 1]);
            else
            {
                lp.Add(fieldCount);
                foreach (var item in entry.Fields) lp.Add(item);
            }
            lp.Add(same ? fieldCount + 3 : fieldCount * 2 + 4);
        }
        return lp.ToArray();
    }

    public static RedisStream Read(RdbReader reader, byte type, Func<byte[], List<byte[]>> listpack)
    {
        var stream = new RedisStream();
        long nodes = reader.Length();
        for (long n = 0; n < nodes; n++)
        {
            var key = reader.String();
            if (key.Length != 16) throw new RdbException("Stream node key entry is not the size of a stream ID");
            var master = ReadId(key);
            var items = listpack(reader.String());
            if (items.Count == 0) throw new RdbException("Empty listpack inside stream");
            ReadNode(stream, master, items);
        }
        stream.Length = reader.Length();
        stream.LastId = new StreamId(ReadUnsigned(reader), ReadUnsigned(reader));
        bool v2 = type == TypeStream2;
        if (v2)
        {
            stream.FirstId = new StreamId(ReadUnsigned(reader), ReadUnsigned(reader));
            stream.MaxDeletedId = new StreamId(ReadUnsigned(reader), ReadUnsigned(reader));
            stream.EntriesAdded = reader.Length();
        }
        else
        {
            // RDB_TYPE_STREAM_LISTPACKS: the counters did not exist; Redis takes them from the entries.
            stream.FirstId = stream.Range(StreamId.Zero, StreamId.Max).FirstOrDefault()?.Id ?? StreamId.Zero;
            stream.EntriesAdded = stream.Length;
        }
        long groups = reader.Length();
        for (long g = 0; g < groups; g++)
        {
            var name = reader.String();
            var lastId = new StreamId(ReadUnsigned(reader), ReadUnsigned(reader));
            long entriesRead = v2 ? unchecked((long)ReadUnsigned(reader)) : stream.EstimateDistanceFromFirstEverEntry(lastId);
            var group = new StreamGroup(lastId, entriesRead);
            if (!stream.Groups.TryAdd(name, group)) throw new RdbException("Duplicated consumer group name");
            var unowned = new Dictionary<StreamId, PendingEntry>();
            long pendings = reader.Length();
            for (long p = 0; p < pendings; p++)
            {
                var id = ReadId(reader.Take(16));
                long deliveryTime = BinaryPrimitives.ReadInt64LittleEndian(reader.Take(8));
                long deliveryCount = reader.Length();
                var pending = new PendingEntry(id, null!, deliveryTime, deliveryCount);
                if (!group.Pending.TryAdd(id, pending)) throw new RdbException("Duplicated global PEL entry loading stream consumer group");
                unowned[id] = pending;
            }
            long consumers = reader.Length();
            for (long k = 0; k < consumers; k++)
            {
                var consumer = new StreamConsumer(reader.String(), BinaryPrimitives.ReadInt64LittleEndian(reader.Take(8)));
                if (!group.Consumers.TryAdd(consumer.Name, consumer)) throw new RdbException("Duplicate stream consumer detected.");
                long own = reader.Length();
                for (long p = 0; p < own; p++)
                {
                    var id = ReadId(reader.Take(16));
                    if (!unowned.Remove(id, out var pending)) throw new RdbException("Consumer entry not found in group global PEL");
                    pending.Owner = consumer;
                    consumer.Pending[id] = pending;
                }
            }
            if (unowned.Count > 0) throw new RdbException("Stream consumer group PEL entry without a consumer");
        }
        return stream;
    }

    /// <summary>A node's entries, appended in order (deleted ones kept marked, so the node is as Redis had it).</summary>
    private static void ReadNode(RedisStream stream, StreamId master, List<byte[]> items)
    {
        int p = 0;
        long Next() => Commands.Args.TryLong(items[p++], out long v) ? v : throw new RdbException("Stream listpack integrity check failed");
        Next(); // live count
        Next(); // deleted count
        int masterFieldCount = (int)Next();
        var masterFields = items.GetRange(p, masterFieldCount);
        p += masterFieldCount;
        Next(); // the master entry's terminator
        var node = new StreamNode();
        while (p < items.Count)
        {
            long flags = Next();
            var id = new StreamId(unchecked(master.Ms + (ulong)Next()), unchecked(master.Seq + (ulong)Next()));
            byte[][] fields;
            if ((flags & FlagSameFields) != 0)
            {
                fields = new byte[masterFieldCount * 2][];
                for (int i = 0; i < masterFieldCount; i++)
                {
                    fields[i * 2] = masterFields[i];
                    fields[i * 2 + 1] = items[p++];
                }
            }
            else
            {
                int count = (int)Next();
                fields = items.GetRange(p, count * 2).ToArray();
                p += count * 2;
            }
            Next(); // lp-count
            bool deleted = (flags & FlagDeleted) != 0;
            node.Entries.Add(new StreamEntry(id, fields) { Deleted = deleted });
            if (!deleted) node.Live++;
            node.Bytes += 8 + fields.Sum(f => f.Length + 2L);
        }
        if (node.Live > 0) stream.Nodes.Add(node);
    }

    private static void WriteId(Span<byte> target, StreamId id)
    {
        BinaryPrimitives.WriteUInt64BigEndian(target, id.Ms);
        BinaryPrimitives.WriteUInt64BigEndian(target[8..], id.Seq);
    }

    private static StreamId ReadId(ReadOnlySpan<byte> raw) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(raw), BinaryPrimitives.ReadUInt64BigEndian(raw[8..]));

    private static void WriteUnsigned(List<byte> output, ulong value)
    {
        if (value <= uint.MaxValue) RdbEncoding.WriteLength(output, (long)value);
        else
        {
            output.Add(0x81);
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
            output.AddRange(bytes);
        }
    }

    private static ulong ReadUnsigned(RdbReader reader) => unchecked((ulong)reader.Length());

    private static void WriteMilliseconds(List<byte> output, long ms)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, ms);
        output.AddRange(bytes);
    }
}
