using System.Diagnostics;
using Microservices.Gateway.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Trace;
using CacheClient = Microservices.Gateway.V1.Cache.CacheClient;

namespace Microservices.Client.Tests;

/// <summary>The Aspire client integration: connection string, settings sections, health check and tracing.</summary>
public sealed class AspireClientTests : IDisposable
{
    private readonly ClientCluster _cluster = new();

    [Fact]
    public async Task TheCacheClientReachesTheResourceOfItsConnectionStringWithTheConfiguredKey()
    {
        using var host = await StartAsync(new() { ["Microservices:Cache:ApiKey"] = ClientCluster.TenantKey });
        var cache = host.Services.GetRequiredService<CacheClient>();

        await cache.PutAsync(new PutRequest { Key = "k", Text = "v" });

        Assert.Equal("v", (await cache.GetAsync(new GetRequest { Key = "k" })).Text);
    }

    [Fact]
    public async Task TheHealthCheckAsksTheServicesGrpcHealth()
    {
        using var host = await StartAsync([]);
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["microservices-gateway"];
        Assert.True(entry.Status == HealthStatus.Healthy, $"{entry.Status}: {entry.Description} {entry.Exception}");
    }

    [Fact]
    public async Task EveryCallIsTracedAsAClientSpan()
    {
        var spans = new List<Activity>();
        using var host = await StartAsync(new() { ["Microservices:Cache:ApiKey"] = ClientCluster.TenantKey }, spans);

        await host.Services.GetRequiredService<CacheClient>().GetAsync(new GetRequest { Key = "k" });

        Assert.Contains(Snapshot(spans), span => span.Kind == ActivityKind.Client && span.DisplayName.Contains("Cache/Get", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheHealthChecksCallsAreNotTraced()
    {
        var spans = new List<Activity>();
        using var host = await StartAsync([], spans);

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, report.Entries["microservices-gateway"].Status);
        Assert.DoesNotContain(Snapshot(spans), span => span.DisplayName.Contains("grpc.health.v1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheAspireSectionTurnsHealthChecksAndTracingOff()
    {
        var spans = new List<Activity>();
        using var host = await StartAsync(new()
        {
            ["Microservices:Cache:ApiKey"] = ClientCluster.TenantKey,
            ["Aspire:Microservices:Cache:DisableHealthChecks"] = "true",
            ["Aspire:Microservices:Cache:DisableTracing"] = "true",
        }, spans);

        await host.Services.GetRequiredService<CacheClient>().GetAsync(new GetRequest { Key = "k" });
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Empty(report.Entries);
        Assert.DoesNotContain(Snapshot(spans), span => span.DisplayName.Contains("Cache/Get", StringComparison.Ordinal));
    }

    private async Task<IHost> StartAsync(Dictionary<string, string?> settings, List<Activity>? spans = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Configuration["ConnectionStrings:gateway"] = _cluster.Gateway.Server.BaseAddress.ToString();
        builder.Services.AddHealthChecks();
        if (spans is not null)
        {
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddProcessor(new Collect(spans)));
        }

        var gateway = _cluster.Gateway.Server;
        builder.AddMicroservicesCacheClient("gateway").ConfigurePrimaryHttpMessageHandler(gateway.CreateHandler);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public void Dispose() => _cluster.Dispose();

    // The processor adds spans on other threads (health checks run on their own): read them under its lock.
    private static Activity[] Snapshot(List<Activity> spans)
    {
        lock (spans)
        {
            return [.. spans];
        }
    }

    private sealed class Collect(List<Activity> spans) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data)
        {
            lock (spans)
            {
                spans.Add(data);
            }
        }
    }
}
