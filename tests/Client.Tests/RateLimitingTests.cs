using System.Net;
using System.Threading.RateLimiting;
using Microservices.Client.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Microservices.Client.Tests;

/// <summary>ASP.NET Core rate limiting backed by the real RateLimiter service ("tight": 3 tokens, 0.01 per second).</summary>
public sealed class RateLimitingTests : IAsyncDisposable
{
    private readonly ClientCluster _cluster = new();
    private readonly List<WebApplication> _apps = [];

    [Fact]
    public async Task TheLimitHoldsAcrossTwoAppInstancesSharingOneLimiter()
    {
        var first = (await StartAppAsync()).GetTestClient();
        var second = (await StartAppAsync()).GetTestClient();

        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++)
        {
            responses.Add(await first.SendAsync(Request("alice")));
            responses.Add(await second.SendAsync(Request("alice")));
        }

        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(5, refused.Count);
        Assert.All(refused, r => Assert.Equal("100", r.Headers.GetValues("Retry-After").Single()));
        Assert.Equal(HttpStatusCode.OK, (await second.SendAsync(Request("bob"))).StatusCode);
    }

    [Fact]
    public async Task WhenTheLimiterIsDownTheLocalBucketKeepsTheSameLimit()
    {
        var app = await StartAppAsync();
        var client = app.GetTestClient();
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Request("carol"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Request("carol"))).StatusCode);
        var factory = app.Services.GetRequiredService<MicroservicesRateLimiterFactory>();
        for (var i = 0; i < 100 && !factory.PolicyKnown; i++)
        {
            await Task.Delay(20);
        }

        _cluster.LimiterDown = true;
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await client.SendAsync(Request("carol"))).StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, .. Enumerable.Repeat(HttpStatusCode.TooManyRequests, 4)], statuses);
    }

    [Fact]
    public async Task APlainRateLimiterPerKeyRefusesWithRetryAfterMetadata()
    {
        var app = await StartAppAsync();
        using var limiter = app.Services.GetRequiredService<MicroservicesRateLimiterFactory>().Create("report:daily");

        using var granted = await limiter.AcquireAsync(3);
        using var refused = await limiter.AcquireAsync(1);

        Assert.True(granted.IsAcquired);
        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(100), retryAfter);
        Assert.Equal(1, limiter.GetStatistics()!.TotalFailedLeases);
    }

    private static HttpRequestMessage Request(string user) => new(HttpMethod.Get, "/") { Headers = { { "x-user", user } } };

    private async Task<WebApplication> StartAppAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        _cluster.AddClients(builder.Services);
        builder.Services.AddMicroservicesRateLimiting(
            http => http.Request.Headers["x-user"].ToString(),
            options => (options.Policy, options.Timeout) = ("tight", TimeSpan.FromSeconds(5)));
        var app = builder.Build();
        app.UseRateLimiter();
        app.MapGet("/", () => "ok");
        await app.StartAsync();
        _apps.Add(app);
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        _cluster.Dispose();
    }
}
