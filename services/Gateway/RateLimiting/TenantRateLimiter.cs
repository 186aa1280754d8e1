using System.Collections.Concurrent;
using Grpc.Core;
using Microservices.Gateway.Batching;
using Microservices.RateLimit.V1;
using Microsoft.Extensions.Options;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Gateway.RateLimiting;

/// <summary>
/// Takes one token per request from the tenant's bucket at the rate limiter. Concurrent requests of a tenant are
/// coalesced: one call per tenant is in flight at a time, and the requests that arrive meanwhile go together in
/// the next one (AcquireBatch, decided in order, so the limit stays exact). A lone request is sent at once.
/// </summary>
public sealed partial class TenantRateLimiter(
    RateLimiterClient client, IOptions<RateLimitOptions> options, TimeProvider time, ILogger<TenantRateLimiter> logger)
{
    // While the limiter is down every request fails over; one warning per interval says so without a flood.
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);
    private const int MaxBatch = 1000;

    private readonly ConcurrentDictionary<(string Tenant, string Policy), Coalescer<bool, RateDecision>> _queues = new();
    private long _lastWarning = long.MinValue;
    private long _failuresSinceWarning;

    /// <summary>Decides one request of <paramref name="tenant"/> under its <paramref name="policy"/>.</summary>
    public Task<RateDecision> AcquireAsync(string tenant, string policy, CancellationToken cancellationToken)
    {
        var queue = _queues.GetOrAdd((tenant, policy), static (key, self) =>
            new Coalescer<bool, RateDecision>(batch => self.DecideAsync(batch, key.Tenant, key.Policy), MaxBatch), this);

        // A caller that goes away leaves its token taken, as a completed request would.
        return queue.EnqueueAsync(true, cancellationToken);
    }

    private async Task DecideAsync(CoalescedBatch<bool, RateDecision> batch, string tenant, string policy)
    {
        var settings = options.Value;
        var request = new AcquireRequest { Key = $"tenant:{tenant}", Tokens = 1, Policy = policy };
        var deadline = batch.DeadlineWithin(settings.Timeout);
        try
        {
            if (batch.Count == 1)
            {
                batch.Complete(0, Decision(await client.AcquireAsync(request, deadline: deadline).ConfigureAwait(false)));
                return;
            }

            var many = new AcquireBatchRequest();
            for (var i = 0; i < batch.Count; i++)
            {
                many.Requests.Add(request);
            }

            var reply = await client.AcquireBatchAsync(many, deadline: deadline).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                var result = reply.Results[i];
                batch.Complete(i, result.OutcomeCase == AcquireBatchResult.OutcomeOneofCase.Response
                    ? Decision(result.Response)
                    : Failed(tenant, (StatusCode)result.Error.Code));
            }
        }
        catch (RpcException ex)
        {
            var failed = Failed(tenant, ex.StatusCode);
            for (var i = 0; i < batch.Count; i++)
            {
                batch.Complete(i, failed);
            }
        }
    }

    private static RateDecision Decision(AcquireResponse reply) => reply.Allowed
        ? new RateDecision(true, TimeSpan.Zero, "allowed")
        : new RateDecision(false, reply.RetryAfter.ToTimeSpan(), "denied");

    private RateDecision Failed(string tenant, StatusCode status)
    {
        var open = options.Value.FailureMode == FailureMode.Open;
        WarnAtMostEveryInterval(tenant, status, open);
        return new RateDecision(open, TimeSpan.Zero, open ? "failed_open" : "failed_closed");
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
