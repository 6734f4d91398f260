using System.Text;
using Akka.Actor;
using Akka.Event;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Stage;
using AkkaRedis.Keyspace.Acl;
using AkkaRedis.Keyspace.Commands;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Keyspace.Shards;
using AkkaRedis.Protocol;
using AkkaRedis.Server.Cluster;
using AkkaRedis.Server.Sessions;

namespace AkkaRedis.Server.Network;

/// <summary>
/// One client connection's whole byte-in/byte-out handling, behind a single Flow&lt;ByteString, ByteString&gt;
/// so the transport can change without touching it. Per socket read it parses every complete request,
/// answers connection commands at once, sends the rest to their shards as one batch per shard (Tell through
/// the stage actor, no Ask), and puts replies back in request order in a ring. On pull it writes every
/// contiguous ready reply as one ByteString: Akka's TCP stage writes one element per ack, so coalescing is
/// what makes pipelining fast. A full ring stops reading: that is the backpressure.
/// </summary>
public sealed class ConnectionStage(ServerServices services, SessionCommandTable sessionCommands, string remote, string local)
    : GraphStage<FlowShape<ByteString, ByteString>>
{
    private readonly ServerServices _services = services;
    private readonly SessionCommandTable _sessionCommands = sessionCommands;
    private readonly string _remote = remote;
    private readonly string _local = local;
    private readonly Inlet<ByteString> _in = new("resp.in");
    private readonly Outlet<ByteString> _out = new("resp.out");

    public override FlowShape<ByteString, ByteString> Shape => new(_in, _out);

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    /// <summary>Replies not yet written before the stage stops reading.</summary>
    private const int MaxInFlight = 4096;

    private struct ReplySlot
    {
        public byte[]? Buffer;
        public int Start;
        public int End;
        public bool Ready;
        /// <summary>CLIENT REPLY OFF or SKIP: the reply is dropped when it comes (the command still runs).</summary>
        public bool Silent;
    }

    private sealed class Logic : TimerGraphStageLogic
    {
        // The blocking command this connection waits on (BLPOP...), if any.
        private BlockedClient? _blocked;

        private readonly ConnectionStage _stage;
        private readonly ServerServices _services;
        private readonly RequestParser _parser = new();
        private readonly ClientSession _session;
        private readonly SessionContext _sessionContext;
        private StageActor _self = null!;

        // Replies in request order: slot for sequence number s is _ring[s & (_ring.Length - 1)].
        private ReplySlot[] _ring = new ReplySlot[256];
        private long _head; // oldest reply not yet written
        private long _next; // next sequence number to hand out

        // Commands of the current read, grouped per shard.
        private readonly ShardCommand[]?[] _batches;

        /// <summary>Per shard, how many commands the last batch held: the size the next batch's array starts at.</summary>
        private readonly int[] _lastBatchSizes;
        private readonly int[] _batchCounts;

        // A held (cross-shard) command is in flight: later commands wait behind it.
        private long _barrier = -1;

        /// <summary>The barrier is an all-shard command (see <see cref="FollowsBarrier"/>).</summary>
        private bool _barrierAllShards;
        // Requests read while a held or blocked command is in flight: arguments, or a protocol error (string) met after them.
        private readonly Queue<object> _deferred = new();

        private long _closeAfter = -1;
        private bool _stopReading;
        private bool _upstreamDone;
        private bool _discardReplies;

        public Logic(ConnectionStage stage) : base(stage.Shape)
        {
            _stage = stage;
            _services = stage._services;
            _session = _services.Clients.Open(stage._remote, stage._local, _services.State.Clock.NowMs);
            _session.User = _services.State.Acl.Default;
            _session.Authenticated = !_services.State.Acl.DefaultRequiresAuth;
            _sessionContext = new SessionContext(_session, _services);
            _batches = new ShardCommand[]?[_services.Shards.Length];
            _batchCounts = new int[_services.Shards.Length];
            _lastBatchSizes = Enumerable.Repeat(4, _services.Shards.Length).ToArray();

            SetHandler(stage._in, onPush: OnPush, onUpstreamFinish: () =>
            {
                _upstreamDone = true;
                AbandonBlocked();
                MaybeComplete();
            }, onUpstreamFailure: _ =>
            {
                _upstreamDone = true;
                _discardReplies = true;
                AbandonBlocked();
                // Drops the replies that came already (ready, but not written: the peer was not reading), then completes
                // once the rest come. Without it, a peer gone with replies ready and none still due was never let go.
                TryEmit();
            });
            SetHandler(stage._out, onPull: TryEmit, onDownstreamFinish: _ =>
            {
                // The peer is gone: stop reading, drop replies, and finish once the shards have answered.
                _stopReading = true;
                _upstreamDone = true;
                _discardReplies = true;
                if (!IsClosed(stage._in)) Cancel(stage._in);
                AbandonBlocked();
                TryEmit(); // drops the replies ready already, as above
            });
        }

        /// <summary>
        /// The client went away while blocked: take the blocked command back from the shards (so no element is
        /// popped for nobody) and let the stage finish. If a shard won the claim first, its reply is on its way.
        /// </summary>
        private void AbandonBlocked()
        {
            if (_relay != null)
            {
                // The shard watches the relay: stopping it takes the command back (see BlockRelay).
                long seq = _relaySeq;
                StopRelay();
                _discardReplies = true;
                _deferred.Clear();
                OnReplies(new ShardReplies([], [seq], [0], 1));
                return;
            }
            var client = _blocked;
            if (client == null || !client.TryCancel()) return;
            ForgetBlocked(client);
            _discardReplies = true;
            _deferred.Clear();
            OnReplies(new ShardReplies([], [client.Seq], [0], 1));
        }

        public override void PreStart()
        {
            SetKeepGoing(true);
            _self = GetStageActor(OnMessage);
            _services.Clients.Bind(_session, _self.Ref);
            _session.Subscriptions = new Subscriptions(_services.State.PubSub) { Subscriber = _self.Ref };
            var kill = GetAsyncCallback(Kill);
            _session.Kill = kill;
            _session.Unblocked = GetAsyncCallback<bool>(withError => FinishBlocked(withError ? UnblockedReply() : TimeoutReply()));
            Pull(_stage._in);
        }

        public override void PostStop()
        {
            if (_session.Monitoring) _services.State.Monitors.Remove(_self.Ref);
            if (_blocked != null && _blocked.TryCancel()) ForgetBlocked(_blocked);
            StopRelay();
            _sessionContext.Transaction.Unwatch(_services.Shards);
            _session.Subscriptions?.Clear();
            TrackingCommands.Disable(_session, _services.State);
            _services.Clients.Close(_session);
        }

        private void Kill()
        {
            _stopReading = true;
            _upstreamDone = true;
            _discardReplies = true;
            AbandonBlocked();
            if (!IsClosed(_stage._in)) Cancel(_stage._in);
            if (!IsClosed(_stage._out)) Complete(_stage._out);
            TryEmit(); // drops the replies that were ready, or the stage would wait for them to be written
            MaybeComplete();
        }

        private void OnPush()
        {
            var chunk = Grab(_stage._in);
            Interlocked.Add(ref _services.Clients.NetInputBytes, chunk.Count);
            _parser.MaxBulkLength = _services.Config.ProtoMaxBulkLen;
            {
                // A socket read arrives as one compact buffer, so this does not copy.
                ReadOnlySpan<byte> input = chunk.ToReadOnlySpan();
                long now = _services.State.Clock.NowMs; // once per read, not per command: the clock showed in profiles
                while (!_stopReading)
                {
                    _parser.Unauthenticated = !_session.Authenticated && _services.State.Acl.DefaultRequiresAuth;
                    var result = _parser.Read(ref input, out var args);
                    if (result == ParseResult.NeedMore) break;
                    if (result == ParseResult.Error)
                    {
                        // Behind a barrier the error waits its turn, so earlier commands still get their replies.
                        if (_barrier >= 0)
                        {
                            _deferred.Enqueue(_parser.Error!);
                            _stopReading = true;
                            if (!IsClosed(_stage._in)) Cancel(_stage._in);
                        }
                        else ProtocolError(_parser.Error!);
                        break;
                    }
                    if (_barrier < 0) Dispatch(args!, now);
                    else if (FollowsBarrier(args!, out var resolution)) Dispatch(args!, now, resolution);
                    else _deferred.Enqueue(args!);
                }
            }
            FlushBatches();
            MaybePull();
            TryEmit();
        }

        /// <summary>
        /// True when a command read behind a barrier may go at once: an all-shard command (EVAL, FCALL, ...) behind
        /// another, with nothing deferred between them. Both take the same shards in the same order, so the later
        /// one cannot overtake the earlier anywhere, and pipelined scripts need not wait for each other's replies.
        /// </summary>
        private bool FollowsBarrier(byte[][] args, out CommandTable.Resolution resolution)
        {
            resolution = default;
            if (!_barrierAllShards || _deferred.Count > 0 || _sessionContext.Transaction.InMulti) return false;
            resolution = _services.Table.Resolve(args);
            var (spec, error) = resolution;
            return error == null && spec is { Route: CommandRoute.AllShards } && spec.Name != "exec" && !spec.IsBlocking;
        }

        private void MaybePull()
        {
            if (_stopReading || _upstreamDone || _barrier >= 0 && !(_barrierAllShards && _deferred.Count == 0)) return;
            if (_next - _head >= MaxInFlight) return;
            if (!HasBeenPulled(_stage._in) && !IsClosed(_stage._in)) Pull(_stage._in);
        }

        private long Reserve(bool silent = false)
        {
            if (_next - _head == _ring.Length) GrowRing();
            _ring[_next & (_ring.Length - 1)].Silent = silent;
            return _next++;
        }

        private void GrowRing()
        {
            var bigger = new ReplySlot[_ring.Length * 2];
            for (long s = _head; s < _next; s++) bigger[s & (bigger.Length - 1)] = _ring[s & (_ring.Length - 1)];
            _ring = bigger;
        }

        /// <summary>Bytes of replies and pushes ready but not yet written (a subscriber that does not read makes it grow).</summary>
        private long _queuedBytes;

        /// <summary>When the unwritten output reached the soft client-output-buffer-limit and stayed past it; -1: under it.</summary>
        private long _overSoftLimitSinceMs = -1;

        private static readonly object OutputLimitCheck = new();

        /// <summary>
        /// checkClientOutputBufferLimits: the connection is closed, its unwritten output dropped, when that output reaches
        /// the hard limit of its class (pub/sub while it subscribes to anything, else normal), or has stayed at the soft
        /// limit longer than the soft seconds. Checked whenever output is about to be written and, for the soft limit
        /// with no traffic, by a timer (as clientsCron checks). True when it closed.
        /// </summary>
        private bool ClosedForOutputLimit()
        {
            _session.OutputBytes = _queuedBytes;
            if (_queuedBytes == 0)
            {
                _overSoftLimitSinceMs = -1;
                return false;
            }
            var limit = OutputLimit();
            bool overHard = limit.Hard > 0 && _queuedBytes >= limit.Hard;
            bool overSoft = false;
            if (limit.Soft > 0 && _queuedBytes >= limit.Soft)
            {
                long now = _services.State.Clock.NowMs;
                long softMs = SoftMs(limit);
                if (_overSoftLimitSinceMs < 0)
                {
                    _overSoftLimitSinceMs = now;
                    ScheduleSoftLimitCheck(softMs);
                }
                else overSoft = now - _overSoftLimitSinceMs > softMs;
            }
            else _overSoftLimitSinceMs = -1;
            if (!overHard && !overSoft) return false;
            Log.Warning("Client {0} closed for overcoming of output buffer limits ({1} bytes unwritten)", _session.Address, _queuedBytes);
            Kill();
            return true;
        }

        /// <summary>This connection's class's limits: pub/sub while it subscribes to anything, else normal.</summary>
        private OutputBufferLimits.Limit OutputLimit() => _services.Config.OutputBufferLimits.For(
            _session.Subscriptions?.Any == true ? ClientType.PubSub : ClientType.Normal);

        private static long SoftMs(OutputBufferLimits.Limit limit) => Math.Min(limit.SoftSeconds, long.MaxValue / 1000) * 1000;

        /// <summary>The timer that closes a client past the soft limit when no traffic comes; past a day it looks again then.</summary>
        private void ScheduleSoftLimitCheck(long softMs) =>
            ScheduleOnce(OutputLimitCheck, TimeSpan.FromMilliseconds(Math.Min(softMs, 86_400_000L) + 100));

        private void SetReply(long seq, byte[] buffer, int start, int end)
        {
            ref var slot = ref _ring[seq & (_ring.Length - 1)];
            if (slot.Silent) start = end;
            _queuedBytes += end - start;
            slot.Buffer = buffer;
            slot.Start = start;
            slot.End = end;
            slot.Ready = true;
        }

        private void LocalReply(long seq, RespWriter writer) => SetReply(seq, writer.ToArray(), 0, writer.Length);

        /// <summary>A command that ran here and failed: a call and a failed call in INFO commandstats, as Redis counts it.</summary>
        private void FailedHere(long seq, CommandSpec spec, string message)
        {
            Interlocked.Increment(ref _services.State.SessionCalls[spec.Id]);
            Interlocked.Increment(ref _services.State.SessionFailed[spec.Id]);
            LocalError(seq, message);
        }

        /// <param name="ofBytes">The message quotes request bytes one per character (protocol errors): written as those bytes.</param>
        private void LocalError(long seq, string message, bool ofBytes = false)
        {
            _services.State.Errors.Count(message);
            var writer = _sessionContext.Reply;
            writer.Clear();
            if (ofBytes) writer.WriteErrorOfBytes(message);
            else writer.WriteError(message);
            LocalReply(seq, writer);
        }

        private void ProtocolError(string message)
        {
            long seq = Reserve();
            LocalError(seq, "ERR " + message, ofBytes: true);
            _closeAfter = seq;
            _stopReading = true;
            if (!IsClosed(_stage._in)) Cancel(_stage._in);
        }

        /// <summary>
        /// processCommand's rejectCommand: a rejected call in INFO commandstats; inside MULTI a rejected command dooms the
        /// transaction (flagTransaction), and a rejected EXEC ends it at once (execCommandAbort: discarded, keys unwatched,
        /// the reason in the error).
        /// </summary>
        /// <summary>
        /// A command refused before it runs. The reasons quote request bytes one per character (an unknown command's name
        /// and arguments), as Redis's %s writes them, so they are written back as those bytes (Latin-1).
        /// </summary>
        private void Reject(long seq, CommandSpec? spec, string error)
        {
            if (spec != null) Interlocked.Increment(ref _services.State.Rejected[spec.Id]);
            var transaction = _sessionContext.Transaction;
            if (!transaction.InMulti)
            {
                LocalError(seq, error, ofBytes: true);
                return;
            }
            if (spec?.Name != "exec")
            {
                transaction.Aborted = true;
                LocalError(seq, error, ofBytes: true);
                return;
            }
            _sessionContext.EndTransaction();
            // Redis formats the "ERR" rejections (arity) without their code here, and keeps the others' (BUSY).
            LocalError(seq, "EXECABORT Transaction discarded because of: " + (error.StartsWith("ERR ", StringComparison.Ordinal) ? error[4..] : error),
                ofBytes: true);
        }

        /// <summary>A connection command's latency, into the histogram the connections share.</summary>
        private void RecordLatency(CommandSpec spec, long ticks)
        {
            var histograms = _services.State.SessionLatency;
            var histogram = Volatile.Read(ref histograms[spec.Id]);
            if (histogram == null)
            {
                Interlocked.CompareExchange(ref histograms[spec.Id], new LatencyHistogram(), null);
                histogram = histograms[spec.Id]!;
            }
            histogram.RecordConcurrently(ticks * 1_000_000_000 / System.Diagnostics.Stopwatch.Frequency);
        }

        private bool DebugAllowed() => _services.State.Config.EnableDebugCommand switch
        {
            "yes" => true,
            "local" => _session.IsLocal,
            _ => false,
        };

        /// <param name="resolved">The command already resolved (by <see cref="FollowsBarrier"/>), so it is not resolved twice.</param>
        /// <param name="now">When the command was read (<see cref="IClock.NowMs"/>).</param>
        private void Dispatch(byte[][] args, long now, CommandTable.Resolution? resolved = null)
        {
            var pause = _services.State.Pause;
            if (pause.Active(now))
            {
                var resolution = resolved ?? _services.Table.Resolve(args);
                if (resolution.Error == null && pause.Holds(resolution.Spec!, args, _sessionContext.Transaction.Queue, _services.State))
                {
                    Postpone(args);
                    return;
                }
                resolved = resolution;
            }
            // CLIENT REPLY: with replies off, or for the one command after CLIENT REPLY SKIP, the reply is dropped.
            long seq = Reserve(_session.RepliesOff || _session.SkipNextReply);
            _session.SkipNextReply = false;
            Volatile.Write(ref _session.LastInteractionMs, now); // one writer: no full fence per command
            var (spec, error) = resolved ?? _services.Table.Resolve(args);
            if (_session.Tracking != null) TakeCachingFlag(spec);
            if (error != null)
            {
                Reject(seq, spec, error);
                return;
            }
            _session.LastCommand = spec!.Name;
            var state = _services.State;
            // processCommand's authRequired: unless the default user is on and nopass, only AUTH, HELLO, QUIT and RESET
            // (flagged no_auth) run until AUTH.
            if (!_session.Authenticated && !spec.Facts.HasFlag("no_auth") && state.Acl.DefaultRequiresAuth)
            {
                Reject(seq, spec, "NOAUTH Authentication required.");
                return;
            }
            // processCommand's ACL check; a user allowed everything (the default user, usually) is not checked.
            if (!_session.User.Rules.Unrestricted &&
                state.Acl.Check(_session, spec, args, _sessionContext.Transaction.InMulti ? AclLogContext.Multi : AclLogContext.Toplevel, now)
                    is var denial and not AclDenial.None)
            {
                Reject(seq, spec, AclErrors.Refused(denial, spec.Name));
                return;
            }
            // processCommand's protected commands: DEBUG runs only where enable-debug-command allows it.
            if (spec.Name == "debug" && !DebugAllowed())
            {
                Reject(seq, spec, "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", " +
                                  "you can run it from a local connection, otherwise you need to set this option in the " +
                                  "configuration file, and then restart the server.");
                return;
            }
            // processCommand's order: the pub/sub context (RESP2), then loading, then a busy script.
            if (_session.InSubscribedContext && !PubSubCommands.AllowedWhileSubscribed(spec.Name))
            {
                Reject(seq, spec, PubSubCommands.NotAllowedWhileSubscribed(spec.Name));
                return;
            }
            // While the data loads, only commands flagged loading run.
            if (state.Loading && !spec.Facts.HasFlag("loading"))
            {
                Reject(seq, spec, "LOADING Redis is loading the dataset in memory");
                return;
            }
            if (state.Script.IsBusy(now, state.Config.BusyReplyThreshold) && !spec.Facts.HasFlag("allow_busy"))
            {
                Reject(seq, spec, state.Script.BusyError);
                return;
            }
            var transaction = _sessionContext.Transaction;
            if (transaction.InMulti && !TransactionState.RunsImmediately(spec.Name))
            {
                if (RefusedWhileQueueing(spec.DenyOom, spec.IsWrite) is { } refusal)
                {
                    Reject(seq, spec, refusal);
                    return;
                }
                Queue(seq, spec, args, transaction);
                return;
            }
            // MONITOR sees a command as it runs: a connection command once it has run (SELECT's new database), EXEC's
            // queued commands when EXEC runs them and EXEC after them, any other as it goes to its shards.
            bool monitored = _services.State.Monitors.Any;
            if (monitored && spec.Route != CommandRoute.Session) FeedMonitors(spec, args, transaction);
            var command = new ShardCommand(spec, args, _session.Db, _session.Resp3, seq);
            switch (spec.Name)
            {
                case "exec":
                    Exec(seq, command, transaction);
                    return;
                case "watch":
                    if (transaction.InMulti) LocalError(seq, TransactionCommands.WatchInsideMulti);
                    else Watch(command, transaction.Watch ??= new WatchState());
                    return;
                case "wait":
                    if (WaitsForReplicas(seq, args)) return;
                    break;
            }
            if (spec.Route == CommandRoute.Session)
            {
                RunSessionCommand(seq, spec, args);
                if (monitored) FeedMonitors(spec, args, null);
            }
            else if (BlockingCommands.MayBlock(spec, args))
            {
                // A blocked client waits on its node's shards: checked before the connection starts waiting.
                int shard = Routing.ShardFor(spec, args, _services.Keyspace.SlotOwner, _services.AllShardIndexes, out var several);
                if (_services.Cluster is not { } cluster) Block(command);
                else if (several == null)
                    BlockThroughRelay(command, BlockRelay.Props(_services.Shards[shard], command, _self.Ref, TimeoutMs(command) ?? 0));
                else if (ClusterGate.Lends(cluster.Current, several))
                    BlockThroughRelay(command, BlockAcrossNodes.Props(_services, command, several, _self.Ref, TimeoutMs(command) ?? 0));
                else if (!RefusedInCluster(command, shard, several, out _)) Block(command);
            }
            else if (_session.Tracking is { } tracking && TracksKeysOf(spec, tracking)) Route(command with { Payload = TrackedRead.Instance });
            else Route(command);
        }

        // ------------------------------------------------------------------------------- CLIENT TRACKING

        /// <summary>Whether CLIENT CACHING yes|no was given for the command being dispatched.</summary>
        private bool _cachingForCommand;

        /// <summary>
        /// CLIENT CACHING holds for the next command only (resetClient): then it is cleared, except after a CLIENT
        /// subcommand and while a transaction is queued (MULTI included), so it holds for the EXEC.
        /// </summary>
        private void TakeCachingFlag(CommandSpec? spec)
        {
            _cachingForCommand = _session.CachingGiven;
            if (spec == null || spec.Name.StartsWith("client|", StringComparison.Ordinal) || spec.Name == "multi") return;
            if (_sessionContext.Transaction.InMulti && spec.Name is not ("exec" or "discard")) return;
            _session.CachingGiven = false;
        }

        /// <summary>A read-only command (or a script) with keys, whose keys the mode remembers (trackingRememberKeys).</summary>
        private bool TracksKeysOf(CommandSpec spec, ClientTracking tracking) =>
            spec.Facts.KeySpecs.Length > 0 && tracking.TracksReads(_cachingForCommand) && (spec.Facts.HasFlag("readonly") || spec.RunsUserCode)
            && !spec.Facts.HasFlag("pubsub");

        /// <summary>
        /// A shard's invalidation for this connection: dropped if tracking went off or changed mode since (a read from
        /// before BCAST, a prefix after it), keys this connection modified itself left out under NOLOOP; the rest goes to
        /// the connection it redirects to, or here.
        /// </summary>
        private void OnInvalidated(TrackingInvalidation invalidation)
        {
            if (_session.Tracking is not { } mode) return;
            byte[][]? keys = invalidation.Keys;
            if (keys != null)
            {
                if (invalidation.Broadcast != mode.Broadcast) return;
                if (mode.NoLoop) keys = [.. keys.Where((_, i) => !invalidation.BySelf![i])];
                if (keys.Length == 0) return;
            }
            var message = new RedirectedInvalidation(keys, OnePerKey: !invalidation.Broadcast);
            if (mode.RedirectId == 0)
            {
                WriteInvalidation(message, redirected: false);
                return;
            }
            if (_services.Clients.Find(mode.RedirectId)?.Actor is { } target)
            {
                target.Tell(message);
                return;
            }
            // sendTrackingMessage: the connection redirected to is gone; a RESP3 connection is told so.
            _session.TrackingRedirectBroken = true;
            if (!_session.Resp3) return;
            var writer = new RespWriter(48) { Resp3 = true };
            writer.WritePushHeader(2);
            writer.WriteBulk("tracking-redir-broken"u8);
            writer.WriteInteger(mode.RedirectId);
            WritePush(writer);
        }

        private static readonly byte[] InvalidateChannel = "__redis__:invalidate"u8.ToArray();

        /// <summary>
        /// Invalidation messages as Redis writes them: a RESP3 push, or (to a RESP2 connection that others redirect to and
        /// that is in pub/sub mode) a message on __redis__:invalidate; otherwise RESP2 has no way to carry them. Keys read
        /// are invalidated one per message, a BCAST prefix's keys together, a flush as null.
        /// </summary>
        private void WriteInvalidation(RedirectedInvalidation message, bool redirected)
        {
            if (!_session.Resp3 && !(redirected && _session.Subscriptions?.Any == true)) return;
            if (message.Keys == null) WriteInvalidation(null);
            else if (!message.OnePerKey) WriteInvalidation(message.Keys);
            else foreach (var key in message.Keys) WriteInvalidation([key]);
        }

        private void WriteInvalidation(byte[][]? keys)
        {
            var writer = new RespWriter(64 + (keys?.Sum(k => k.Length + 16) ?? 0)) { Resp3 = _session.Resp3 };
            writer.WritePushHeader(_session.Resp3 ? 2 : 3);
            if (_session.Resp3) writer.WriteBulk("invalidate"u8);
            else
            {
                writer.WriteBulk("message"u8);
                writer.WriteBulk(InvalidateChannel);
            }
            if (keys == null) writer.WriteNull();
            else
            {
                writer.WriteArrayHeader(keys.Length);
                foreach (var key in keys) writer.WriteBulk(key);
            }
            WritePush(writer);
        }

        /// <summary>
        /// A blocking command: the connection reads nothing more until it is answered (as Redis stops processing a
        /// blocked client's input), and a timer answers nil at the deadline if no shard served it first.
        /// </summary>
        private void Block(in ShardCommand command)
        {
            var client = new BlockedClient(command.Seq, _self.Ref);
            _blocked = client;
            _session.Blocked = client;
            Route(command with { Payload = client });
            _barrier = command.Seq;
            _barrierAllShards = false;
            if (TimeoutMs(command) is { } milliseconds) ScheduleOnce(client, TimeSpan.FromMilliseconds(milliseconds));
        }

        /// <summary>
        /// WAIT for one or more replicas: there are none, so the connection blocks (as a blocked client: CLIENT UNBLOCK
        /// ends it) until the timeout, then answers 0. False when WAIT answers at once: the session command answers 0 for
        /// none, or Redis's error for bad arguments.
        /// </summary>
        private bool WaitsForReplicas(long seq, byte[][] args)
        {
            if (!Args.TryLong(args[1], out long replicas) || replicas <= 0 || !Args.TryLong(args[2], out long timeoutMs) || timeoutMs < 0)
                return false;
            var client = new BlockedClient(seq, _self.Ref);
            _blocked = client;
            _blockedOnWait = true;
            _session.Blocked = client;
            WaitBehind(seq);
            if (timeoutMs > 0 && timeoutMs <= int.MaxValue) ScheduleOnce(client, TimeSpan.FromMilliseconds(timeoutMs));
            return true;
        }

        /// <summary>The blocked command is WAIT, whose timeout answers the (zero) replicas that acknowledged.</summary>
        private bool _blockedOnWait;

        private byte[] TimeoutReply() => _blockedOnWait ? ":0\r\n"u8.ToArray() : BlockedClient.TimeoutReply(_session.Resp3);

        /// <summary>A blocking command's timeout; null for none (0, or not a valid timeout: the shard answers that error).</summary>
        private static long? TimeoutMs(in ShardCommand command)
        {
            if (command.Spec.Name is "xread" or "xreadgroup" && Streams.TryBlockMilliseconds(command.Args, out var blockMs))
                return blockMs is > 0 and < int.MaxValue ? blockMs : null;
            int timeoutAt = command.Spec.Name switch { "blmpop" or "bzmpop" => 1, _ => command.Args.Length - 1 };
            return Args.TryDouble(command.Args[timeoutAt], out double seconds) && seconds > 0 && seconds * 1000 < int.MaxValue
                ? (long)Math.Ceiling(seconds * 1000)
                : null;
        }

        /// <summary>Cluster mode: the relay standing in for this connection's blocking command, and its sequence number.</summary>
        private IActorRef? _relay;
        private long _relaySeq = -1;

        /// <summary>
        /// Cluster mode: a blocking command whose keys are not all on this node's shards waits through a relay: a
        /// <see cref="BlockRelay"/> when they live on one shard (it blocks there, and follows the shard when it moves), a
        /// <see cref="BlockAcrossNodes"/> when they span shards. The connection reads nothing more until it is answered,
        /// as for a blocked client on one node.
        /// </summary>
        private void BlockThroughRelay(in ShardCommand command, Props relay)
        {
            WaitBehind(command.Seq); // the commands before it reach their shards first
            _relay = _services.Cluster!.System.ActorOf(relay);
            _relaySeq = command.Seq;
            _session.BlockRelay = _relay;
        }

        private void StopRelay()
        {
            _relay?.Tell(PoisonPill.Instance);
            ForgetRelay();
        }

        private void ForgetRelay()
        {
            _relay = null;
            _relaySeq = -1;
            _session.BlockRelay = null;
        }

        private const string ForwardWatchdog = "forward-watchdog";

        /// <summary>Cluster mode: batches in flight, sent again or failed when Cluster Sharding lost them.</summary>
        private ForwardedBatches? _forwarded;

        private bool Answered(long seq) => seq < _head || _ring[seq & (_ring.Length - 1)].Ready;

        private void TrackForwarded(int shard, ShardCommand[] commands, int count, Placement placement)
        {
            // Commands with connection state (blocking pops, WATCH here) are not resent: a blocked pop has no reply yet by
            // design. A WATCH ticket may go again: the shard's stand-in for it is the same watch.
            for (int i = 0; i < count; i++)
                if (commands[i].Payload is not (null or WatchTicket)) return;
            if (_forwarded == null)
            {
                _forwarded = new ForwardedBatches(Answered,
                    (target, batch, n) => _services.Shards[target].Tell(new ShardBatch(batch, n, _self.Ref), _self.Ref),
                    (seq, error) => LocalError(seq, error),
                    (target, token) => _services.Shards[target].Tell(new ShardProbe(token, _self.Ref), _self.Ref));
            }
            if (_forwarded.IsEmpty) ScheduleRepeatedly(ForwardWatchdog, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500));
            _forwarded.Sent(shard, commands, count, placement.Owners[shard], Environment.TickCount64);
        }

        private void AfterForwardedChange()
        {
            if (_forwarded!.IsEmpty) CancelTimer(ForwardWatchdog);
            FlushBatches();
            TryEmit();
            MaybePull();
            MaybeComplete();
        }

        protected override void OnTimer(object timerKey)
        {
            if (ReferenceEquals(timerKey, OutputLimitCheck))
            {
                if (!_discardReplies && !ClosedForOutputLimit() && _overSoftLimitSinceMs >= 0)
                    ScheduleSoftLimitCheck(Math.Max(0, _overSoftLimitSinceMs + SoftMs(OutputLimit()) - _services.State.Clock.NowMs));
                return;
            }
            if (timerKey is PauseCheck)
            {
                if (_barrier != PauseBarrier) return;
                _barrier = -1;
                _session.Paused = false;
                RunDeferred(); // a command still held postpones itself again
                TryEmit();
                MaybePull();
                MaybeComplete();
                return;
            }
            if (timerKey is ForwardWatchdog)
            {
                _forwarded!.Tick(Environment.TickCount64);
                AfterForwardedChange();
                return;
            }
            if (timerKey is BlockedClient client && client == _blocked && client.TryCancel())
                FinishBlocked(TimeoutReply());
        }

        /// <summary>Answers the blocked command locally (timeout, CLIENT UNBLOCK) after this side won its claim.</summary>
        private void FinishBlocked(byte[] reply)
        {
            var client = _blocked;
            if (client == null) return;
            ForgetBlocked(client);
            _blockedOnWait = false;
            OnReplies(ShardReplies.One(reply, client.Seq));
        }

        private void ForgetBlocked(BlockedClient client)
        {
            // Only the shards it waits on hold it: Keys is published before the client can be claimed, and a client
            // cancelled before it registered never registers.
            foreach (int shard in client.Keys.Select(k => k.Shard).Distinct()) _services.Shards[shard].Tell(new ForgetWaiter(client));
        }


        /// <summary>
        /// processCommand's refusals of the data's state that also stop a command from being queued (and so doom the
        /// EXEC), and EXEC itself when its queue holds such a command: over maxmemory, a command that may add data; while
        /// the AOF cannot be written or without enough good replicas, a write. Outside MULTI the shard that runs the
        /// command decides. Redis evicts before it refuses; with an eviction policy the shards evict when EXEC runs, so
        /// only noeviction refuses here.
        /// </summary>
        private string? RefusedWhileQueueing(bool denyOom, bool isWrite)
        {
            var state = _services.State;
            var config = state.Config;
            if (denyOom && config.MaxMemory > 0 && config.MaxMemoryPolicy == "noeviction" &&
                Eviction.UsedMemory(_services.Keyspace, state) > config.MaxMemory)
                return Eviction.OutOfMemory;
            return isWrite ? state.WriteRefusal() : null;
        }

        /// <summary>Inside MULTI: a valid command answers QUEUED; a rejected one answers its error and dooms the EXEC.</summary>
        private void Queue(long seq, CommandSpec spec, byte[][] args, TransactionState transaction)
        {
            if (spec.Facts.HasFlag("no_multi"))
            {
                transaction.Aborted = true;
                LocalError(seq, TransactionCommands.NotAllowedInMulti);
                return;
            }
            Action<RespWriter>? runInSession = null;
            if (spec.Route == CommandRoute.Session)
            {
                var handler = _stage._sessionCommands.Find(spec)!;
                // Runs on the shard that executes the EXEC, while this connection waits for it: nothing else touches the session then.
                runInSession = writer =>
                {
                    var context = new SessionContext(_session, _services) { Args = args, Spec = spec, InExec = true };
                    context.Reply.Resp3 = _session.Resp3;
                    handler(context);
                    CountSessionCall(spec, context.Reply);
                    writer.WriteRaw(context.Reply.Written);
                };
            }
            transaction.Queue.Add(new QueuedCommand(spec, args, runInSession));
            _session.QueuedInMulti = transaction.Queue.Count;
            var writer = _sessionContext.Reply;
            writer.Clear();
            writer.WriteQueued();
            LocalReply(seq, writer);
        }

        /// <summary>
        /// WATCH: the shard registers the connection's watch in process. In cluster mode a shard on another node gets a
        /// ticket instead and keeps a stand-in for it, asked at EXEC (see <see cref="WatchTicket"/>); keys of several
        /// shards not all here go to each of their shards that way (<see cref="WatchFanOut"/>).
        /// </summary>
        private void Watch(in ShardCommand command, WatchState watch)
        {
            if (_services.Cluster is { } cluster)
            {
                int shard = Routing.ShardFor(command.Spec, command.Args, _services.Keyspace.SlotOwner, _services.AllShardIndexes, out var several);
                var owners = cluster.Current.Owners;
                var shards = several ?? [shard];
                if (shards.All(s => owners[s] != null) && shards.Any(s => !owners[s]!.IsSelf))
                {
                    var ticket = watch.Ticket ??= new WatchTicket(_self.Ref, watch.Generation);
                    watch.StandInShards.UnionWith(shards);
                    if (several == null)
                    {
                        AddToBatch(shard, command with { Payload = ticket });
                        return;
                    }
                    // One WATCH per shard, of its keys, each told apart by its shard as sequence number.
                    var whole = command;
                    var parts = command.Args.Skip(1).GroupBy(key => _services.Keyspace.ShardOf(key)).ToDictionary(
                        g => g.Key, g => whole with { Args = [whole.Args[0], .. g], Seq = g.Key, Payload = ticket });
                    WaitBehind(command.Seq);
                    cluster.System.ActorOf(WatchFanOut.Props(_services.Shards, parts, _self.Ref, command.Seq));
                    return;
                }
            }
            Route(command with { Payload = watch });
        }

        /// <summary>
        /// execCommand's second ACL check: the user's rules may have changed since a command was queued; one no longer
        /// allowed answers NOPERM in its place in EXEC's reply, and the others run.
        /// </summary>
        private void RecheckAcl(List<QueuedCommand> queue)
        {
            var state = _services.State;
            for (int i = 0; i < queue.Count; i++)
            {
                var denial = state.Acl.Check(_session, queue[i].Spec, queue[i].Args, AclLogContext.Multi, state.Clock.NowMs);
                if (denial == AclDenial.None) continue;
                var error = AclErrors.RefusedAtExec(denial);
                queue[i] = queue[i] with
                {
                    RunInSession = writer =>
                    {
                        state.Errors.Count(error);
                        writer.WriteError(error);
                    },
                };
            }
        }

        /// <summary>A call of a connection command (in EXEC too): counted, and a failed one when it answered an error.</summary>
        private void CountSessionCall(CommandSpec spec, RespWriter reply)
        {
            Interlocked.Increment(ref _services.State.SessionCalls[spec.Id]);
            if (reply.Length == 0 || reply.Buffer[0] != (byte)'-') return;
            Interlocked.Increment(ref _services.State.SessionFailed[spec.Id]);
            _services.State.Errors.Count(reply.Buffer.AsSpan(0, reply.Length));
        }

        /// <summary>
        /// CLIENT UNBLOCK ... ERROR: the blocked command fails with UNBLOCKED, counted as a failed call and an error as
        /// updateStatsOnUnblock counts it (its call was counted when it blocked).
        /// </summary>
        private byte[] UnblockedReply()
        {
            if (_blocked?.Spec is { } spec) Interlocked.Increment(ref _services.State.SessionFailed[spec.Id]);
            _services.State.Errors.Count(BlockRelay.UnblockedError);
            return RespWriter.ErrorReply(BlockRelay.UnblockedError);
        }

        /// <summary>EXEC: one held command over every shard the queued commands and watched keys live on.</summary>
        private void Exec(long seq, in ShardCommand command, TransactionState transaction)
        {
            if (!transaction.InMulti)
            {
                FailedHere(seq, command.Spec, TransactionCommands.ExecWithoutMulti);
                return;
            }
            _session.QueuedInMulti = -1;
            // processCommand judges EXEC by the flags of what it queued, before execCommand looks at anything else.
            if (RefusedWhileQueueing(transaction.Queue.Any(q => q.Spec.DenyOom), transaction.Queue.Any(q => q.Spec.IsWrite)) is { } stateRefusal)
            {
                Reject(seq, command.Spec, stateRefusal);
                return;
            }
            if (transaction.Aborted)
            {
                _sessionContext.EndTransaction();
                FailedHere(seq, command.Spec, TransactionCommands.ExecAbort);
                return;
            }
            if (!_session.User.Rules.Unrestricted) RecheckAcl(transaction.Queue);
            var shards = new SortedSet<int>();
            var placement = _services.Cluster?.Current;
            bool wholeKeyspace = false;
            foreach (var queued in transaction.Queue)
            {
                if (queued.RunInSession != null) continue;
                if (placement != null && queued.Spec.Route == CommandRoute.AllShards)
                {
                    shards.UnionWith(placement.LocalShards); // a cluster node's whole keyspace is its own shards'
                    wholeKeyspace = true;
                    continue;
                }
                int shard = Routing.ShardFor(queued.Spec, queued.Args, _services.Keyspace.SlotOwner, _services.AllShardIndexes, out var several);
                if (several != null) shards.UnionWith(several);
                else shards.Add(shard);
            }
            var watch = transaction.Watch;
            if (watch != null)
            {
                shards.UnionWith(watch.Shards);
                shards.UnionWith(watch.StandInShards);
            }
            if (shards.Count == 0) shards.Add(placement?.LocalShards.FirstOrDefault() ?? 0);
            // A watch kept on another node's shard is asked by lending, even when that shard has moved here since.
            bool lends = placement != null && !wholeKeyspace && (ClusterGate.Lends(placement, shards) || watch?.StandInShards.Count > 0);
            if (placement != null && !lends && ClusterGate.Refusal(placement, _services.Keyspace, shards, -1) is { } refusal)
            {
                _sessionContext.EndTransaction();
                LocalError(seq, refusal);
                return;
            }
            var payload = new Transaction(transaction.Queue.ToList(), watch, _session)
                { TrackReads = _session.Tracking?.TracksReads(_cachingForCommand) == true };
            transaction.Discard();
            transaction.Watch = null; // EXEC forgets the watched keys on the shards it holds
            if (lends) StartLending(shards.ToArray(), command with { Payload = payload });
            else StartHeld(shards.ToArray(), command with { Payload = payload });
        }

        private void Route(in ShardCommand command)
        {
            int shard = Routing.ShardFor(command.Spec, command.Args, _services.Keyspace.SlotOwner, _services.AllShardIndexes, out var several, out int firstSlot);
            if (_services.Cluster is { } cluster && ClusterGate.NeedsLocal(command, several))
            {
                if (ClusterGate.Lending(cluster.Current, _services.Keyspace, command, several) is { } lent)
                {
                    StartLending(lent, command);
                    return;
                }
                if (RefusedInCluster(command, shard, several, out var local)) return;
                if (local != null) several = local;
            }
            if (several != null) StartHeld(several, command);
            else AddToBatch(shard, command with { FirstKeySlot = firstSlot });
        }

        /// <summary>
        /// Cluster mode: answers MOVED / CROSSSLOT when the command cannot run from this node (see <see cref="ClusterGate"/>);
        /// <paramref name="local"/> gets the shards a whole-keyspace command holds here.
        /// </summary>
        private bool RefusedInCluster(in ShardCommand command, int shard, int[]? several, out int[]? local)
        {
            local = null;
            if (_services.Cluster is not { } cluster) return false;
            var refusal = ClusterGate.Refusal(cluster.Current, _services.Keyspace, command, shard, several, out local);
            if (refusal == null) return false;
            LocalError(command.Seq, refusal);
            return true;
        }

        private void AddToBatch(int shard, in ShardCommand command)
        {
            var batch = _batches[shard] ??= new ShardCommand[_lastBatchSizes[shard]];
            if (_batchCounts[shard] == batch.Length) Array.Resize(ref _batches[shard], batch.Length * 2);
            _batches[shard]![_batchCounts[shard]++] = command;
        }

        private void FlushBatches()
        {
            for (int shard = 0; shard < _batchCounts.Length; shard++)
            {
                int count = _batchCounts[shard];
                if (count == 0) continue;
                // The message takes the array the commands were collected in (no copy: ShardCommand[] was a fifth of the
                // bytes allocated at GET -P 16, twice over); the next read's starts at this one's size, up to a limit, so
                // an idle connection keeps nothing and a steady pipeline allocates one array of the right size per read.
                var commands = _batches[shard]!;
                _batches[shard] = null;
                _lastBatchSizes[shard] = Math.Clamp(count, 4, 256);
                _services.Shards[shard].Tell(new ShardBatch(commands, count, _self.Ref), _self.Ref);
                if (_services.Cluster is { } cluster)
                {
                    var placement = cluster.Current;
                    TrackForwarded(shard, commands, count, placement);
                    if (!placement.IsLocal(shard)) Interlocked.Add(ref _services.State.ForwardedCommands, count);
                }
                _batchCounts[shard] = 0;
            }
        }

        /// <summary>
        /// The commands read so far go to their shards, and the ones read next wait until <paramref name="seq"/> is
        /// answered (<paramref name="allShards"/>: it holds every shard, so those too would only queue behind it).
        /// </summary>
        private void WaitBehind(long seq, bool allShards = false)
        {
            FlushBatches();
            _barrier = seq;
            _barrierAllShards = allShards;
        }

        private void StartHeld(int[] shardIndexes, in ShardCommand command)
        {
            WaitBehind(command.Seq, command.Spec.Route == CommandRoute.AllShards);
            CrossShard.Start(_services.HoldRoute(), shardIndexes, command, _self.Ref);
        }

        /// <summary>Cluster mode: a command whose shards span nodes; a barrier as for a held command.</summary>
        private void StartLending(int[] shardIndexes, in ShardCommand command)
        {
            WaitBehind(command.Seq);
            _services.StartLending(shardIndexes, command, _self.Ref);
        }

        private void RunSessionCommand(long seq, CommandSpec spec, byte[][] args)
        {
            var handler = _stage._sessionCommands.Find(spec)!;
            var context = _sessionContext;
            context.Args = args;
            context.Spec = spec;
            context.CloseAfterReply = false;
            context.ResetRequested = false;
            context.ReplyShown = PubSubCommands.IsSubscription(spec.Name) ? true : null;
            context.Reply.Clear();
            context.Reply.Resp3 = _session.Resp3;
            long began = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                handler(context);
            }
            catch (Exception e)
            {
                context.Reply.Clear();
                context.Reply.WriteError("ERR " + e.Message);
            }
            // CLIENT REPLY decides about its own reply; (un)subscribing always answers, as Redis pushes those replies.
            if (context.ReplyShown is { } shown) _ring[seq & (_ring.Length - 1)].Silent = !shown;
            long elapsed = System.Diagnostics.Stopwatch.GetTimestamp() - began;
            Interlocked.Add(ref _services.State.SessionElapsedTicks[spec.Id], elapsed);
            if (_services.State.Config.LatencyTracking) RecordLatency(spec, elapsed);
            _services.State.CommandRan(spec, args, elapsed * 1_000_000 / System.Diagnostics.Stopwatch.Frequency, _session);
            CountSessionCall(spec, context.Reply);
            LocalReply(seq, context.Reply);
            if (context.ResetRequested)
            {
                context.EndTransaction();
                _session.Subscriptions?.Clear();
            }
            if (context.CloseAfterReply)
            {
                _closeAfter = seq;
                _stopReading = true;
                if (!IsClosed(_stage._in)) Cancel(_stage._in);
            }
        }

        private void OnMessage((IActorRef Sender, object Message) envelope)
        {
            if (envelope.Message is ShardReplies replies) OnReplies(replies);
            else if (envelope.Message is PubSubMessage message) OnPublished(message);
            else if (envelope.Message is TrackingInvalidation invalidation) OnInvalidated(invalidation);
            else if (envelope.Message is RedirectedInvalidation redirected) WriteInvalidation(redirected, redirected: true);
            else if (envelope.Message is MonitorLine line) OnMonitorLine(line);
            else if (envelope.Message is ProbeReply probed && _forwarded != null && _services.Cluster is { } cluster)
            {
                _forwarded.Probed(probed.Shard, probed.Token, cluster.Current, Environment.TickCount64);
                AfterForwardedChange();
            }
        }

        /// <summary>Feeds a command to MONITOR (administrative ones are not shown, AUTH's secrets are redacted, as in Redis).</summary>
        private void FeedMonitors(CommandSpec spec, byte[][] args, TransactionState? transaction)
        {
            var monitors = _services.State.Monitors;
            if (spec.Name == "exec" && transaction is { InMulti: true, Aborted: false })
                foreach (var queued in transaction.Queue)
                    if (!queued.Spec.Facts.HasFlag("admin")) monitors.Feed(_session.Db, _session.Address, Redacted(queued.Spec, queued.Args));
            if (!spec.Facts.HasFlag("admin")) monitors.Feed(_session.Db, _session.Address, Redacted(spec, args));
        }

        private static readonly byte[] RedactedArgument = "(redacted)"u8.ToArray();

        /// <summary>The arguments with AUTH's, and HELLO's AUTH username and password, replaced (redactClientCommandArgument).</summary>
        private static byte[][] Redacted(CommandSpec spec, byte[][] args)
        {
            if (spec.Name == "auth") return [args[0], .. args.Skip(1).Select(_ => RedactedArgument)];
            if (spec.Name != "hello") return args;
            var shown = args.ToArray();
            for (int i = 2; i + 2 < shown.Length; i++)
            {
                if (!Args.Is(shown[i], "AUTH")) continue;
                shown[i + 1] = shown[i + 2] = RedactedArgument;
                i += 2;
            }
            return shown;
        }

        /// <summary>A line of MONITOR's output (see <see cref="MonitorRegistry"/>), written after the replies owed so far.</summary>
        private void OnMonitorLine(MonitorLine line)
        {
            if (!_session.Monitoring || _discardReplies || _closeAfter >= 0) return;
            var writer = new RespWriter(line.Line.Length);
            writer.WriteRaw(line.Line);
            WritePush(writer, silent: _session.RepliesOff);
        }

        /// <summary>Output nobody asked for in this read (a pub/sub message, a MONITOR line), written after the replies owed so far.</summary>
        private void WritePush(RespWriter writer, bool silent = false)
        {
            LocalReply(Reserve(silent), writer);
            TryEmit();
        }

        /// <summary>
        /// A message published to a channel or pattern this connection subscribes to: written after the replies to
        /// everything read so far, as if published after those commands ran. One that arrives after the connection
        /// unsubscribed (they crossed) is dropped, as Redis would not have sent it.
        /// </summary>
        private void OnPublished(PubSubMessage message)
        {
            if (!_session.Subscriptions!.Wants(message) || _discardReplies || _closeAfter >= 0) return;
            var writer = new RespWriter(32 + message.Channel.Length + message.Message.Length + (message.Pattern?.Length ?? 0)) { Resp3 = _session.Resp3 };
            writer.WritePushHeader(message.Pattern == null ? 3 : 4);
            writer.WriteBulk(message.Sharded ? "smessage"u8 : message.Pattern == null ? "message"u8 : "pmessage"u8);
            if (message.Pattern != null) writer.WriteBulk(message.Pattern);
            writer.WriteBulk(message.Channel);
            writer.WriteBulk(message.Message);
            WritePush(writer);
        }

        private void OnReplies(ShardReplies replies)
        {
            int start = 0;
            bool barrierDone = false;
            for (int i = 0; i < replies.Count; i++)
            {
                long seq = replies.Seqs[i];
                int end = replies.Ends[i];
                if (seq < _head || _ring[seq & (_ring.Length - 1)].Ready)
                {
                    // Only in a cluster: a reply that comes after the watchdog gave up on it.
                    start = end;
                    continue;
                }
                SetReply(seq, replies.Buffer, start, end);
                start = end;
                if (seq == _barrier) barrierDone = true;
                if (seq == _relaySeq) ForgetRelay(); // the relay stops itself once it has passed the reply on
                if (_blocked != null && seq == _blocked.Seq)
                {
                    CancelTimer(_blocked);
                    _blocked = null;
                    _session.Blocked = null;
                }
            }
            if (barrierDone)
            {
                _barrier = -1;
                RunDeferred();
            }
            TryEmit();
            MaybePull();
            MaybeComplete();
        }

        /// <summary>The commands read behind a barrier, in order, until one sets a barrier again.</summary>
        private void RunDeferred()
        {
            while (_deferred.Count > 0 && _barrier < 0 && _closeAfter < 0 && !_discardReplies)
            {
                var next = _deferred.Dequeue();
                if (next is string protocolError) ProtocolError(protocolError);
                else Dispatch((byte[][])next, _services.State.Clock.NowMs);
            }
            FlushBatches();
        }

        /// <summary>A barrier no reply lifts: set while CLIENT PAUSE holds this connection's next command.</summary>
        private const long PauseBarrier = long.MaxValue;
        private const string PauseCheck = "pause-check";

        /// <summary>
        /// CLIENT PAUSE holds this command: it goes back to the head of the commands waiting, the ones before it go to
        /// their shards, and reading stops (as Redis blocks a paused client) until a check finds the pause over. Checks
        /// run every 10 ms, so CLIENT UNPAUSE from another connection takes effect at once.
        /// </summary>
        private void Postpone(byte[][] args)
        {
            var waiting = _deferred.ToArray();
            _deferred.Clear();
            _deferred.Enqueue(args);
            foreach (var item in waiting) _deferred.Enqueue(item);
            FlushBatches();
            _barrier = PauseBarrier;
            _barrierAllShards = false;
            _session.Paused = true;
            ScheduleOnce(PauseCheck, TimeSpan.FromMilliseconds(10));
        }

        private void TryEmit()
        {
            if (_discardReplies)
            {
                while (_head < _next && _ring[_head & (_ring.Length - 1)].Ready)
                {
                    ref var dropped = ref _ring[_head++ & (_ring.Length - 1)];
                    _queuedBytes -= dropped.End - dropped.Start;
                    dropped = default;
                }
                MaybeComplete();
                return;
            }
            if (ClosedForOutputLimit() || !IsAvailable(_stage._out)) return;
            int mask = _ring.Length - 1;
            long end = _head;
            int total = 0;
            while (end < _next && _ring[end & mask].Ready)
            {
                ref var slot = ref _ring[end & mask];
                total += slot.End - slot.Start;
                end++;
            }
            if (end == _head) return;

            ByteString output = ByteString.Empty;
            ref var first = ref _ring[_head & mask];
            bool contiguous = true;
            for (long s = _head + 1; s < end && contiguous; s++)
            {
                ref var previous = ref _ring[(s - 1) & mask];
                ref var slot = ref _ring[s & mask];
                contiguous = ReferenceEquals(slot.Buffer, previous.Buffer) && slot.Start == previous.End;
            }
            if (total == 0)
            {
                // Only empty replies (dropped by CLIENT REPLY, or of a client that left): nothing to write.
            }
            else if (contiguous)
            {
                // One shard's replies back to back in its buffer (a pipelined read on one shard): wrap, do not copy.
                output = ByteString.FromBytes(first.Buffer!, first.Start, total);
            }
            else
            {
                var bytes = new byte[total];
                int at = 0;
                for (long s = _head; s < end; s++)
                {
                    ref var slot = ref _ring[s & mask];
                    int length = slot.End - slot.Start;
                    Buffer.BlockCopy(slot.Buffer!, slot.Start, bytes, at, length);
                    at += length;
                }
                output = ByteString.FromBytes(bytes);
            }
            for (long s = _head; s < end; s++) _ring[s & mask] = default;
            _head = end;
            _queuedBytes -= total;
            _session.OutputBytes = _queuedBytes;
            if (total > 0)
            {
                Interlocked.Add(ref _services.Clients.NetOutputBytes, total);
                Push(_stage._out, output);
            }
            if (_closeAfter >= 0 && _head > _closeAfter)
            {
                _discardReplies = true;
                _upstreamDone = true;
                Complete(_stage._out);
            }
            MaybeComplete();
            // Writing freed room in the ring: read again if a full ring had stopped reading.
            MaybePull();
            if (total == 0) TryEmit();
        }

        private void MaybeComplete()
        {
            if (_upstreamDone && _head == _next && _barrier < 0 && (_discardReplies || _deferred.Count == 0))
                CompleteStage();
        }
    }

}
