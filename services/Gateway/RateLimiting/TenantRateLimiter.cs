using System.Collections.Concurrent;
using Grpc.Core;
using Microservices.Gateway.Batching;
using Microservices.RateLimit.V1;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.Options;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Gateway.RateLimiting;

/// <summary>
/// Takes one token per request from the tenant's bucket at the rate limiter. Most requests take a token this
/// gateway leased in advance (<see cref="LeasedTokens"/>) and make no call. The others (no token held: a new or
/// quiet tenant, a lease still on its way) go to the limiter, coalesced: one call per tenant is in flight at a
/// time, and the requests that arrive meanwhile go together in the next one (AcquireBatch, decided in order, so
/// the limit stays exact). A lone request is sent at once.
/// A request the limiter does not decide within <see cref="RateLimitOptions.Timeout"/> of queuing (slow, down,
/// or an error for its item) is decided by <see cref="RateLimitOptions.FailureMode"/>: by default by the tenant's
/// <see cref="LocalBucket"/>, which every request the limiter admits is charged to as well.
/// </summary>
public sealed partial class TenantRateLimiter(
    RateLimiterClient client, PolicyLimits limits, RateLimitTelemetry telemetry, IOptions<RateLimitOptions> options, TimeProvider time,
    ILogger<TenantRateLimiter> logger)
{
    // While the limiter is down every request falls back; one warning per interval says so without a flood.
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);
    private const int MaxBatch = 1000;
    private static readonly Task<RateDecision> LeaseAllowed = Task.FromResult(new RateDecision(true, TimeSpan.Zero, "lease_allowed"));

    private readonly ConcurrentDictionary<(string Tenant, string Policy), TenantState> _tenants = new();
    private readonly PolicyLimits _limits = limits;
    private readonly TimeSpan _leaseLifetime = options.Value.LeaseLifetime;
    private readonly TimeProvider _time = time;
    private long _lastWarning = long.MinValue;
    private long _failuresSinceWarning;

    /// <summary>Decides one request of <paramref name="tenant"/> under its <paramref name="policy"/>.</summary>
    public Task<RateDecision> AcquireAsync(string tenant, string policy, CancellationToken cancellationToken)
    {
        var state = _tenants.GetOrAdd((tenant, policy), static (key, self) => new TenantState(self, key.Tenant, key.Policy), this);
        if (state.Leased is { } leased)
        {
            var take = leased.TryTake(out var refill, out var retryAfter);
            if (refill)
            {
                state.Leasing = LeaseAsync(state, leased);
            }

            if (take == LeasedTokens.Take.Taken)
            {
                return LeaseAllowed;
            }

            if (take == LeasedTokens.Take.Empty)
            {
                return Task.FromResult(new RateDecision(false, retryAfter, "lease_denied"));
            }
        }

        // A caller that goes away leaves its token taken, as a completed request would.
        return state.Queue.EnqueueAsync(true, cancellationToken);
    }

    /// <summary>Tokens held for <paramref name="tenant"/> under <paramref name="policy"/> now (for tests).</summary>
    internal long HeldTokens(string tenant, string policy) =>
        _tenants.TryGetValue((tenant, policy), out var state) && state.Leased is { } leased ? leased.Held : 0;

    /// <summary>Completes when every lease asked for so far has been answered or has failed (for tests).</summary>
    internal Task LeasesLandedAsync() => Task.WhenAll(_tenants.Values.Select(state => state.Leasing));

    // Leases the tenant's next tokens in the background. Granted tokens are charged to the local bucket as the
    // limiter's admissions are, so a fallback after the limiter goes down starts from what was used.
    private async Task LeaseAsync(TenantState state, LeasedTokens leased)
    {
        var request = new LeaseRequest { Key = state.Key, Tokens = (uint)leased.NextSize(), Policy = state.Policy };
        var answered = false;
        try
        {
            var reply = await client.LeaseAsync(request, deadline: DateTime.UtcNow + options.Value.Timeout).ConfigureAwait(false);
            var granted = (long)Math.Min(reply.Granted, int.MaxValue);
            state.Charge((int)granted);
            leased.Granted(granted, (long)Math.Min(reply.Capacity, long.MaxValue), Wait(reply.RetryAfter, TimeSpan.Zero));
            telemetry.RecordLeased(granted);
            answered = true;
        }
        catch (RpcException)
        {
            // Requests without a held token go to the limiter one call at a time, and fall back as configured.
        }
        finally
        {
            if (!answered)
            {
                leased.Failed();
            }
        }
    }

    private async Task DecideAsync(CoalescedBatch<bool, RateDecision> batch, TenantState state)
    {
        var request = new AcquireRequest { Key = state.Key, Tokens = 1, Policy = state.Policy };
        var deadline = batch.DeadlineWithin(options.Value.Timeout);
        try
        {
            if (batch.Count == 1)
            {
                var response = await client.AcquireAsync(request, deadline: deadline).ConfigureAwait(false);
                var decision = Decision(response, state);
                state.Charge(response.Allowed ? 1 : 0);
                batch.Complete(0, decision);
                return;
            }

            var many = new AcquireBatchRequest();
            for (var i = 0; i < batch.Count; i++)
            {
                many.Requests.Add(request);
            }

            var reply = await client.AcquireBatchAsync(many, deadline: deadline).ConfigureAwait(false);
            var allowed = 0;
            for (var i = 0; i < batch.Count; i++)
            {
                if (reply.Results[i].OutcomeCase == AcquireBatchResult.OutcomeOneofCase.Response && reply.Results[i].Response.Allowed)
                {
                    allowed++;
                }
            }

            // Charged before the local decisions of this batch's failed items, as the limiter took them first.
            state.Charge(allowed);
            for (var i = 0; i < batch.Count; i++)
            {
                var result = reply.Results[i];
                batch.Complete(i, result.OutcomeCase == AcquireBatchResult.OutcomeOneofCase.Response
                    ? Decision(result.Response, state)
                    : Fallback(state, (StatusCode)result.Error.Code));
            }
        }
        catch (RpcException ex)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                batch.Complete(i, Fallback(state, ex.StatusCode));
            }
        }
    }

    // The limiter's answer also tells the bucket's capacity, which leasing starts from. A request the limiter
    // denied while this gateway holds leased tokens takes one of them: a denial only when the bucket and this
    // gateway's lease are both empty.
    private static RateDecision Decision(AcquireResponse reply, TenantState state)
    {
        state.Leased?.Capacity((long)Math.Min(reply.Capacity, long.MaxValue));
        return reply.Allowed
            ? new RateDecision(true, TimeSpan.Zero, "allowed")
            : state.Leased?.TryTakeHeld() == true ? new RateDecision(true, TimeSpan.Zero, "lease_allowed")
            : new RateDecision(false, Wait(reply.RetryAfter, TimeSpan.FromSeconds(1)), "denied");
    }

    // The limiter's retry_after is checked as any received Duration is: one it did not set, or not a valid
    // Duration, becomes `otherwise` rather than an exception.
    private static TimeSpan Wait(Google.Protobuf.WellKnownTypes.Duration? wait, TimeSpan otherwise) =>
        wait is not null && ProtoTime.TryToTimeSpan(wait, "retry_after", out var retryAfter) is null && retryAfter >= TimeSpan.Zero
            ? retryAfter
            : otherwise;

    // A request the limiter did not decide: by the local bucket, or open, or closed, as configured.
    private RateDecision Fallback(TenantState state, StatusCode status)
    {
        var mode = options.Value.FailureMode;
        telemetry.RecordFallback(status);
        WarnAtMostEveryInterval(state.Tenant, status, mode);
        if (mode == FailureMode.Open)
        {
            return new RateDecision(true, TimeSpan.Zero, "failed_open");
        }

        if (mode == FailureMode.Closed)
        {
            return new RateDecision(false, TimeSpan.Zero, "failed_closed",
                "the rate limiter did not answer and the gateway fails closed (RateLimiting:FailureMode)");
        }

        if (state.Bucket() is not { } bucket)
        {
            return new RateDecision(false, TimeSpan.Zero, "failed_closed",
                $"the rate limiter did not answer and the limits of policy '{state.Policy}' are not known yet (RateLimiting:Policies)");
        }

        return bucket.Bucket.TryTake(bucket.Limit, out var retryAfter)
            ? new RateDecision(true, TimeSpan.Zero, "local_allowed")
            : new RateDecision(false, retryAfter, "local_denied");
    }

    private void WarnAtMostEveryInterval(string tenant, StatusCode status, FailureMode mode)
    {
        var failures = Interlocked.Increment(ref _failuresSinceWarning);
        var now = _time.GetTimestamp();
        var last = Volatile.Read(ref _lastWarning);
        if ((last == long.MinValue || _time.GetElapsedTime(last, now) >= WarningInterval)
            && Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            Interlocked.Exchange(ref _failuresSinceWarning, 0);
            LogLimiterFailed(tenant, status, mode switch
            {
                FailureMode.Local => "deciding with the local bucket",
                FailureMode.Closed => "failing closed: requests refused",
                _ => "failing open: requests allowed",
            }, failures);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limiter did not answer for tenant {Tenant} ({Status}); {Mode}; {Failures} failures since the last warning")]
    private partial void LogLimiterFailed(string tenant, StatusCode status, string mode, long failures);

    /// <summary>A tenant's queue of requests for the limiter, and its local bucket once its policy's limit is known.</summary>
    private sealed class TenantState
    {
        private readonly PolicyLimits _limits;
        private readonly TimeProvider _time;
        private LocalBucket? _bucket;

        public TenantState(TenantRateLimiter owner, string tenant, string policy)
        {
            _limits = owner._limits;
            _time = owner._time;
            Tenant = tenant;
            Policy = policy;
            Key = $"tenant:{tenant}";
            Queue = new(batch => owner.DecideAsync(batch, this), MaxBatch);
            var lifetime = owner._leaseLifetime;
            Leased = lifetime > TimeSpan.Zero ? new LeasedTokens(_time, lifetime) : null;
        }

        public string Tenant { get; }

        /// <summary>The tenant's bucket key at the limiter.</summary>
        public string Key { get; }

        /// <summary>Tokens leased in advance; null when leasing is off (RateLimiting:LeaseLifetime 0).</summary>
        public LeasedTokens? Leased { get; }

        /// <summary>The last lease call (one at a time per tenant).</summary>
        public Task Leasing { get; set; } = Task.CompletedTask;

        public string Policy { get; }

        public Coalescer<bool, RateDecision> Queue { get; }

        /// <summary>The local bucket with the policy's current limit; null while the limit is unknown.</summary>
        public (LocalBucket Bucket, PolicyLimit Limit)? Bucket()
        {
            if (_limits.Find(Policy) is not { } limit)
            {
                return null;
            }

            if (Volatile.Read(ref _bucket) is not { } bucket)
            {
                Interlocked.CompareExchange(ref _bucket, new LocalBucket(_time, limit), null);
                bucket = _bucket!;
            }

            return (bucket, limit);
        }

        /// <summary>Charges the local bucket with requests the limiter admitted.</summary>
        public void Charge(int admitted)
        {
            if (admitted > 0 && Bucket() is { } bucket)
            {
                bucket.Bucket.Charge(bucket.Limit, admitted);
            }
        }
    }
}
