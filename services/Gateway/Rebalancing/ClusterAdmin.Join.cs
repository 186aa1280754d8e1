using System.Collections.Frozen;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Health.V1;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Rebalancing;

/// <summary>A node joins the ring.</summary>
public sealed partial class ClusterAdmin
{
    // How long a node that is to join has to answer each admission call.
    private static readonly TimeSpan AdmissionTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A node joins, if it is there: its name and address must be new to the ring (ALREADY_EXISTS), it must answer
    /// a health check SERVING (UNAVAILABLE) and be a cache node (FAILED_PRECONDITION), and not be a node of the ring
    /// under another address (ALREADY_EXISTS). While it receives the arcs it will hold, writes reach both the current
    /// owners and the new ones (dual writes) and reads stay on the current ring; then the ring switches to include it.
    /// Its <paramref name="weight"/> (checked by the caller) scales its virtual nodes, so its share of the keys.
    /// </summary>
    public Task<RebalanceResult> AddNodeAsync(string name, Uri address, int weight, CancellationToken cancellationToken) =>
        membership.ChangeAsync(async before =>
        {
            ThrowIfTaken(before, name, address);
            var started = Stopwatch.GetTimestamp();
            var node = membership.CreateNode(name, address, weight);
            try
            {
                await AdmitAsync(node, before, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                node.Retire();
                throw;
            }

            node.State = MemberState.Joining;
            var nodes = before.Nodes.Values.Append(node).ToFrozenDictionary(n => n.Name, StringComparer.Ordinal);
            var (moved, after) = await MoveWithDualWritesAsync(
                before, new ClusterView(before.Ring.Add(name, weight), nodes), _ => before.Nodes, node.Retire, cancellationToken).ConfigureAwait(false);
            node.State = MemberState.Up;
            var result = new RebalanceResult(moved, Stopwatch.GetElapsedTime(started), after);
            LogChanged("joined", name, moved, result.Took.TotalMilliseconds);
            return result;
        }, cancellationToken);

    private static void ThrowIfTaken(ClusterView view, string name, Uri address)
    {
        if (view.Nodes.ContainsKey(name))
        {
            RpcErrors.Throw(StatusCode.AlreadyExists, $"name: node '{name}' is already in the ring");
        }

        var normalized = NodeRules.Normalize(address);
        foreach (var node in view.Nodes.Values)
        {
            if (NodeRules.Normalize(node.Address) == normalized)
            {
                RpcErrors.Throw(StatusCode.AlreadyExists, $"address: {address} is already the address of node '{node.Name}'");
            }
        }
    }

    // Admits a node that answers health SERVING and CacheNode.GetStats, and whose run is not already on the ring.
    private static async Task AdmitAsync(ClusterNode node, ClusterView view, CancellationToken cancellationToken)
    {
        var where = $"node '{node.Name}' at {node.Address}";
        HealthCheckResponse health;
        try
        {
            health = await node.Health.CheckAsync(
                new HealthCheckRequest(), deadline: DateTime.UtcNow + AdmissionTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable,
                $"address: {where} does not answer its health check ({ex.StatusCode}); a node joins only when it answers SERVING"));
        }

        if (health.Status != HealthCheckResponse.Types.ServingStatus.Serving)
        {
            RpcErrors.Throw(StatusCode.Unavailable, $"address: {where} answers its health check {health.Status}, not SERVING");
        }

        GetStatsResponse stats;
        try
        {
            stats = await node.Client.GetStatsAsync(
                new GetStatsRequest(), deadline: DateTime.UtcNow + AdmissionTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw new RpcException(new Status(
                ex.StatusCode == StatusCode.Unimplemented ? StatusCode.FailedPrecondition : StatusCode.Unavailable,
                $"address: {where} is not a cache node that answers (CacheNode.GetStats: {ex.StatusCode})"));
        }

        if (await MemberRunningAsync(stats.InstanceId, view, cancellationToken).ConfigureAwait(false) is { } twin)
        {
            RpcErrors.Throw(StatusCode.AlreadyExists, $"address: {node.Address} reaches node '{twin}', already in the ring under another address");
        }
    }

    // The member that reports the same run of a node, if any; members that are DOWN or do not answer in time are
    // skipped (their address reaches no node, so the new one is not theirs).
    private static async Task<string?> MemberRunningAsync(string instanceId, ClusterView view, CancellationToken cancellationToken)
    {
        if (instanceId.Length == 0)
        {
            return null;
        }

        var runs = await Task.WhenAll(view.Nodes.Values.Where(member => member.IsReachable).Select(async member =>
        {
            try
            {
                var stats = await member.Client.GetStatsAsync(
                    new GetStatsRequest(), deadline: DateTime.UtcNow + AdmissionTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
                return (member.Name, stats.InstanceId);
            }
            catch (RpcException)
            {
                return (member.Name, InstanceId: string.Empty);
            }
        })).ConfigureAwait(false);
        return runs.FirstOrDefault(run => run.InstanceId == instanceId).Name;
    }
}
