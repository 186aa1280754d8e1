using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microservices.Gateway.Replication;

/// <summary>
/// Unhealthy while this gateway refuses to stamp writes because its clock is too far from the cache nodes'
/// (<see cref="ClockOffsetMonitor"/>), so grpc.health.v1 answers NOT_SERVING and a load balancer sends clients to
/// another gateway; Healthy otherwise, with the last measured offset.
/// </summary>
public sealed class ClockHealthCheck(HybridLogicalClock clock) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var offset = clock.Offset;
        var data = new Dictionary<string, object> { ["offset_ms"] = offset.OffsetMs, ["measured"] = offset.Measured };
        return Task.FromResult(offset.Beyond
            ? HealthCheckResult.Unhealthy($"{offset.Describe()}: writes refused", data: data)
            : HealthCheckResult.Healthy(offset.Describe(), data));
    }
}
