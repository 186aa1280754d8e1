using Grpc.Health.V1;

namespace Microservices.Gateway.Membership;

/// <summary>
/// Probes SUSPECT and DOWN nodes with grpc.health.v1 when their backoff allows (checked every 250 ms), and tells
/// the failure detector what it saw. Errors are reported, never thrown.
/// </summary>
public sealed class NodeProber(ClusterMembership membership, FailureDetector detector, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await ProbeDueNodesAsync(stoppingToken);
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: a call cut short may end with its own error (gRPC: CANCELLED), not an OperationCanceledException.
        }
    }

    /// <summary>Probes every node whose probe is due, in parallel.</summary>
    public Task ProbeDueNodesAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(membership.View.Nodes.Values.Where(detector.ProbeDue).Select(node => ProbeAsync(node, cancellationToken)));

    private async Task ProbeAsync(ClusterNode node, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await node.Health.CheckAsync(
                new HealthCheckRequest(), deadline: DateTime.UtcNow + ProbeTimeout, cancellationToken: cancellationToken);
            detector.Probed(node, reply.Status == HealthCheckResponse.Types.ServingStatus.Serving, $"health probe: {reply.Status}");
        }
        catch (Exception ex)
        {
            // A probe in flight while the gateway stops ends as CANCELLED or DEADLINE_EXCEEDED: it says nothing of the
            // node, and must not leave ExecuteAsync (that would stop the host as a crash).
            if (!cancellationToken.IsCancellationRequested)
            {
                detector.Probed(node, serving: false, $"health probe failed: {ex.GetType().Name}");
            }
        }
    }
}
