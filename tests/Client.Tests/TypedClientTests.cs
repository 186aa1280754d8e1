using Grpc.Core;
using Microservices.Gateway.V1;
using Microservices.Logs.V1;
using Microservices.RateLimit.V1;
using Microsoft.Extensions.DependencyInjection;
using CacheClient = Microservices.Gateway.V1.Cache.CacheClient;

namespace Microservices.Client.Tests;

/// <summary>The typed clients, registered with the package's extensions, against the real services.</summary>
public sealed class TypedClientTests : IDisposable
{
    private readonly ClientCluster _cluster = new();

    [Fact]
    public async Task TheCacheClientWritesAndReadsThroughTheGatewayWithItsApiKey()
    {
        using var services = _cluster.Clients();
        var cache = services.GetRequiredService<CacheClient>();

        await cache.PutAsync(new PutRequest { Key = "greeting", Text = "hello" });
        var reply = await cache.GetAsync(new GetRequest { Key = "greeting" });

        Assert.True(reply.Found);
        Assert.Equal("hello", reply.Text);
    }

    [Fact]
    public async Task WithoutAnApiKeyTheGatewayRefusesTheCall()
    {
        using var services = _cluster.Clients(tenantKey: "");
        var cache = services.GetRequiredService<CacheClient>();

        var error = await Assert.ThrowsAsync<RpcException>(() => cache.GetAsync(new GetRequest { Key = "k" }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task TheRateLimiterClientAcquiresWithTheApplicationKey()
    {
        using var services = _cluster.Clients();
        var limiter = services.GetRequiredService<RateLimiter.RateLimiterClient>();

        var reply = await limiter.AcquireAsync(new AcquireRequest { Key = "user:1", Policy = "tight" });

        Assert.True(reply.Allowed);
        Assert.Equal(2UL, reply.Remaining);
    }

    [Fact]
    public async Task TheLogCollectorClientWritesEntriesThatItsQueriesThenCount()
    {
        using var services = _cluster.Clients();
        var collector = services.GetRequiredService<LogCollector.LogCollectorClient>();
        var now = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(_cluster.Collector.Time.GetUtcNow());

        var written = await collector.WriteAsync(new WriteRequest
        {
            Entries =
            {
                new LogEntry { Timestamp = now, Level = Level.Info, Message = "ok", Service = "orders", ResponseTimeMs = 12 },
                new LogEntry { Timestamp = now, Level = Level.Error, Message = "boom", Service = "orders", ResponseTimeMs = 40 },
            },
        });
        var rate = await collector.GetErrorRateAsync(new GetErrorRateRequest { Service = "orders" });

        Assert.Equal(2UL, written.Summary.Accepted);
        Assert.Equal(0.5, rate.Rate);
    }

    public void Dispose() => _cluster.Dispose();
}
