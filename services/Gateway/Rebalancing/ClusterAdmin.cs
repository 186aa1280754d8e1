using System.Collections.Frozen;
using System.Diagnostics;
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
    /// A node is back after being DOWN: copies to it every arc it holds from the other readable and RECOVERING replicas, in case it
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
            // The other RECOVERING replicas are read too: when every replica of a range was DOWN and came back, they
            // are its only copies, and without them no replica of it could ever turn UP again. Versions keep what they
            // send from rolling anything back.
            var others = view.Nodes.Values
                .Where(n => n.Name != name && (n.IsReadable || n.State == MemberState.Recovering))
                .ToFrozenDictionary(n => n.Name, StringComparer.Ordinal);
            var moved = await rebalancer.MoveAsync(view.Ring.Remove(name), view.Ring, others, view.Nodes, cancellationToken).ConfigureAwait(false);
            LogChanged("resynchronised", name, moved, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return moved;
        }, cancellationToken);

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} {Change}: {EntriesMoved} entries copied to new replicas in {TookMs:F0} ms")]
    private partial void LogChanged(string change, string node, long entriesMoved, double tookMs);
}
