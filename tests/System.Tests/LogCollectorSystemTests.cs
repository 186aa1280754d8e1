using Grpc.Core;
using Microservices.Gateway.V1;
using Microservices.Logs.V1;

namespace Microservices.SystemTests;

[Collection(AppHostTests.Name)]
public sealed class LogCollectorSystemTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private Logs.V1.LogCollector.LogCollectorClient Collector => new(fixture.Channel("logcollector"));

    private async Task<ulong> TotalAsync(string service) =>
        (await Collector.GetErrorRateAsync(new GetErrorRateRequest { Service = service })).Total;

    [Fact]
    public async Task EveryServiceShipsItsCallsToTheCollector()
    {
        var gatewayBefore = await TotalAsync("gateway");
        var limiterBefore = await TotalAsync("ratelimiter");
        var cache = fixture.Gateway(invoker => new Gateway.V1.Cache.CacheClient(invoker));
        await cache.PutAsync(new PutRequest { Key = $"shipped-{Guid.NewGuid():N}", Text = "v" }).ResponseAsync.WaitAsync(Timeout);

        // A call of the rate limiter's own: the Put may have taken a token the gateway leased before, with no call.
        var limiter = new RateLimit.V1.RateLimiter.RateLimiterClient(fixture.Channel("ratelimiter"));
        await limiter.PeekAsync(new RateLimit.V1.PeekRequest { Key = "tenant:dev" }).ResponseAsync.WaitAsync(Timeout);
        var denied = fixture.Gateway(invoker => new Gateway.V1.Cache.CacheClient(invoker), apiKey: "not-a-key");
        await Assert.ThrowsAsync<RpcException>(() => denied.GetAsync(new GetRequest { Key = "k" }).ResponseAsync);

        // Shippers flush every second; the nodes' shippers too.
        var deadline = DateTime.UtcNow + Timeout;
        while (!await AllShippedAsync() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.True(await TotalAsync("gateway") >= gatewayBefore + 2);
        Assert.True(await TotalAsync("ratelimiter") > limiterBefore);
        var stats = await Collector.GetWindowStatsAsync(new GetWindowStatsRequest());
        Assert.Contains(stats.Services, s => s.Service.StartsWith("cache-node-", StringComparison.Ordinal));

        async Task<bool> AllShippedAsync()
        {
            var services = (await Collector.GetWindowStatsAsync(new GetWindowStatsRequest())).Services;
            return await TotalAsync("gateway") >= gatewayBefore + 2
                && await TotalAsync("ratelimiter") > limiterBefore
                && services.Any(s => s.Service.StartsWith("cache-node-", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task AnErrorBurstFiresAnAlertOnTheWatchStream()
    {
        var service = $"checkout-{Guid.NewGuid():N}"[..20];
        using var timeout = new CancellationTokenSource(Timeout);
        using var watch = Collector.WatchAlerts(new WatchAlertsRequest { Service = service }, cancellationToken: timeout.Token);

        var request = new WriteRequest();
        request.Entries.AddRange(Enumerable.Range(0, 40).Select(i => new LogEntry
        {
            Level = i % 2 == 0 ? Level.Error : Level.Info,
            Service = service,
            Message = "payment provider timeout",
            ResponseTimeMs = 20,
        }));
        var summary = (await Collector.WriteAsync(request).ResponseAsync.WaitAsync(Timeout)).Summary;
        Assert.Equal(40UL, summary.Accepted);

        Assert.True(await watch.ResponseStream.MoveNext(timeout.Token));
        var alert = watch.ResponseStream.Current.Alert;
        Assert.Equal(("high-error-rate", service, AlertState.Firing, Severity.Critical), (alert.Rule, alert.Service, alert.State, alert.Severity));
        Assert.Contains("50.0 %", alert.Message);
    }
}
