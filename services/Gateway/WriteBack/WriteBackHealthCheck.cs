using System.Globalization;
using Microservices.Gateway.Origin;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microservices.Gateway.WriteBack;

/// <summary>
/// Degraded while the oldest write not yet in the origin is older than <see cref="WriteBackOptions.LagThreshold"/>
/// (the origin is down or slower than the writes): the gateway still serves, but the origin falls behind and a
/// full log will refuse writes. Healthy otherwise, and under another write policy.
/// </summary>
public sealed class WriteBackHealthCheck(OriginAccess origin, WriteBackLog log) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!origin.WritesBack)
        {
            return Task.FromResult(HealthCheckResult.Healthy("write-back off"));
        }

        var lag = log.Lag;
        var threshold = origin.Options.WriteBack.LagThreshold;
        var description = string.Create(CultureInfo.InvariantCulture,
            $"{log.Depth} writes ({log.Bytes} bytes) not yet in the origin; flush lag {lag.TotalSeconds:0.0} s, threshold {threshold.TotalSeconds:0.0} s");
        var data = new Dictionary<string, object> { ["depth"] = log.Depth, ["lag_seconds"] = lag.TotalSeconds };
        return Task.FromResult(lag > threshold ? HealthCheckResult.Degraded(description, data: data) : HealthCheckResult.Healthy(description, data));
    }
}
