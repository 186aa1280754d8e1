extern alias quickstart;

using System.Net;
using Microservices.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using CacheClient = Microservices.Gateway.V1.Cache.CacheClient;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Client.Tests;

/// <summary>The README's example, which references only the client package, run against the real services.</summary>
public sealed class QuickStartTests : IDisposable
{
    private readonly ClientCluster _cluster = new();

    [Fact]
    public void TheReadmeShowsTheQuickStartProgramWordForWord()
    {
        var root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
        var readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");
        var program = File.ReadAllText(Path.Combine(root, "clients/QuickStart/Program.cs")).ReplaceLineEndings("\n");

        Assert.Contains($"```csharp\n{program}```", readme, StringComparison.Ordinal);
        Assert.True(program.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length < 20);
    }

    [Fact]
    public async Task TheQuickStartCachesItsQuotesInTheGatewayAndLimitsItsCallers()
    {
        using var app = new GrpcServiceApp<quickstart::Program>(new()
        {
            ["Microservices:Cache:ApiKey"] = ClientCluster.TenantKey,
            ["Microservices:RateLimiter:ApiKey"] = ClientCluster.AppKey,
            ["Microservices:RateLimiting:Policy"] = "tight",
            ["Microservices:RateLimiting:Timeout"] = "00:00:05",
            ["Microservices:LogCollector:Address"] = "http://localhost:21399", // nothing listens: export fails quietly
        }, services: services =>
        {
            var (gateway, limiter) = (_cluster.Gateway.Server, _cluster.Limiter.Server);
            services.AddGrpcClient<CacheClient>().ConfigurePrimaryHttpMessageHandler(gateway.CreateHandler);
            services.AddGrpcClient<RateLimiterClient>().ConfigurePrimaryHttpMessageHandler(limiter.CreateHandler);
        });
        var http = app.CreateClient();

        var first = await http.GetStringAsync(new Uri("/quotes/7", UriKind.Relative));
        var second = await http.GetStringAsync(new Uri("/quotes/7", UriKind.Relative));
        var third = await http.GetAsync(new Uri("/quotes/8", UriKind.Relative));
        var fourth = await http.GetAsync(new Uri("/quotes/9", UriKind.Relative));

        Assert.StartsWith("quote 7, priced at ", first, StringComparison.Ordinal);
        Assert.Equal(first, second);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, fourth.StatusCode);
        Assert.True(fourth.Headers.Contains("Retry-After"));
    }

    public void Dispose() => _cluster.Dispose();
}
