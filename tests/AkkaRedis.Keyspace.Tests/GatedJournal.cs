using System.Collections.Immutable;
using System.Text;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Journal;
using AkkaRedis.Persistence;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>
/// A journal whose writes complete when the test says so: each write is published on the event stream as a
/// <see cref="GatedWrite"/> (the commands it carries, as RESP) and completes once the test calls its Complete. It holds
/// nothing: recovery finds an empty journal.
/// </summary>
public sealed class GatedJournal : AsyncWriteJournal
{
    public static Akka.Configuration.Config Config => Akka.Configuration.ConfigurationFactory.ParseString(
        $"akkaredis.journal {{ class = \"{typeof(GatedJournal).AssemblyQualifiedName}\", plugin-dispatcher = \"akka.actor.default-dispatcher\" }}");

    public override Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        Action<IPersistentRepresentation> recoveryCallback) => Task.CompletedTask;

    public override Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken) => Task.FromResult(0L);

    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) => Task.CompletedTask;

    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var writes = messages.ToList();
        foreach (var write in writes)
        {
            var commands = ((IImmutableList<IPersistentRepresentation>)write.Payload)
                .Select(persistent => Encoding.UTF8.GetString(((AofBatch)persistent.Payload).Resp));
            var gated = new GatedWrite(string.Concat(commands));
            Context.System.EventStream.Publish(gated);
            await gated.Written;
        }
        return writes.Select(_ => (Exception?)null).ToImmutableList();
    }

    /// <summary>The shards' harness asks the AOF journal to load first; there is nothing to load here.</summary>
    protected override bool ReceivePluginInternal(object message)
    {
        if (message is not LoadAof) return false;
        Sender.Tell(new AofLoaded(0, 0, new long[64]));
        return true;
    }
}

/// <summary>A write the <see cref="GatedJournal"/> holds until <see cref="Complete"/>.</summary>
public sealed class GatedWrite(string commands)
{
    private readonly TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The journaled commands, as RESP.</summary>
    public string Commands { get; } = commands;

    public Task Written => _written.Task;

    public void Complete() => _written.TrySetResult();
}
