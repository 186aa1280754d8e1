extern alias ratelimiter;

using Grpc.Net.Client;
using Microservices.Gateway.RateLimiting;
using Microservices.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Gateway.Tests;

/// <summary>
/// Gateways lease tokens from the limiter in advance, so most requests make no limiter call, and all of them
/// together still admit no more than the tenant's bucket grants.
/// </summary>
public sealed class RateLimitLeaseTests : IDisposable
{
    private const long Capacity = 100;
    private const double RefillPerSecond = 100;

    private readonly GrpcServiceApp<ratelimiter::Program> _limiter = new(new()
    {
        ["RateLimiter:Policies:p:Capacity"] = Capacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimiter:Policies:p:RefillPerSecond"] = RefillPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    private int _limiterCalls;

    [Fact]
    public async Task TwoGatewaysUnderLoadNeverAdmitMoreThanTheBucketGrantsTogether()
    {
        // The limiter's clock is the gateways' clock: the bucket refills only as the test advances it.
        var first = Gateway(_limiter.Time);
        var second = Gateway(_limiter.Time);
        var decisions = new List<RateDecision>();
        var elapsed = TimeSpan.Zero;
        // 16 requests each 100 ms is 160 a second against a refill of 100: the bucket runs dry and stays so.
        for (var step = 0; step < 40; step++)
        {
            decisions.AddRange(await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
                (i % 2 == 0 ? first : second).AcquireAsync("t", "p", CancellationToken.None))));
            await Task.WhenAll(first.LeasesLandedAsync(), second.LeasesLandedAsync());
            _limiter.Time.Advance(TimeSpan.FromMilliseconds(100));
            elapsed += TimeSpan.FromMilliseconds(100);
        }

        var admitted = decisions.Count(decision => decision.Allowed);
        var bound = Capacity + (RefillPerSecond * elapsed.TotalSeconds);
        Assert.True(admitted <= bound, $"{admitted} admitted; the bucket grants at most {bound}");
        Assert.Contains(decisions, decision => decision.Outcome == "lease_allowed");
        Assert.DoesNotContain(decisions, decision => decision.Local);
    }

    [Fact]
    public async Task MostRequestsTakeALeasedTokenWithoutCallingTheLimiter()
    {
        var gateway = Gateway(TimeProvider.System);
        var decisions = new List<RateDecision>();
        for (var i = 0; i < 60; i++)
        {
            decisions.Add(await gateway.AcquireAsync("t", "p", CancellationToken.None));
            await gateway.LeasesLandedAsync();
        }

        // The first request asks the limiter and starts the first lease; after that a request needs a call
        // only when a lease has run out.
        Assert.All(decisions, decision => Assert.True(decision.Allowed));
        Assert.True(decisions.Count(decision => decision.Outcome == "lease_allowed") >= 50, string.Join(", ", decisions.Select(d => d.Outcome)));
        Assert.True(_limiterCalls <= 20, $"{_limiterCalls} limiter calls for 60 requests");
    }

    [Fact]
    public async Task WithLeasingOffEveryRequestAsksTheLimiter()
    {
        var gateway = Gateway(TimeProvider.System, TimeSpan.Zero);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("allowed", (await gateway.AcquireAsync("t", "p", CancellationToken.None)).Outcome);
        }

        Assert.Equal(10, _limiterCalls);
    }

    [Fact]
    public async Task WithTheLimiterDownHeldTokensAreUsedThenTheLocalBucketDecides()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var link = new GatewayCluster.SwitchableHandler(_limiter.Server.CreateHandler());
        var gateway = Gateway(time, handler: link);
        for (var i = 0; i < 30; i++)
        {
            await gateway.AcquireAsync("t", "p", CancellationToken.None);
            await gateway.LeasesLandedAsync();
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        var held = gateway.HeldTokens("t", "p");
        Assert.True(held > 0, "no tokens held");
        link.Down = true;
        var decisions = new List<RateDecision>();
        for (var i = 0; i < held + 5; i++)
        {
            decisions.Add(await gateway.AcquireAsync("t", "p", CancellationToken.None));
        }

        Assert.All(decisions.Take((int)held), decision => Assert.Equal("lease_allowed", decision.Outcome));
        Assert.All(decisions.Skip((int)held), decision => Assert.True(decision.Local, decision.Outcome));
    }

    [Fact]
    public async Task LeasedTokensNotUsedWithinTheLifetimeAreDropped()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var gateway = Gateway(time);
        for (var i = 0; i < 30; i++)
        {
            await gateway.AcquireAsync("t", "p", CancellationToken.None);
            await gateway.LeasesLandedAsync();
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.True(gateway.HeldTokens("t", "p") > 0);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, gateway.HeldTokens("t", "p"));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(11)]
    public void ALeaseLifetimeOutsideZeroToTenSecondsIsRefusedAtStartNamingTheField(int seconds)
    {
        var result = new RateLimitOptionsValidator().Validate(null, new RateLimitOptions { LeaseLifetime = TimeSpan.FromSeconds(seconds) });
        Assert.True(result.Failed);
        Assert.Contains("LeaseLifetime", result.FailureMessage, StringComparison.Ordinal);
    }

    public void Dispose() => _limiter.Dispose();

    private TenantRateLimiter Gateway(TimeProvider time, TimeSpan? leaseLifetime = null, HttpMessageHandler? handler = null)
    {
        var options = Options.Create(new RateLimitOptions
        {
            Timeout = TimeSpan.FromSeconds(5),
            LeaseLifetime = leaseLifetime ?? TimeSpan.FromSeconds(1),
            Policies = new() { ["p"] = new LocalPolicyOptions { Capacity = 10, RefillPerSecond = 1 } },
        });
        var channel = GrpcChannel.ForAddress(_limiter.Server.BaseAddress, new GrpcChannelOptions
        {
            HttpHandler = new CountingHandler(handler ?? _limiter.Server.CreateHandler(), () => Interlocked.Increment(ref _limiterCalls)),
        });
        var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        return new TenantRateLimiter(
            new RateLimiterClient(channel), new PolicyLimits(options),
            new RateLimitTelemetry(metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
            options, time, NullLogger<TenantRateLimiter>.Instance);
    }

    private sealed class CountingHandler(HttpMessageHandler inner, Action counted) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            counted();
            return base.SendAsync(request, cancellationToken);
        }
    }
}
