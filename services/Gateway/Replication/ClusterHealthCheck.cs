using Microservices.Gateway.Membership;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microservices.Gateway.Replication;

/// <summary>
/// The gateway's health is the cluster's: Healthy while every node on the ring is UP, Degraded while fewer than N
/// are reachable or some are SUSPECT or DOWN, Unhealthy when fewer than a write quorum are reachable (QUORUM writes
/// fail). grpc.health.v1 answers NOT_SERVING only when Unhealthy, and the AppHost's dashboard shows the state.
/// </summary>
public sealed class ClusterHealthCheck(ClusterMembership membership) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var nodes = membership.View.Nodes.Values.ToList();
        var reachable = nodes.Count(node => node.IsReachable);
        var up = nodes.Count(node => node.State == MemberState.Up);
        var n = membership.View.ReplicaCount(membership.ReplicationFactor);
        var quorum = Consistency.Required(ConsistencyLevel.Quorum, n);
        var data = nodes.ToDictionary(node => node.Name, node => (object)node.State.ToString(), StringComparer.Ordinal);
        var description = $"{up} of {nodes.Count} nodes up, {reachable} reachable; N = {n}, write quorum = {quorum}";
        var result = reachable < quorum ? HealthCheckResult.Unhealthy(description, data: data)
            : reachable < n || up < nodes.Count ? HealthCheckResult.Degraded(description, data: data)
            : HealthCheckResult.Healthy(description, data);
        return Task.FromResult(result);
    }
}
