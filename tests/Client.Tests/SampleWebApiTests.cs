extern alias webapi;

using System.Net;
using System.Net.Http.Json;
using Microservices.Gateway.V1;
using Microservices.Logs.V1;
using Microservices.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using CacheClient = Microservices.Gateway.V1.Cache.CacheClient;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Client.Tests;

/// <summary>
/// samples/WebApi against the real services: its products read through HybridCache with the gateway as L2, its writes
/// removing them, its rate limit at the RateLimiter, and its logs exported to the LogCollector by OTLP.
/// </summary>
public sealed class SampleWebApiTests : IDisposable
{
    private static readonly Uri Espresso = new("/products/1", UriKind.Relative);

    private readonly ClientCluster _cluster = new();
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"webapi-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task AProductIsReadFromTheDatabaseOnceAndThenServedFromTheCache()
    {
        using var app = Sample();
        var http = app.CreateClient();

        var first = await http.GetAsync(Espresso);
        var second = await http.GetAsync(Espresso);

        Assert.Equal(("database", "cache"), (ServedFrom(first), ServedFrom(second)));
        Assert.Equal("Espresso machine", (await first.Content.ReadFromJsonAsync<ProductBody>())?.Name);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AnotherInstanceGetsTheProductFromTheGatewayWithoutReadingTheDatabase()
    {
        using var first = Sample();
        using var second = Sample();

        var loaded = await first.CreateClient().GetAsync(Espresso);
        await InGatewayAsync(true);
        var served = await second.CreateClient().GetAsync(Espresso);

        Assert.Equal(("database", "cache"), (ServedFrom(loaded), ServedFrom(served)));
        Assert.Equal(await loaded.Content.ReadAsStringAsync(), await served.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AChangeRemovesTheProductFromTheCacheSoTheNextReadGetsTheNewOne()
    {
        using var first = Sample();
        using var second = Sample();
        var http = first.CreateClient();
        await http.GetAsync(Espresso);
        await InGatewayAsync(true);

        var changed = await http.PutAsJsonAsync(Espresso, new ProductBody("Espresso machine", 199.00m));
        var there = await second.CreateClient().GetAsync(Espresso);
        var here = await http.GetAsync(Espresso);

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal("database", ServedFrom(there));
        Assert.Equal(199.00m, (await here.Content.ReadFromJsonAsync<ProductBody>())?.Price);
        Assert.Equal(199.00m, (await there.Content.ReadFromJsonAsync<ProductBody>())?.Price);
    }

    [Fact]
    public async Task AChangeWithoutANameIsRefusedAndChangesNothing()
    {
        using var app = Sample();
        var http = app.CreateClient();

        var refused = await http.PutAsJsonAsync(Espresso, new ProductBody("", 1m));
        var product = await http.GetFromJsonAsync<ProductBody>(Espresso);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("name must be 1 to 200 characters", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("Espresso machine", product?.Name);
    }

    [Fact]
    public async Task PastThePolicysLimitARequestIsRefusedWith429AndRetryAfter()
    {
        using var app = Sample(policy: "tight"); // 3 tokens, 0.01 per second
        var http = app.CreateClient();

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await http.GetAsync(Espresso));
        }

        Assert.All(answers[..3], answer => Assert.Equal(HttpStatusCode.OK, answer.StatusCode));
        Assert.Equal(HttpStatusCode.TooManyRequests, answers[3].StatusCode);
        Assert.True(answers[3].Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {answers[3].Headers.RetryAfter}");
    }

    [Fact]
    public async Task ItsLogsArriveAtTheLogCollectorByOtlp()
    {
        using (var app = Sample())
        {
            await app.CreateClient().GetAsync(Espresso);
        }

        // Stopping the app flushed the exporter: the request's line and the database read's, stamped with the real
        // time. The export may still be in flight when the app is gone (with other tests running beside this one,
        // it was), so the collector is asked until they are there, for up to 10 s.
        _cluster.Collector.Time.SetUtcNow(DateTimeOffset.UtcNow);
        using var clients = _cluster.Clients();
        var collector = clients.GetRequiredService<LogCollector.LogCollectorClient>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var rate = await collector.GetErrorRateAsync(new GetErrorRateRequest { Service = "WebApi" });
        while (rate.Total < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            rate = await collector.GetErrorRateAsync(new GetErrorRateRequest { Service = "WebApi" });
        }

        var stats = await collector.GetWindowStatsAsync(new GetWindowStatsRequest());
        Assert.True(rate.Total >= 2, $"the collector counted {rate.Total} entries of WebApi: {stats}");
    }

    public void Dispose()
    {
        _cluster.Dispose();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_database)!, Path.GetFileName(_database) + "*"))
        {
            File.Delete(file);
        }
    }

    private static string? ServedFrom(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-served-from", out var values) ? values.Single() : null;

    // HybridCache writes its L2 after handing out the factory's value: wait until the gateway holds the product.
    private async Task InGatewayAsync(bool expected)
    {
        using var clients = _cluster.Clients();
        var cache = clients.GetRequiredService<CacheClient>();
        for (var i = 0; i < 100 && (await cache.GetAsync(new GetRequest { Key = "webapi:product:1" })).Found != expected; i++)
        {
            await Task.Delay(50);
        }
    }

    // The sample as the AppHost runs it, but reaching the in-process services, on the cluster's clock.
    private GrpcServiceApp<webapi::Program> Sample(string? policy = null)
    {
        var (gateway, limiter, collector) = (_cluster.Gateway.Server, _cluster.Limiter.Server, _cluster.Collector.Server);
        return new GrpcServiceApp<webapi::Program>(new()
        {
            ["Catalog:DatabasePath"] = _database,
            ["ConnectionStrings:gateway"] = gateway.BaseAddress.ToString(),
            ["ConnectionStrings:ratelimiter"] = limiter.BaseAddress.ToString(),
            ["Microservices:Cache:ApiKey"] = ClientCluster.TenantKey,
            ["Microservices:RateLimiter:ApiKey"] = ClientCluster.AppKey,
            ["Microservices:RateLimiting:Policy"] = policy ?? "default",
            ["Microservices:RateLimiting:Timeout"] = "00:00:05",
            ["Microservices:LogCollector:Address"] = collector.BaseAddress.ToString(),
            ["Microservices:LogCollector:ApiKey"] = ClientCluster.AppKey,
        }, time: _cluster.Time, services: services =>
        {
            services.AddGrpcClient<CacheClient>().ConfigurePrimaryHttpMessageHandler(gateway.CreateHandler);
            services.AddGrpcClient<RateLimiterClient>().ConfigurePrimaryHttpMessageHandler(limiter.CreateHandler);
            services.Configure<OtlpExporterOptions>(otlp => otlp.HttpClientFactory = () => new HttpClient(collector.CreateHandler()));
        });
    }

    private sealed record ProductBody(string Name, decimal Price);
}
