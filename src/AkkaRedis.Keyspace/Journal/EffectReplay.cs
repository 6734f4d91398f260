using System.Runtime.CompilerServices;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Persistence;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Journal;

/// <summary>
/// Runs AOF commands against a keyspace as they ran the first time: a shard replaying its journal, a shard applying
/// its part of a lending hold's effects, and a lending hold loading the keys its shards lent it.
/// </summary>
public static class EffectReplay
{
    /// <summary>
    /// Runs <paramref name="chunk"/>'s commands with <paramref name="store"/> as the running shard; replies go to
    /// <paramref name="sink"/> and are dropped. What they change is journaled only when the context has a journal.
    /// Returns how many commands ran.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long Run(CommandContext context, ShardStore store, AofChunk chunk, RespWriter sink, long now, Action<Exception, CommandSpec> onError)
    {
        long ran = 0;
        foreach (var item in chunk.Read())
        {
            if (item is not { Command: var (db, args) }) continue; // the end of a MULTI/EXEC block
            var spec = context.Server.Commands.FindCommand(args);
            if (spec?.Handler == null) continue;
            sink.Clear();
            context.Begin(spec, args, db, sink, store, now, null);
            try
            {
                spec.Handler(context);
            }
            catch (Exception e)
            {
                onError(e, spec);
            }
            context.RecordEffects();
            ran++;
            Server.LoadDelay.Wait(context.Server.Config.KeyLoadDelay);
        }
        return ran;
    }
}
