using AkkaRedis.Keyspace.Shards;

namespace AkkaRedis.Server.Cluster;

/// <summary>
/// One connection's batches in flight in a cluster, and what to do about those that go unanswered. Cluster
/// Sharding delivers at most once: the old owner's region drops the messages it buffered while a shard was being
/// handed off to another node, and messages delivered to a node that dies are gone with it. Without this, the
/// connection would wait forever, since replies leave in request order.
///
/// A batch unanswered after <see cref="ProbeAfterMs"/> is followed by a <see cref="ShardProbe"/> to its shard. The
/// probe travels the same way (same sender, same region, same shard), so it cannot overtake the batch, and the
/// shard answers it only after the replies of everything before it (DeferAsync). A probe answered while the batch
/// still has no reply therefore means the batch never reached the shard: it is sent again when it was dropped in
/// a hand-off (its node is still a member); when its node was lost, the batch may have run before the node died,
/// so it is answered TRYAGAIN rather than run twice. <see cref="GiveUpAfterMs"/> is the last resort.
/// </summary>
public sealed class ForwardedBatches(Func<long, bool> answered, Action<int, ShardCommand[], int> send, Action<long, string> fail, Action<int, long> probe)
{
    public const long ProbeAfterMs = 1000;
    public const long ReprobeAfterMs = 3000;
    public const long GiveUpAfterMs = 60_000;

    public const string NodeLost = "TRYAGAIN The node serving this key was lost before it answered; the command may or may not have run";
    public const string NoAnswer = "TRYAGAIN The node serving this key did not answer; the command may or may not have run";

    private sealed class Batch(int shard, ShardCommand[] commands, int count, ClusterNode? owner, long sentAt)
    {
        public readonly int Shard = shard;
        public readonly ShardCommand[] Commands = commands;
        public readonly int Count = count;
        public readonly ClusterNode? Owner = owner;
        public readonly long SentAt = sentAt;
        public long FirstSentAt = sentAt;
        public long ProbeToken;
        public long ProbedAt;
    }

    private readonly List<Batch> _batches = [];
    private long _nextToken;

    public bool IsEmpty => _batches.Count == 0;

    /// <summary>Tracks a batch just sent to <paramref name="shard"/>, whose owner was <paramref name="owner"/> as far as this node knew.</summary>
    public void Sent(int shard, ShardCommand[] commands, int count, ClusterNode? owner, long now) =>
        _batches.Add(new Batch(shard, commands, count, owner, now));

    private bool Done(Batch batch)
    {
        for (int i = 0; i < batch.Count; i++)
            if (!answered(batch.Commands[i].Seq)) return false;
        return true;
    }

    /// <summary>Forgets answered batches, probes the shards of overdue ones, and gives up on the hopeless.</summary>
    public void Tick(long now)
    {
        _batches.RemoveAll(Done);
        HashSet<int>? probed = null;
        foreach (var batch in _batches)
        {
            if (now - batch.FirstSentAt >= GiveUpAfterMs)
            {
                FailUnanswered(batch, NoAnswer);
                continue;
            }
            bool overdue = batch.ProbeToken == 0 ? now - batch.SentAt >= ProbeAfterMs : now - batch.ProbedAt >= ReprobeAfterMs;
            if (!overdue) continue;
            probed ??= [];
            if (probed.Add(batch.Shard))
            {
                long token = ++_nextToken;
                probe(batch.Shard, token);
                // Every unanswered batch to this shard so far is covered by this probe.
                foreach (var other in _batches.Where(b => b.Shard == batch.Shard))
                {
                    other.ProbeToken = token;
                    other.ProbedAt = now;
                }
            }
        }
        _batches.RemoveAll(Done);
    }

    /// <summary>The shard answered a probe: batches sent to it before that probe and still unanswered never arrived.</summary>
    public void Probed(int shard, long token, Placement placement, long now)
    {
        var lost = _batches.Where(b => b.Shard == shard && b.ProbeToken != 0 && b.ProbeToken <= token && !Done(b)).ToList();
        foreach (var batch in lost)
        {
            _batches.Remove(batch);
            bool ownerStillMember = batch.Owner == null || placement.Nodes.Any(n => n.Address == batch.Owner.Address);
            if (!ownerStillMember)
            {
                FailUnanswered(batch, NodeLost);
                continue;
            }
            var unanswered = batch.Commands.Take(batch.Count).Where(c => !answered(c.Seq)).ToArray();
            send(shard, unanswered, unanswered.Length);
            _batches.Add(new Batch(shard, unanswered, unanswered.Length, placement.Owners[shard], now) { FirstSentAt = batch.FirstSentAt });
        }
    }

    private void FailUnanswered(Batch batch, string error)
    {
        for (int i = 0; i < batch.Count; i++)
            if (!answered(batch.Commands[i].Seq)) fail(batch.Commands[i].Seq, error);
    }
}
