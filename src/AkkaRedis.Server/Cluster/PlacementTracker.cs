using Akka.Actor;
using Akka.Cluster;
using AkkaRedis.Keyspace.Shards;

namespace AkkaRedis.Server.Cluster;

/// <summary>
/// Keeps <see cref="ClusterView"/> true. Once a second it asks every keyspace shard, through the shard region, to
/// answer (<see cref="AwaitReady"/>): the answer's sender is the shard's actor, whose address is the node that
/// owns it. The same message starts a shard that has no home (its node was lost), so shards come back on the
/// surviving nodes without waiting for a client to ask for one of their keys.
/// </summary>
public sealed class PlacementTracker : ReceiveActor, IWithTimers
{
    private readonly ClusterView _view;
    private readonly IActorRef[] _shards;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly Dictionary<Address, ClusterNode> _members = [];
    private readonly Address?[] _owners;
    private readonly IActorRef?[] _localRefs;
    private long _epoch;

    public ITimerScheduler Timers { get; set; } = null!;

    public PlacementTracker(ClusterView view, IActorRef[] shards)
    {
        _view = view;
        _shards = shards;
        _owners = new Address?[shards.Length];
        _localRefs = new IActorRef?[shards.Length];
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var member in state.Members.Where(m => m.Status == MemberStatus.Up)) AddMember(member);
            Publish();
        });
        Receive<ClusterEvent.MemberUp>(up =>
        {
            AddMember(up.Member);
            Publish();
        });
        Receive<ClusterEvent.IMemberEvent>(e =>
        {
            if (e is ClusterEvent.MemberRemoved or ClusterEvent.MemberExited or ClusterEvent.MemberDowned)
            {
                _members.Remove(e.Member.Address);
                for (int i = 0; i < _owners.Length; i++)
                    if (_owners[i] == e.Member.Address) Forget(i);
                Publish();
            }
        });
        Receive<ClusterEvent.UnreachableMember>(e =>
        {
            // Its shards answer nobody until they restart elsewhere: not theirs to route to meanwhile.
            for (int i = 0; i < _owners.Length; i++)
                if (_owners[i] == e.Member.Address) Forget(i);
            Publish();
        });
        // A node that was only slow (a pause longer than the failure detector allows) has its shards back now, not at
        // the next tick.
        Receive<ClusterEvent.ReachableMember>(_ => AskShards());
        Receive<ShardReady>(ready =>
        {
            bool local = Sender.Path.Address.HasLocalScope;
            var address = local ? _cluster.SelfAddress : Sender.Path.Address;
            var localRef = local ? Sender : null;
            if (_owners[ready.Shard] == address && Equals(_localRefs[ready.Shard], localRef)) return;
            if (!_members.ContainsKey(address)) AddOwnerNotSeenUp(address);
            _owners[ready.Shard] = address;
            _localRefs[ready.Shard] = localRef;
            Publish();
        });
        Receive<Tick>(_ => AskShards());
    }

    private void AskShards()
    {
        foreach (var shard in _shards) shard.Tell(AwaitReady.Instance, Self);
    }

    /// <summary>
    /// A shard answered from a node whose MemberUp has not reached this node yet: the coordinator places shards on a
    /// node as soon as it sees it Up, and gossip brings that here a little later. The node is in this node's
    /// membership already (a joining node is seen by every member before it becomes Up), so it is taken from there;
    /// without it the shard would have no owner here meanwhile, and commands spanning it would be told CLUSTERDOWN.
    /// </summary>
    private void AddOwnerNotSeenUp(Address address)
    {
        var member = _cluster.State.Members.FirstOrDefault(m => m.Address == address);
        if (member != null && member.Status is not (MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Removed))
            AddMember(member);
    }

    private void Forget(int shard)
    {
        _owners[shard] = null;
        _localRefs[shard] = null;
    }

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember));
        Timers.StartPeriodicTimer(Tick.Instance, Tick.Instance, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void AddMember(Member member) => _members[member.Address] = NodeOf(member, member.Address == _cluster.SelfAddress);

    /// <summary>A member's client endpoint travels in its roles ("client=host:port", see <see cref="ClientRole"/>).</summary>
    private static ClusterNode NodeOf(Member member, bool self)
    {
        var endpoint = member.Roles.FirstOrDefault(r => r.StartsWith(ClientRolePrefix, StringComparison.Ordinal))?[ClientRolePrefix.Length..] ?? "";
        int colon = endpoint.LastIndexOf(':');
        string host = colon > 0 ? endpoint[..colon] : member.Address.Host ?? "";
        int port = colon > 0 && int.TryParse(endpoint[(colon + 1)..], out int p) ? p : 0;
        return new ClusterNode(member.Address, ClusterNode.IdOf(member.Address), host, port, self);
    }

    public const string ClientRolePrefix = "client=";

    public static string ClientRole(string host, int port) => $"{ClientRolePrefix}{host}:{port}";

    private void Publish()
    {
        var nodes = _members.Values.OrderBy(n => n.Address.Port).ThenBy(n => n.Address.Host).ToArray();
        var owners = _owners.Select(a => a != null && _members.TryGetValue(a, out var node) ? node : null).ToArray();
        var self = _members.TryGetValue(_cluster.SelfAddress, out var me) ? me : _view.Current.Self;
        _view.Publish(new Placement(self, nodes, owners, ++_epoch) { LocalRefs = _localRefs.Select(r => r ?? ActorRefs.Nobody).ToArray() });
    }

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }
}
