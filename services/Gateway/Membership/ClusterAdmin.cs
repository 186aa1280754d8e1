using System.Collections.Frozen;
using System.Diagnostics;
using Grpc.Core;
using Microservices.Gateway.Replication;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Membership;

/// <summary>Membership changes: a node fails, joins, or leaves gracefully. One at a time.</summary>
public sealed partial class ClusterAdmin(
    ClusterMembership membership, Rebalancer rebalancer, HintStore hints, ILogger<ClusterAdmin> logger)
{
    /// <summary>
    /// The node is gone (the seed's handle_node_failure): it leaves the ring at once, so requests stop going to
    /// it, and the arcs it held are copied from the surviving replicas to their new replicas.
    /// </summary>
    public Task<RebalanceResult> HandleNodeFailureAsync(string name, CancellationToken cancellationToken) =>
        membership.ChangeAsync(async before =>
        {
            var node = Find(before, name);
            var started = Stopwatch.GetTimestamp();
            node.State = MemberState.Down;
            var after = Without(before, name);
            membership.Commit(after);
            var survivors = after.Nodes;
            var moved = await rebalancer.MoveAsync(before.Ring, after.Ring, survivors, survivors, cancellationToken).ConfigureAwait(false);
            node.Dispose();

            // Its hints have nowhere to go: the survivors got its ranges from each other.
            hints.Forget(name);
            var result = new RebalanceResult(moved, Stopwatch.GetElapsedTime(started), after);
            LogChanged("failed", name, moved, result.Took.TotalMilliseconds);
            return result;
        }, cancellationToken);

    /// <summary>
    /// A node joins: while it receives the arcs it will hold, writes reach both the current owners and the new
    /// ones (dual writes) and reads stay on the current ring; then the ring switches to include it.
    /// </summary>
    public Task<RebalanceResult> AddNodeAsync(string name, Uri address, CancellationToken cancellationToken) =>
        membership.ChangeAsync(async before =>
        {
            if (before.Nodes.ContainsKey(name))
            {
                RpcErrors.Throw(StatusCode.AlreadyExists, $"name: node '{name}' is already in the ring");
            }

            var started = Stopwatch.GetTimestamp();
            var node = membership.CreateNode(name, address);
            node.State = MemberState.Joining;
            var nodes = before.Nodes.Values.Append(node).ToFrozenDictionary(n => n.Name, StringComparer.Ordinal);
            var after = new ClusterView(before.Ring.Add(name), nodes);
            var moved = await MoveWithDualWritesAsync(before, after, before.Nodes, nodes, node.Dispose, cancellationToken).ConfigureAwait(false);
            node.State = MemberState.Up;
            membership.Commit(after);
            var result = new RebalanceResult(moved, Stopwatch.GetElapsedTime(started), after);
            LogChanged("joined", name, moved, result.Took.TotalMilliseconds);
            return result;
        }, cancellationToken);

    /// <summary>
    /// A node leaves gracefully: its arcs are handed to their new replicas (writes reach old and new owners
    /// meanwhile), then it leaves the ring.
    /// </summary>
    public Task<RebalanceResult> RemoveNodeAsync(string name, CancellationToken cancellationToken) =>
        membership.ChangeAsync(async before =>
        {
            var node = Find(before, name);
            if (before.Nodes.Count == 1)
            {
                RpcErrors.Throw(StatusCode.FailedPrecondition, $"name: '{name}' is the last node; the ring cannot be empty");
            }

            var started = Stopwatch.GetTimestamp();
            node.State = MemberState.Leaving;
            var after = Without(before, name);
            var moved = await MoveWithDualWritesAsync(before, after, before.Nodes, after.Nodes,
                () => node.State = MemberState.Up, cancellationToken).ConfigureAwait(false);
            membership.Commit(after);
            node.Dispose();
            hints.Forget(name);
            var result = new RebalanceResult(moved, Stopwatch.GetElapsedTime(started), after);
            LogChanged("left", name, moved, result.Took.TotalMilliseconds);
            return result;
        }, cancellationToken);

    // Publishes a view in which writes reach the owners under both rings, copies the arcs that change hands, and
    // restores the view before the change if the copy fails.
    private async Task<long> MoveWithDualWritesAsync(
        ClusterView before, ClusterView after, IReadOnlyDictionary<string, ClusterNode> sources,
        IReadOnlyDictionary<string, ClusterNode> targets, Action onFailure, CancellationToken cancellationToken)
    {
        membership.Publish(before with { Nodes = after.Nodes.Count > before.Nodes.Count ? after.Nodes : before.Nodes, PendingRing = after.Ring });
        try
        {
            // DOWN nodes cannot be read from; the other replicas of their arcs are.
            var reachable = sources.Values.Where(node => node.IsReachable).ToFrozenDictionary(node => node.Name, StringComparer.Ordinal);
            return await rebalancer.MoveAsync(before.Ring, after.Ring, reachable, targets, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            membership.Publish(before);
            onFailure();
            throw;
        }
    }

    /// <summary>
    /// A node is back after being DOWN: copies to it every arc it holds from the other replicas, in case it
    /// restarted empty. Writes reach it meanwhile (it is UP); versions keep the copies from rolling anything back.
    /// </summary>
    public Task<long> ResyncAsync(string name, CancellationToken cancellationToken) =>
        membership.ChangeAsync(async view =>
        {
            if (!view.Nodes.ContainsKey(name) || !view.Ring.Contains(name))
            {
                return 0L;
            }

            var started = Stopwatch.GetTimestamp();
            var others = view.Nodes.Values.Where(n => n.Name != name && n.IsReachable).ToFrozenDictionary(n => n.Name, StringComparer.Ordinal);
            var moved = await rebalancer.MoveAsync(view.Ring.Remove(name), view.Ring, others, view.Nodes, cancellationToken).ConfigureAwait(false);
            LogChanged("resynchronised", name, moved, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return moved;
        }, cancellationToken);

    private static ClusterNode Find(ClusterView view, string name)
    {
        if (!view.Nodes.TryGetValue(name, out var node))
        {
            RpcErrors.Throw(StatusCode.NotFound, $"name: no node '{name}' in the ring");
        }

        return node;
    }

    private static ClusterView Without(ClusterView view, string name) => new(
        view.Ring.Remove(name),
        view.Nodes.Values.Where(n => n.Name != name).ToFrozenDictionary(n => n.Name, StringComparer.Ordinal));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} {Change}: {EntriesMoved} entries copied to new replicas in {TookMs:F0} ms")]
    private partial void LogChanged(string change, string node, long entriesMoved, double tookMs);
}
