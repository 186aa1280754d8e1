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

    [Fact]
    public async Task AReadThatFindsTheGatewayUnavailableIsRetried()
    {
        var link = new FailingLink(failures: 1);
        using var services = _cluster.Clients(s => s.AddHttpClient(nameof(CacheClient)).AddHttpMessageHandler(() => link));
        var cache = services.GetRequiredService<CacheClient>();

        var reply = await cache.GetAsync(new GetRequest { Key = "k" });

        Assert.False(reply.Found);
        Assert.Equal(2, link.Calls);
    }

    [Fact]
    public async Task AWriteThatFindsTheGatewayUnavailableIsNotRetried()
    {
        var link = new FailingLink(failures: 1);
        using var services = _cluster.Clients(s => s.AddHttpClient(nameof(CacheClient)).AddHttpMessageHandler(() => link));
        var cache = services.GetRequiredService<CacheClient>();

        var error = await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(new PutRequest { Key = "k", Text = "v" }).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(1, link.Calls);
    }

    [Fact]
    public async Task ACallWithoutADeadlineEndsAtTheConfiguredTimeout()
    {
        using var services = _cluster.Clients(s =>
        {
            s.AddHttpClient(nameof(CacheClient)).AddHttpMessageHandler(() => new FailingLink(failures: 0) { Hang = true });
            s.Configure<MicroservicesClientOptions>(MicroservicesClients.Cache, o => o.Timeout = TimeSpan.FromMilliseconds(200));
        });
        var cache = services.GetRequiredService<CacheClient>();

        var error = await Assert.ThrowsAsync<RpcException>(() => cache.GetAsync(new GetRequest { Key = "k" }).ResponseAsync.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    public void Dispose() => _cluster.Dispose();

    // Fails the first `failures` calls as a refused connection; with Hang, holds every call until it is cancelled.
    private sealed class FailingLink(int failures) : DelegatingHandler
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public bool Hang { get; init; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) <= failures)
            {
                throw new HttpRequestException("connection refused (test)", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused));
            }

            if (Hang)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
