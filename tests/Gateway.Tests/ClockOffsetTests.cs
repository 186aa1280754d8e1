using Grpc.Core;
using Microservices.Gateway.Membership;
using Microservices.Gateway.Replication;
using Microservices.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Tests;

/// <summary>
/// A gateway measures its clock against the cache nodes' and refuses to stamp writes while it is too far off, so the
/// hybrid logical clocks of several gateways stay within the maximum offset of each other.
/// </summary>
public sealed class ClockOffsetTests
{
    // The gateway's clock as seen by its monitor: the cluster's clock moved by a fixed skew.
    private sealed class SkewedTime(TimeProvider inner, TimeSpan skew) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + skew;
    }

    private static ClockOffsetMonitor Monitor(GatewayCluster cluster, TimeSpan skew) => new(
        cluster.GatewayServices.GetRequiredService<ClusterMembership>(),
        cluster.GatewayServices.GetRequiredService<HybridLogicalClock>(),
        new SkewedTime(cluster.Time, skew),
        cluster.GatewayServices.GetRequiredService<IOptions<GatewayOptions>>(),
        cluster.GatewayServices.GetRequiredService<GatewayTelemetry>(),
        NullLogger<ClockOffsetMonitor>.Instance);

    [Fact]
    public async Task AGatewayWhoseClockIsFarBehindTheNodesRefusesToStampWritesServesReadsAndIsUnhealthyUntilItIsCorrected()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var health = cluster.GatewayServices.GetRequiredService<HealthCheckService>();
        await cache.PutAsync(new PutRequest { Key = "k", Text = "before" });

        var offset = await Monitor(cluster, TimeSpan.FromSeconds(-2)).MeasureAsync(CancellationToken.None);

        Assert.True(offset.Beyond);
        Assert.Equal(2000, offset.OffsetMs);
        var refused = await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(new PutRequest { Key = "k", Text = "after" }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("clock is 2000 ms behind the cache nodes' (median of 3; 3 of 3 beyond 250 ms", refused.Status.Detail);
        await Assert.ThrowsAsync<RpcException>(() => cache.DeleteAsync(new DeleteRequest { Key = "k" }).ResponseAsync);
        Assert.Equal("before", (await cache.GetAsync(new GetRequest { Key = "k" })).Text);
        var report = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["clock"].Status);
        Assert.Contains("2000 ms behind", report.Entries["clock"].Description);

        Assert.False((await Monitor(cluster, TimeSpan.Zero).MeasureAsync(CancellationToken.None)).Beyond);
        await cache.PutAsync(new PutRequest { Key = "k", Text = "after" });
        Assert.Equal("after", (await cache.GetAsync(new GetRequest { Key = "k" })).Text);
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Entries["clock"].Status);
    }

    [Fact]
    public async Task AClockAheadWithinHalfTheMaximumOffsetKeepsStamping()
    {
        using var cluster = new GatewayCluster();
        var offset = await Monitor(cluster, TimeSpan.FromMilliseconds(200)).MeasureAsync(CancellationToken.None);

        Assert.False(offset.Beyond);
        Assert.Equal(-200, offset.OffsetMs);
        Assert.Contains("200 ms ahead of the cache nodes'", offset.Describe());
        await cluster.Cache(GatewayCluster.AlphaKey).PutAsync(new PutRequest { Key = "k", Text = "v" });
    }

    [Fact]
    public async Task NodesThatDoNotAnswerAreLeftOutAndNoAnswerAtAllRefusesNothing()
    {
        using var cluster = new GatewayCluster();
        cluster.Links["node-1"].Down = true;
        var offset = await Monitor(cluster, TimeSpan.FromSeconds(-2)).MeasureAsync(CancellationToken.None);
        Assert.Equal(2, offset.Measured);
        Assert.True(offset.Beyond);

        foreach (var node in new[] { "node-2", "node-3" })
        {
            cluster.Links[node].Down = true;
        }

        var none = await Monitor(cluster, TimeSpan.FromSeconds(-2)).MeasureAsync(CancellationToken.None);
        Assert.Equal(ClockOffset.Unmeasured, none);
        Assert.False(none.Beyond);
    }

    [Fact]
    public void OneNodeFarOffIsOutvotedByTheOthers()
    {
        var offset = new ClockOffset(OffsetMs: 10, Measured: 3, BeyondLimit: 1, LimitMs: 250);
        Assert.False(offset.Beyond);
        Assert.True(offset with { BeyondLimit = 2 } is { Beyond: true });
    }
}
