using System.Collections.Frozen;
using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Microservices.Gateway.Membership;
using Microservices.Gateway.Replication;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Rebalancing;

/// <summary>
/// Membership changes: a node fails, joins, or leaves gracefully, and a node that is back is resynchronised. One
/// at a time: a change waits for the one before it to end. A change completes or leaves the ring as it was: the
/// arcs that change hands are copied first (writes reach their owners under both rings meanwhile), and the new ring
/// is committed only when every copy has landed. A node that leaves the ring is retired
/// (<see cref="ClusterNode.Retire"/>), so requests planned before the change complete or fail over.
/// </summary>
/// <remarks>
/// Every change is two configurations committed in the cluster (<see cref="ClusterConfigClient"/>): the first,
/// proposed on the epoch this gateway routes by, names the ring the cluster moves to (so every gateway writes to the
/// owners under both rings), the second the ring it has moved to (or, when the copy failed, the ring as it was).
/// The gateway that commits the first holds the change under a lease (<see cref="ChangeLease"/>), renewed while it
/// drives the copy; the others only reload. A change is refused while another is halfway (FAILED_PRECONDITION). When
/// the gateway that holds a change dies, or cannot commit its end, the change is taken over once its lease lapses
/// (<see cref="TakeOverAsync"/>), so the cluster never stays halfway.
/// </remarks>
public sealed partial class ClusterAdmin(
    ClusterMembership membership, Rebalancer rebalancer, HintStore hints, ClusterConfigClient configs, HybridLogicalClock clock,
    Microsoft.Extensions.Options.IOptions<GatewayOptions> options, TimeProvider time, ILogger<ClusterAdmin> logger)
{
    private readonly TimeSpan _settle = options.Value.ClusterConfig.SettleDelay ?? options.Value.ClusterConfig.PollInterval + options.Value.ReplicaTimeout;

    /// <summary>
    /// The node is gone (the seed's handle_node_failure): requests skip it at once (DOWN), the arcs it held are
    /// copied from the surviving replicas to their new replicas, then it leaves the ring. The last node cannot fail
    /// (FAILED_PRECONDITION), as it cannot be removed; a copy that fails leaves the ring as it was.
    /// </summary>
    public Task<RebalanceResult> HandleNodeFailureAsync(string name, CancellationToken cancellationToken) =>
        membership.ChangeAsync(async before =>
        {
            var node = FindLeaving(before, name);
            var started = Stopwatch.GetTimestamp();
            var state = node.State;
            node.State = MemberState.Down;
            var (moved, after) = await MoveWithDualWritesAsync(before, Without(before, name), after => after.Nodes, () => node.State = state, cancellationToken).ConfigureAwait(false);
            return Leave(node, after, moved, started, "failed");
        }, cancellationToken);

    /// <summary>
    /// A node leaves gracefully: its arcs are handed to their new replicas (writes reach old and new owners
    /// meanwhile), then it leaves the ring. The last node cannot leave (FAILED_PRECONDITION).
    /// </summary>
    public Task<RebalanceResult> RemoveNodeAsync(string name, CancellationToken cancellationToken) =>
        membership.ChangeAsync(async before =>
        {
            var node = FindLeaving(before, name);
            var started = Stopwatch.GetTimestamp();
            var state = node.State;
            node.State = MemberState.Leaving;
            var (moved, after) = await MoveWithDualWritesAsync(before, Without(before, name), _ => before.Nodes, () => node.State = state, cancellationToken).ConfigureAwait(false);
            return Leave(node, after, moved, started, "left");
        }, cancellationToken);

    /// <summary>
    /// A node is back after being DOWN: copies to it every arc it holds from the other readable replicas, in case it
    /// restarted empty. Writes reach it meanwhile (it is RECOVERING: written, not read); versions keep the copies from
    /// rolling anything back.
    /// </summary>
    public Task<long> ResyncAsync(string name, CancellationToken cancellationToken) =>
        membership.ChangeAsync(async view =>
        {
            if (!view.Nodes.ContainsKey(name) || !view.Ring.Contains(name))
            {
                return 0L;
            }

            var started = Stopwatch.GetTimestamp();
            var others = view.Nodes.Values.Where(n => n.Name != name && n.IsReadable).ToFrozenDictionary(n => n.Name, StringComparer.Ordinal);
            var moved = await rebalancer.MoveAsync(view.Ring.Remove(name), view.Ring, others, view.Nodes, cancellationToken).ConfigureAwait(false);
            LogChanged("resynchronised", name, moved, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return moved;
        }, cancellationToken);

    // Commits (in the cluster) and publishes a view in which writes reach the owners under both rings, waits for the
    // other gateways to reload it, copies the arcs that change hands from the readable nodes of sources(after) to
    // after's nodes, then commits after, holding the change's lease throughout. When the copy fails, runs onFailure
    // and commits the ring as it was instead. When another gateway took the change over (the lease lapsed), stops
    // and leaves it to that gateway (ABORTED); when the end cannot be committed, the change stays halfway for a
    // takeover. Returns the entries copied and the view committed.
    private async Task<(long Moved, ClusterView After)> MoveWithDualWritesAsync(
        ClusterView before, ClusterView after, Func<ClusterView, IReadOnlyDictionary<string, ClusterNode>> sources,
        Action onFailure, CancellationToken cancellationToken)
    {
        ThrowIfHalfway(before);
        var moving = before with { Nodes = after.Nodes.Count > before.Nodes.Count ? after.Nodes : before.Nodes, PendingRing = after.Ring };
        try
        {
            var config = await configs.ProposeAsync(before, moving, cancellationToken).ConfigureAwait(false);
            moving = moving with { Epoch = config.Epoch };
            membership.Commit(moving, config);
        }
        catch
        {
            onFailure();
            throw;
        }

        await using var lease = configs.Hold(moving);
        using var copying = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Lost);
        long moved;
        try
        {
            if (_settle > TimeSpan.Zero)
            {
                await Task.Delay(_settle, time, copying.Token).ConfigureAwait(false);
            }

            // DOWN and RECOVERING nodes are not read from (a RECOVERING one may be empty); the other replicas of their arcs are.
            var reachable = sources(after).Values.Where(node => node.IsReadable).ToFrozenDictionary(node => node.Name, StringComparer.Ordinal);
            moved = await rebalancer.MoveAsync(before.Ring, after.Ring, reachable, after.Nodes, copying.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var held = await lease.StopAsync().ConfigureAwait(false);
            ThrowIfTakenOver(held);
            try
            {
                await EndAsync(held, before).ConfigureAwait(false);
            }
            catch (RpcException revert)
            {
                ThrowIfTakenOver(held);
                LogNotReverted(revert.Status.Detail);
                throw new RpcException(new Status(revert.StatusCode,
                    $"the copy failed ({(ex as RpcException)?.Status.Detail ?? ex.Message}) and the ring as it was could not be committed ({revert.Status.Detail}); " +
                    $"the change stays halfway until its lease lapses ({ChangeLeaseSetting}), then a gateway takes it over"));
            }

            onFailure();
            if (ex is RpcException rpc)
            {
                throw new RpcException(new Status(rpc.StatusCode, $"{rpc.Status.Detail}; the ring is unchanged"));
            }

            throw;
        }

        var end = await lease.StopAsync().ConfigureAwait(false);
        ThrowIfTakenOver(end);
        try
        {
            return (moved, await EndAsync(end, after).ConfigureAwait(false));
        }
        catch (RpcException ex)
        {
            ThrowIfTakenOver(end);
            LogNotEnded(end.Epoch, ex.Status.Detail);
            throw new RpcException(new Status(ex.StatusCode,
                $"{ex.Status.Detail}; the data is copied but the new ring is not committed: the change stays halfway until its lease lapses " +
                $"({ChangeLeaseSetting}), then this or another gateway takes it over and commits it"));
        }
    }

    // Ends a change that is halfway: commits `to` on the epoch of `moving`, and publishes it. Not cancelled with the
    // request: the copy is done (or given up), and the cluster must not stay halfway.
    private async Task<ClusterView> EndAsync(ClusterView moving, ClusterView to)
    {
        var config = await configs.ProposeAsync(moving, to, CancellationToken.None).ConfigureAwait(false);
        var view = to with { Epoch = config.Epoch };
        membership.Commit(view, config);
        return view;
    }

    // A change this gateway held was claimed by another gateway (its lease lapsed): that gateway finishes it, so
    // nothing here is undone; the caller learns who has it.
    private void ThrowIfTakenOver(ClusterView held)
    {
        if (configs.TakenOver(held) is { } taker)
        {
            RpcErrors.Throw(StatusCode.Aborted, string.Create(CultureInfo.InvariantCulture,
                $"epoch: this gateway's lease on the change (epoch {held.Epoch}) lapsed and gateway '{taker.ChangedBy}' took it over (the cluster is at epoch {taker.Epoch}); it copies the data and commits the change: see GetTopology"));
        }
    }

    // A change starts from a whole configuration, not from one another gateway is halfway through.
    private void ThrowIfHalfway(ClusterView view)
    {
        if (view.PendingRing is not null)
        {
            var config = membership.Config;
            RpcErrors.Throw(StatusCode.FailedPrecondition, string.Create(CultureInfo.InvariantCulture,
                $"epoch: a change by {config?.ChangedBy} is in progress at epoch {view.Epoch}, its lease until {ProtoTime.FromUnixMilliseconds(config?.LeaseUntilUnixMs ?? 0)}; retry when it ends (a change whose gateway is gone is taken over once its lease lapses)"));
        }
    }

    // Retires the node once the ring without it is committed: requests planned on an older view may still reach it. Its
    // hints have nowhere to go: its arcs' new replicas got them by the copy.
    private RebalanceResult Leave(ClusterNode node, ClusterView after, long moved, long started, string change)
    {
        node.Retire();
        hints.Forget(node.Name);
        var result = new RebalanceResult(moved, Stopwatch.GetElapsedTime(started), after);
        LogChanged(change, node.Name, moved, result.Took.TotalMilliseconds);
        return result;
    }

    // The node that is to leave: NOT_FOUND when it is not in the ring, FAILED_PRECONDITION when it is the last one.
    private static ClusterNode FindLeaving(ClusterView view, string name)
    {
        if (!view.Nodes.TryGetValue(name, out var node))
        {
            RpcErrors.Throw(StatusCode.NotFound, $"name: no node '{name}' in the ring");
        }

        if (view.Nodes.Count == 1)
        {
            RpcErrors.Throw(StatusCode.FailedPrecondition, $"name: '{name}' is the last node; the ring cannot be empty");
        }

        return node;
    }

    private static ClusterView Without(ClusterView view, string name) => new(
        view.Ring.Remove(name),
        view.Nodes.Values.Where(n => n.Name != name).ToFrozenDictionary(n => n.Name, StringComparer.Ordinal));

    [LoggerMessage(Level = LogLevel.Error, Message = "A change whose copy failed could not restore the ring it started from ({Reason}); the cluster stays halfway, writing to both rings, until a gateway takes the change over")]
    private partial void LogNotReverted(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "A change whose data is copied could not commit its new ring on epoch {Epoch} ({Reason}); the cluster stays halfway, writing to both rings, until a gateway takes the change over")]
    private partial void LogNotEnded(ulong epoch, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} {Change}: {EntriesMoved} entries copied to new replicas in {TookMs:F0} ms")]
    private partial void LogChanged(string change, string node, long entriesMoved, double tookMs);
}
