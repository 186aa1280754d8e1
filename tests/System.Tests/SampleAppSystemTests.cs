using Aspire.Hosting.Testing;
using Microservices.Logs.V1;

namespace Microservices.SystemTests;

/// <summary>samples/WebApi as the AppHost runs it: one trace per request across the suite, its logs at the collector.</summary>
[Collection(DashboardAppHostTests.Name)]
public sealed class SampleAppSystemTests(DashboardAppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ARequestToTheSampleIsOneTraceThroughTheRateLimiterTheGatewayAndTheNodes()
    {
        using var sample = await SampleAsync();
        var answer = await sample.GetAsync(new Uri("/products/4", UriKind.Relative)).WaitAsync(Timeout);
        Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);

        using var dashboard = new HttpClient { BaseAddress = fixture.DashboardUrl };
        List<TraceSystemTests.Span> trace = [];
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline && !IsWhole(trace))
        {
            await Task.Delay(1000);
            var spans = await TraceSystemTests.ReadSpansAsync(dashboard);
            var request = spans.FirstOrDefault(s => s.Service == "webapi" && s.Name.StartsWith("GET /products/", StringComparison.Ordinal));
            trace = request is null ? [] : [.. spans.Where(s => s.TraceId == request.TraceId)];
        }

        // A miss: the gateway's Get, the database read, and HybridCache's write to the gateway, all in the request's trace.
        var services = trace.Select(s => s.Service).ToHashSet();
        Assert.True(IsWhole(trace), string.Join(", ", trace.Select(s => $"{s.Service}:{s.Name}")));
        Assert.Contains("ratelimiter", services);
        Assert.Contains(trace, s => s.Service == "webapi" && s.Name == "catalog.load");
        Assert.Contains(trace, s => s.Service == "gateway" && s.Name.EndsWith("Cache/Put", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheSamplesLogsReachTheCollectorByOtlp()
    {
        using var sample = await SampleAsync();
        await sample.GetAsync(new Uri("/products/5", UriKind.Relative)).WaitAsync(Timeout);

        var collector = new Logs.V1.LogCollector.LogCollectorClient(fixture.Channel("logcollector"));
        var deadline = DateTime.UtcNow + Timeout;
        ulong total;
        while ((total = (await collector.GetErrorRateAsync(new GetErrorRateRequest { Service = "webapi" })).Total) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
        }

        Assert.True(total > 0, "the collector has no entries of webapi");
    }

    private static bool IsWhole(List<TraceSystemTests.Span> trace) =>
        trace.Any(s => s.Service == "gateway")
        && trace.Select(s => s.Service).Where(s => s.StartsWith("cache-node-", StringComparison.Ordinal)).Distinct().Count() >= 2
        && trace.Any(s => s.Name == "catalog.load");

    private async Task<HttpClient> SampleAsync()
    {
        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("webapi").WaitAsync(AppHostFixture.StartTimeout);
        return fixture.App.CreateHttpClient("webapi", "http");
    }
}
