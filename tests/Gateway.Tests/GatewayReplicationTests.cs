using Grpc.Core;
using Microservices.Gateway.V1;

namespace Microservices.Gateway.Tests;

public sealed class GatewayReplicationTests : IDisposable
{
    private readonly GatewayCluster _cluster = new();
    private readonly V1.Cache.CacheClient _alpha;

    public GatewayReplicationTests() => _alpha = _cluster.Cache(GatewayCluster.AlphaKey);

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task QuorumWriteSucceedsWithOneReplicaDownAndFailsWithTwo()
    {
        _cluster.Links["node-1"].Down = true;
        var put = await _alpha.PutAsync(new PutRequest { Key = "k", Text = "v" });
        Assert.Equal(2, put.AcknowledgedBy.Count);
        Assert.DoesNotContain("node-1", put.AcknowledgedBy);

        _cluster.Links["node-2"].Down = true;
        var error = await Assert.ThrowsAsync<RpcException>(() => _alpha.PutAsync(new PutRequest { Key = "k2", Text = "v" }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("1 of 3 replicas hold it, 2 needed", error.Status.Detail, StringComparison.Ordinal);

        var one = await _alpha.PutAsync(new PutRequest { Key = "k3", Text = "v", Consistency = V1.Consistency.One });
        Assert.Equal(["node-3"], one.AcknowledgedBy);
    }

    [Fact]
    public async Task QuorumReadFailsWhenTooFewReplicasAnswerAndOneStillReads()
    {
        await _alpha.PutAsync(new PutRequest { Key = "k", Text = "v", Consistency = V1.Consistency.All });
        _cluster.Links["node-1"].Down = true;
        _cluster.Links["node-2"].Down = true;

        var error = await Assert.ThrowsAsync<RpcException>(() => _alpha.GetAsync(new GetRequest { Key = "k" }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("v", (await _alpha.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.One })).Text);
    }

    [Fact]
    public async Task QuorumReadReturnsTheNewestVersionWhenAReplicaIsStale()
    {
        await _alpha.PutAsync(new PutRequest { Key = "k", Text = "old", Consistency = V1.Consistency.All });
        foreach (var stale in new[] { "node-1", "node-2", "node-3" })
        {
            _cluster.Links[stale].Down = true;
            await _alpha.PutAsync(new PutRequest { Key = "k", Text = $"new-without-{stale}" });
            _cluster.Links[stale].Down = false;

            Assert.Equal($"new-without-{stale}", (await _alpha.GetAsync(new GetRequest { Key = "k" })).Text);
        }
    }

    [Fact]
    public async Task HandleNodeFailureReReplicatesSoEveryKeyIsOnEverySurvivor()
    {
        using var cluster = new GatewayCluster(nodes: 4);
        var alpha = cluster.Cache(GatewayCluster.AlphaKey);
        var put = new MultiPutRequest();
        put.Items.AddRange(Enumerable.Range(0, 200).Select(i => new PutRequest { Key = $"user:{i}", Text = $"v{i}" }));
        await alpha.MultiPutAsync(put);
        await alpha.InvalidateAsync(new InvalidateRequest { Key = "user:7", Consistency = V1.Consistency.All });

        cluster.Links["node-2"].Down = true;
        var report = await cluster.Cluster().HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = "node-2" });

        Assert.Equal(["node-1", "node-3", "node-4"], report.Report.Topology.Nodes.Select(n => n.Name));
        Assert.True(report.Report.EntriesMoved > 0);
        var all = new MultiGetRequest { Consistency = V1.Consistency.All };
        all.Keys.AddRange(Enumerable.Range(0, 200).Select(i => $"user:{i}"));
        var read = await alpha.MultiGetAsync(all);
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(i == 7 ? null : $"v{i}", read.Items[i].Found ? read.Items[i].Text : null);
        }

        var placement = await cluster.Cluster().LocateAsync(new LocateRequest { Key = "user:1", Tenant = "alpha" });
        Assert.DoesNotContain("node-2", placement.Nodes);

        // Every survivor now holds every key directly, tombstone included: N = 3 on three nodes means all.
        foreach (var node in new[] { "node-1", "node-3", "node-4" })
        {
            var direct = await cluster.Node(node).GetAsync(new Cache.V1.GetRequest { Key = "alpha/user:7", IncludeTombstone = true });
            Assert.True(direct.Entry.Tombstone);
            Assert.Equal(200UL - 1, (await cluster.Node(node).GetStatsAsync(new Cache.V1.GetStatsRequest())).Entries);
        }
    }

    [Fact]
    public async Task UnknownNodeIsNotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _cluster.Cluster().HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = "node-9" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task OverTheRateLimitIsResourceExhaustedWithRetryAfter()
    {
        var tight = _cluster.Cache(GatewayCluster.TightKey);
        for (var i = 0; i < 3; i++)
        {
            await tight.GetAsync(new GetRequest { Key = "k" });
        }

        var call = tight.GetAsync(new GetRequest { Key = "k" });
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        var retryAfter = int.Parse(call.GetTrailers().GetValue("retry-after")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 90, 101);
    }

    [Fact]
    public async Task UnreachableRateLimiterFailsOpenWhenConfigured()
    {
        using var cluster = new GatewayCluster(settings: new() { ["RateLimiting:FailureMode"] = "Open" });
        cluster.LimiterLink.Down = true;
        var tight = cluster.Cache(GatewayCluster.TightKey);
        for (var i = 0; i < 5; i++)
        {
            Assert.False((await tight.GetAsync(new GetRequest { Key = "k" })).Found);
        }
    }

    [Fact]
    public async Task UnreachableRateLimiterFailsClosedWhenConfigured()
    {
        using var cluster = new GatewayCluster(settings: new() { ["RateLimiting:FailureMode"] = "Closed" });
        cluster.LimiterLink.Down = true;
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            cluster.Cache(GatewayCluster.AlphaKey).GetAsync(new GetRequest { Key = "k" }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }
}
