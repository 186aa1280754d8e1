using Grpc.Core;
using Grpc.Health.V1;
using Microservices.Cache.V1;
using Microservices.Logs.V1;
using Microservices.RateLimit.V1;
using CacheNodeClient = Microservices.Cache.V1.CacheNode.CacheNodeClient;

namespace Microservices.SystemTests;

/// <summary>Who may call the internal services under the AppHost: its cluster key, and applications with their own keys.</summary>
[Collection(AppHostTests.Name)]
public sealed class ClusterKeySystemTests(AppHostFixture fixture)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("cache-node-1")]
    [InlineData("ratelimiter")]
    [InlineData("logcollector")]
    public async Task AStrangerOnTheNetworkGetsNothingFromAnInternalServiceButItsHealth(string resource)
    {
        using var channel = fixture.ChannelWithoutKey(resource);
        var error = await Assert.ThrowsAsync<RpcException>(() => resource switch
        {
            "cache-node-1" => new CacheNodeClient(channel).Scan(new ScanRequest())
                .ResponseStream.MoveNext(CancellationToken.None).WaitAsync(CallTimeout),
            "ratelimiter" => new RateLimit.V1.RateLimiter.RateLimiterClient(channel).ResetAsync(new ResetRequest { Key = "tenant:dev" }).ResponseAsync.WaitAsync(CallTimeout),
            _ => new Logs.V1.LogCollector.LogCollectorClient(channel).GetWindowStatsAsync(new GetWindowStatsRequest()).ResponseAsync.WaitAsync(CallTimeout),
        });
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);

        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest()).ResponseAsync.WaitAsync(CallTimeout);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    [Fact]
    public async Task AnApplicationKeyOpensTheRateLimiterAndTheLogCollectorButNoNode()
    {
        var key = new Metadata { { "x-api-key", AppHostFixture.ApplicationKey } };
        using var limiter = fixture.ChannelWithoutKey("ratelimiter");
        using var collector = fixture.ChannelWithoutKey("logcollector");
        using var node = fixture.ChannelWithoutKey("cache-node-1");

        var acquired = await new RateLimit.V1.RateLimiter.RateLimiterClient(limiter)
            .AcquireAsync(new AcquireRequest { Key = $"app-{Guid.NewGuid():N}" }, key).ResponseAsync.WaitAsync(CallTimeout);
        Assert.True(acquired.Allowed);

        var write = new WriteRequest { Entries = { new LogEntry { Level = Level.Info, Service = "checkout", Message = "ok" } } };
        var written = await new Logs.V1.LogCollector.LogCollectorClient(collector).WriteAsync(write, key).ResponseAsync.WaitAsync(CallTimeout);
        Assert.Equal(1UL, written.Summary.Accepted);

        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            new CacheNodeClient(node).GetStatsAsync(new GetStatsRequest(), key).ResponseAsync.WaitAsync(CallTimeout));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }
}
