using Grpc.Core;
using Microservices.Gateway.RateLimiting;
using Microservices.RateLimit.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Gateway.Tests;

/// <summary>A limiter that is slow or down degrades to the tenant's limit at the gateway, not to no limit.</summary>
public sealed class RateLimitFallbackTests
{
    private const int Capacity = 20;

    [Fact]
    public async Task ASlowLimiterAdmitsNoMoreThanWhatItAnsweredInTimePlusTheLocalBucket()
    {
        // The gateway's clock stands still, so the local bucket holds its capacity and no more.
        var limiter = new SlowLimiter(Capacity);
        var gateway = Limiter(limiter, new FakeTimeProvider());

        var decisions = new List<RateDecision>();
        for (var wave = 0; wave < 10; wave++)
        {
            decisions.AddRange(await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => gateway.AcquireAsync("t", "p", CancellationToken.None))));
        }

        var admitted = decisions.Count(decision => decision.Allowed);
        Assert.True(admitted <= limiter.AdmittedInTime + Capacity, $"{admitted} admitted; the limiter answered {limiter.AdmittedInTime} in time");
        Assert.True(admitted <= 2 * Capacity, $"{admitted} admitted");
        Assert.Contains(decisions, decision => decision.Outcome == "local_denied");
        Assert.DoesNotContain(decisions, decision => decision.Outcome.StartsWith("failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhileThePolicysLimitsAreUnknownALocalDecisionRefuses()
    {
        var gateway = Limiter(new SlowLimiter(Capacity) { AllLate = true }, new FakeTimeProvider(), policies: []);
        var decision = await gateway.AcquireAsync("t", "p", CancellationToken.None);
        Assert.Equal((false, "failed_closed"), (decision.Allowed, decision.Outcome));
        Assert.Contains("limits of policy 'p' are not known yet", decision.Detail);
    }

    [Fact]
    public async Task ALimiterThatIsDownDegradesToTheTenantsLimitWithATrailerSayingSo()
    {
        using var cluster = new GatewayCluster();
        await WaitForLimitsAsync(cluster, "tight");
        cluster.LimiterLink.Down = true;
        var cache = cluster.Cache(GatewayCluster.TightKey); // 3 tokens, refilling 0.01 per second

        var first = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => CallAsync(cache, $"k{i}")));
        Assert.Equal(3, first.Count(call => call.Status == StatusCode.OK));
        Assert.Equal(17, first.Count(call => call.Status == StatusCode.ResourceExhausted));
        Assert.All(first, call => Assert.Equal("local", call.Decision));

        // 100 s at 0.01 tokens per second: one more.
        cluster.Time.Advance(TimeSpan.FromSeconds(100));
        var second = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => CallAsync(cache, $"k{i}")));
        Assert.Equal(1, second.Count(call => call.Status == StatusCode.OK));
    }

    [Fact]
    public async Task ALimiterSlowerThanTheDeadlineStillLimitsTheTenant()
    {
        using var cluster = new GatewayCluster(settings: new() { ["RateLimiting:Timeout"] = "00:00:00.050" });
        await WaitForLimitsAsync(cluster, "tight");
        cluster.LimiterLink.Delay = TimeSpan.FromMilliseconds(300);
        var cache = cluster.Cache(GatewayCluster.TightKey);

        var calls = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => CallAsync(cache, $"k{i}")));
        Assert.Equal(3, calls.Count(call => call.Status == StatusCode.OK));
        Assert.Equal(57, calls.Count(call => call.Status == StatusCode.ResourceExhausted));
    }

    [Fact]
    public async Task ALimiterThatAnswersInTimeDecidesAloneWithoutTheTrailer()
    {
        using var cluster = new GatewayCluster();
        var call = await CallAsync(cluster.Cache(GatewayCluster.AlphaKey), "k");
        Assert.Equal((StatusCode.OK, (string?)null), (call.Status, call.Decision));
    }

    [Theory]
    [InlineData(false, 1L, -1)]
    [InlineData(false, -1L, 0)]
    [InlineData(false, 315_576_000_001L, 0)]
    [InlineData(true, 0L, 0)]
    public async Task ADenialWhoseRetryAfterIsNotAValidWaitTellsTheCallerToWaitOneSecond(bool unset, long seconds, int nanos)
    {
        var retryAfter = unset ? null : new Google.Protobuf.WellKnownTypes.Duration { Seconds = seconds, Nanos = nanos };
        var gateway = Limiter(new DenyingLimiter(retryAfter), new FakeTimeProvider());

        var decision = await gateway.AcquireAsync("t", "p", CancellationToken.None);

        Assert.Equal((false, "denied", TimeSpan.FromSeconds(1)), (decision.Allowed, decision.Outcome, decision.RetryAfter));
    }

    private static TenantRateLimiter Limiter(RateLimiterClient client, TimeProvider time, Dictionary<string, LocalPolicyOptions>? policies = null)
    {
        var options = Options.Create(new RateLimitOptions
        {
            Timeout = TimeSpan.FromMilliseconds(50),
            Policies = policies ?? new() { ["p"] = new LocalPolicyOptions { Capacity = Capacity, RefillPerSecond = 1 } },
        });
        var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        return new TenantRateLimiter(
            client, new PolicyLimits(options), new RateLimitTelemetry(metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
            options, time, NullLogger<TenantRateLimiter>.Instance);
    }

    private static async Task WaitForLimitsAsync(GatewayCluster cluster, string policy)
    {
        var limits = cluster.GatewayServices.GetRequiredService<PolicyLimits>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (limits.Find(policy) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the limits of {policy} were not read in 10 s");
            await Task.Delay(10);
        }
    }

    private static async Task<(StatusCode Status, string? Decision)> CallAsync(V1.Cache.CacheClient cache, string key)
    {
        using var call = cache.GetAsync(new V1.GetRequest { Key = key });
        try
        {
            await call.ResponseAsync;
            return (StatusCode.OK, call.GetTrailers().GetValue("x-ratelimit-decision"));
        }
        catch (RpcException ex)
        {
            return (ex.StatusCode, ex.Trailers.GetValue("x-ratelimit-decision"));
        }
    }

    /// <summary>
    /// An exact limiter of <c>capacity</c> tokens that never refills and is busy: every other call decides (takes its
    /// tokens) but answers after the caller's deadline, as a limiter that is up but slow does.
    /// </summary>
    private sealed class SlowLimiter(long capacity) : RateLimiterClient
    {
        private readonly Lock _gate = new();
        private long _tokens = capacity;
        private int _calls;
        private int _admittedInTime;

        public bool AllLate { get; init; }

        public int AdmittedInTime => Volatile.Read(ref _admittedInTime);

        public override AsyncUnaryCall<AcquireResponse> AcquireAsync(AcquireRequest request, CallOptions options) =>
            Call(Answer(1, options), allowed => Response(allowed[0]));

        public override AsyncUnaryCall<AcquireBatchResponse> AcquireBatchAsync(AcquireBatchRequest request, CallOptions options) =>
            Call(Answer(request.Requests.Count, options), allowed => new AcquireBatchResponse
            {
                Results = { allowed.Select(ok => new AcquireBatchResult { Response = Response(ok) }) },
            });

        private static AcquireResponse Response(bool allowed) => new()
        {
            Allowed = allowed,
            RetryAfter = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(allowed ? TimeSpan.Zero : TimeSpan.FromSeconds(1)),
        };

        private static AsyncUnaryCall<T> Call<T>(Task<bool[]> answer, Func<bool[], T> reply)
        {
            return new(Map(), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });

            async Task<T> Map() => reply(await answer);
        }

        private async Task<bool[]> Answer(int items, CallOptions options)
        {
            var allowed = new bool[items];
            lock (_gate)
            {
                for (var i = 0; i < items; i++)
                {
                    allowed[i] = _tokens > 0;
                    _tokens -= allowed[i] ? 1 : 0;
                }
            }

            if (AllLate || Interlocked.Increment(ref _calls) % 2 == 0)
            {
                await Task.Delay(options.Deadline!.Value - DateTime.UtcNow is { Ticks: > 0 } left ? left : TimeSpan.Zero);
                throw new RpcException(new Status(StatusCode.DeadlineExceeded, "slow limiter (test)"));
            }

            Interlocked.Add(ref _admittedInTime, allowed.Count(ok => ok));
            return allowed;
        }
    }

    /// <summary>A limiter that denies every request, with the given <c>retry_after</c> (which may be unset or invalid).</summary>
    private sealed class DenyingLimiter(Google.Protobuf.WellKnownTypes.Duration? retryAfter) : RateLimiterClient
    {
        public override AsyncUnaryCall<AcquireResponse> AcquireAsync(AcquireRequest request, CallOptions options) =>
            Reply(Response());

        public override AsyncUnaryCall<AcquireBatchResponse> AcquireBatchAsync(AcquireBatchRequest request, CallOptions options) =>
            Reply(new AcquireBatchResponse { Results = { request.Requests.Select(_ => new AcquireBatchResult { Response = Response() }) } });

        private AcquireResponse Response() => new() { Allowed = false, RetryAfter = retryAfter };

        private static AsyncUnaryCall<T> Reply<T>(T reply) =>
            new(Task.FromResult(reply), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
    }
}
