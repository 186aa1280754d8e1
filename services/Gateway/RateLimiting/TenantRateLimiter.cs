using Grpc.Core;
using Microservices.RateLimit.V1;
using Microsoft.Extensions.Options;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Gateway.RateLimiting;

/// <summary>Takes one token per request from the tenant's bucket at the rate limiter.</summary>
public sealed partial class TenantRateLimiter(
    RateLimiterClient client, IOptions<RateLimitOptions> options, ILogger<TenantRateLimiter> logger)
{
    /// <summary>Decides one request of <paramref name="tenant"/> under its <paramref name="policy"/>.</summary>
    public async Task<RateDecision> AcquireAsync(string tenant, string policy, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        try
        {
            var reply = await client.AcquireAsync(
                new AcquireRequest { Key = $"tenant:{tenant}", Tokens = 1, Policy = policy },
                deadline: DateTime.UtcNow + settings.Timeout,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return reply.Allowed
                ? new RateDecision(true, TimeSpan.Zero, "allowed")
                : new RateDecision(false, reply.RetryAfter.ToTimeSpan(), "denied");
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var open = settings.FailureMode == FailureMode.Open;
            LogLimiterFailed(tenant, ex.StatusCode, open ? "open: request allowed" : "closed: request refused");
            return new RateDecision(open, TimeSpan.Zero, open ? "failed_open" : "failed_closed");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limiter did not answer for tenant {Tenant} ({Status}); failing {Mode}")]
    private partial void LogLimiterFailed(string tenant, StatusCode status, string mode);
}
