using Akka.Actor;
using AkkaRedis.Keyspace.Shards;
using AkkaRedis.Server.Cluster;

namespace AkkaRedis.Server.Tests;

/// <summary>What a connection does about batches Cluster Sharding did not deliver (see <see cref="ForwardedBatches"/>).</summary>
public sealed class ForwardedBatchesTests
{
    private readonly HashSet<long> _answered = [];
    private readonly List<(int Shard, long[] Seqs)> _sent = [];
    private readonly List<(long Seq, string Error)> _failed = [];
    private readonly List<(int Shard, long Token)> _probes = [];
    private readonly ForwardedBatches _batches;

    private static readonly ClusterNode Self = new(new Address("akka.tcp", "akkaredis", "127.0.0.1", 1), "a", "127.0.0.1", 6379, true);
    private static readonly ClusterNode Other = new(new Address("akka.tcp", "akkaredis", "127.0.0.1", 2), "b", "127.0.0.1", 6380, false);

    public ForwardedBatchesTests() => _batches = new ForwardedBatches(
        _answered.Contains,
        (shard, commands, count) => _sent.Add((shard, commands.Take(count).Select(c => c.Seq).ToArray())),
        (seq, error) => _failed.Add((seq, error)),
        (shard, token) => _probes.Add((shard, token)));

    private static ShardCommand[] Commands(params long[] seqs) => seqs.Select(s => new ShardCommand(null!, [], 0, false, s)).ToArray();

    private static Placement Placement(params ClusterNode[] members) => new(Self, members, [Self, Other], 1);

    [Fact]
    public void AnsweredBatchesAreForgottenWithoutAProbe()
    {
        _batches.Sent(1, Commands(1, 2), 2, Other, now: 0);
        _answered.UnionWith([1, 2]);
        _batches.Tick(5000);
        Assert.Empty(_probes);
        Assert.True(_batches.IsEmpty);
    }

    [Fact]
    public void ABatchDroppedInAHandOffIsSentAgainOnceAProbeBehindItIsAnswered()
    {
        _batches.Sent(1, Commands(1, 2, 3), 3, Other, now: 0);
        _batches.Tick(500);
        Assert.Empty(_probes); // not overdue yet
        _answered.Add(1); // (a batch is answered whole; this shows only unanswered commands go again)
        _batches.Tick(1000);
        var (shard, token) = Assert.Single(_probes);
        Assert.Equal(1, shard);
        _batches.Probed(1, token, Placement(Self, Other), now: 1100);
        var (resentTo, resent) = Assert.Single(_sent);
        Assert.Equal(1, resentTo);
        Assert.Equal([2L, 3L], resent);
        Assert.Empty(_failed);
        _answered.UnionWith([2, 3]);
        _batches.Tick(1200);
        Assert.True(_batches.IsEmpty);
    }

    [Fact]
    public void ABatchSentAfterTheProbeIsNotTakenForLost()
    {
        _batches.Sent(1, Commands(1), 1, Other, now: 0);
        _batches.Tick(1000);
        var (_, token) = Assert.Single(_probes);
        _batches.Sent(1, Commands(2), 1, Other, now: 1001);
        _answered.Add(1);
        _batches.Probed(1, token, Placement(Self, Other), now: 1002);
        Assert.Empty(_sent);
        Assert.Empty(_failed);
        Assert.False(_batches.IsEmpty);
    }

    [Fact]
    public void ABatchLostWithItsNodeIsAnsweredTryAgainNotRunTwice()
    {
        _batches.Sent(1, Commands(4, 5), 2, Other, now: 0);
        _batches.Tick(1000);
        var (_, token) = Assert.Single(_probes);
        _batches.Probed(1, token, Placement(Self), now: 20_000); // the other node is no longer a member
        Assert.Empty(_sent);
        Assert.Equal([(4L, ForwardedBatches.NodeLost), (5L, ForwardedBatches.NodeLost)], _failed);
    }

    [Fact]
    public void AnUnansweredProbeIsRepeatedAndTheBatchIsFinallyGivenUp()
    {
        _batches.Sent(2, Commands(9), 1, Other, now: 0);
        _batches.Tick(1000);
        _batches.Tick(2000);
        Assert.Single(_probes);
        _batches.Tick(4000);
        Assert.Equal(2, _probes.Count);
        _batches.Tick(ForwardedBatches.GiveUpAfterMs);
        Assert.Equal((9L, ForwardedBatches.NoAnswer), Assert.Single(_failed));
    }
}
