using System.Diagnostics;
using Grpc.Core;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Rebalancing;

/// <summary>A node's weight changes.</summary>
public sealed partial class ClusterAdmin
{
    /// <summary>
    /// Sets the weight of node <paramref name="name"/> (checked by the caller): its virtual nodes become
    /// <c>Gateway:VirtualNodes</c> times <paramref name="weight"/>. A node keeps its positions as its weight grows and
    /// gains new ones (or gives up its last ones as it shrinks), so only the arcs that change owner move, copied as
    /// for AddNode: writes reach the owners under both rings meanwhile, and the new ring is committed (and kept)
    /// only when every copy has landed; a copy that fails leaves the ring as it was. The same weight is a change that
    /// moves nothing. NOT_FOUND when the node is not in the ring.
    /// </summary>
    public Task<RebalanceResult> SetNodeWeightAsync(string name, int weight, CancellationToken cancellationToken) =>
        membership.ChangeAsync(async before =>
        {
            if (!before.Nodes.TryGetValue(name, out var node))
            {
                RpcErrors.Throw(StatusCode.NotFound, $"name: no node '{name}' in the ring");
            }

            var started = Stopwatch.GetTimestamp();
            var was = before.Ring.WeightOf(name);
            if (was == weight)
            {
                return new RebalanceResult(0, Stopwatch.GetElapsedTime(started), before);
            }

            var (moved, after) = await MoveWithDualWritesAsync(
                before, before with { Ring = before.Ring.WithWeight(name, weight) }, _ => before.Nodes, static () => { }, cancellationToken).ConfigureAwait(false);
            node.Weight = weight;
            var result = new RebalanceResult(moved, Stopwatch.GetElapsedTime(started), after);
            LogWeightChanged(name, was, weight, moved, result.Took.TotalMilliseconds);
            return result;
        }, cancellationToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} weight {Was} -> {Weight}: {EntriesMoved} entries copied to new replicas in {TookMs:F0} ms")]
    private partial void LogWeightChanged(string node, int was, int weight, long entriesMoved, double tookMs);
}
