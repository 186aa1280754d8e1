using System.Diagnostics.Metrics;
using Grpc.Core;

namespace Microservices.Gateway.RateLimiting;

/// <summary>Metrics of the gateway's rate limiting beyond the decision counts, on the gateway's meter.</summary>
public sealed class RateLimitTelemetry
{
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _leased;

    /// <summary>Creates the instruments.</summary>
    public RateLimitTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(GatewayTelemetry.Name);
        _fallbacks = meter.CreateCounter<long>(
            "gateway.ratelimit.fallbacks", "{request}",
            "Requests the rate limiter did not decide in time, by the status its call ended with (DeadlineExceeded: slow; Unavailable: down); each was decided by RateLimiting:FailureMode.");
        _leased = meter.CreateCounter<long>(
            "gateway.ratelimit.leased_tokens", "{token}",
            "Tokens leased from tenants' buckets in advance; requests that took one are counted as lease_allowed in gateway.ratelimit decisions.");
    }

    /// <summary>Counts tokens granted by one lease.</summary>
    public void RecordLeased(long tokens) => _leased.Add(tokens);

    /// <summary>Counts one request decided without the limiter.</summary>
    public void RecordFallback(StatusCode status) => _fallbacks.Add(1, new KeyValuePair<string, object?>("status", status.ToString()));
}
