using Grpc.Core;
using Microservices.RateLimit.V1;
using Microsoft.Extensions.Options;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Gateway.RateLimiting;

/// <summary>Takes one token per request from the tenant's bucket at the rate limiter.</summary>
public sealed partial class TenantRateLimiter(
    RateLimiterClient client, IOptions<RateLimitOptions> options, TimeProvider time, ILogger<TenantRateLimiter> logger)
{
    // While the limiter is down every request fails over; one warning per interval says so without a flood.
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);
    private long _lastWarning = long.MinValue;
    private long _failuresSinceWarning;

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
            WarnAtMostEveryInterval(tenant, ex.StatusCode, open);
            return new RateDecision(open, TimeSpan.Zero, open ? "failed_open" : "failed_closed");
        }
    }

    private void WarnAtMostEveryInterval(string tenant, StatusCode status, bool open)
    {
        var failures = Interlocked.Increment(ref _failuresSinceWarning);
        var now = time.GetTimestamp();
        var last = Volatile.Read(ref _lastWarning);
        if ((last == long.MinValue || time.GetElapsedTime(last, now) >= WarningInterval)
            && Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            Interlocked.Exchange(ref _failuresSinceWarning, 0);
            LogLimiterFailed(tenant, status, open ? "open: requests allowed" : "closed: requests refused", failures);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limiter did not answer for tenant {Tenant} ({Status}); failing {Mode}; {Failures} failures since the last warning")]
    private partial void LogLimiterFailed(string tenant, StatusCode status, string mode, long failures);
}
