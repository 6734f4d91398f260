using System.Text;
using AkkaRedis.Keyspace.Data;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>The key tables of a database, checked against a Dictionary through random adds and removes.</summary>
public class DatabaseTests
{
    [Theory]
    [InlineData(1, 3000)]  // one slot's table grows to thousands of places: long probe runs that wrap around its end
    [InlineData(16, 200)]  // many small tables that grow from empty, shrink and empty again
    public void AddsAndRemovesAgreeWithADictionary(int slots, int distinctKeys)
    {
        var random = new Random(7);
        var database = new Database();
        var model = new Dictionary<string, (int Slot, Entry Entry)>();
        for (int op = 0; op < 40_000; op++)
        {
            string name = "key:" + random.Next(distinctKeys);
            var key = Encoding.ASCII.GetBytes(name);
            int slot = name.GetHashCode() & (slots - 1);
            // A batch's prefetch steps come before its lookups; they must find what Find finds and change nothing.
            int hash = database.Prefetch(slot, key);
            database.PrefetchEntry(slot, hash);
            database.PrefetchKeyAndValue(slot, hash);

            var found = database.FindRaw(slot, key);
            if (model.TryGetValue(name, out var known))
            {
                Assert.Same(known.Entry, found);
                // Remove by an equal key in another array, as commands do with the key they were sent.
                database.Remove(slot, new Entry(Encoding.ASCII.GetBytes(name), "other"));
                model.Remove(name);
                Assert.Null(database.FindRaw(slot, key));
            }
            else
            {
                Assert.Null(found);
                var entry = new Entry(key, op);
                database.Add(slot, entry);
                model[name] = (slot, entry);
                Assert.Same(entry, database.FindRaw(slot, Encoding.ASCII.GetBytes(name)));
            }
            Assert.Equal(model.Count, database.Count);
        }

        foreach (var (name, (slot, entry)) in model)
            Assert.Same(entry, database.FindRaw(slot, Encoding.ASCII.GetBytes(name)));
        for (int slot = 0; slot < slots; slot++)
        {
            var expected = model.Values.Where(v => v.Slot == slot).Select(v => v.Entry).ToHashSet();
            Assert.Equal(expected.Count, database.CountInSlot(slot));
            Assert.True(expected.SetEquals(database.EntriesInSlot(slot)));
        }
        Assert.Equal(model.Count, database.All().Count());

        foreach (var (_, (slot, entry)) in model) database.Remove(slot, entry);
        Assert.Equal(0, database.Count);
        for (int slot = 0; slot < slots; slot++) Assert.Empty(database.EntriesInSlot(slot));
    }

    [Fact]
    public void RandomEntryReachesEveryKey()
    {
        var database = new Database();
        var keys = Enumerable.Range(0, 6).Select(i => Encoding.ASCII.GetBytes("k" + i)).ToList();
        foreach (var key in keys) database.Add(HashSlot.Of(key), new Entry(key, "v"));
        database.Add(HashSlot.Of(keys[0]), new Entry(Encoding.ASCII.GetBytes("{k0}b"), "v")); // two keys in one slot

        var random = new Random(3);
        var seen = new HashSet<string>();
        for (int i = 0; i < 5000; i++) seen.Add(Encoding.ASCII.GetString(database.RandomEntry(random)!.Key));

        Assert.Equal(7, seen.Count);
        Assert.Null(new Database().RandomEntry(random));
    }
}
