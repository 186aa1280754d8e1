using Grpc.Core;
using Microservices.Gateway.V1;

namespace Microservices.SystemTests;

/// <summary>The seed's test_distributed_cache and what follows, on real processes that are really stopped.</summary>
[Collection(FailureAppHostTests.Name)]
public sealed class NodeFailureSystemTests(FailureAppHostFixture fixture)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ClusterKeepsEveryValueThroughANodeFailureAndReportsWhenQuorumIsLost()
    {
        var cache = fixture.Gateway(i => new Gateway.V1.Cache.CacheClient(i));
        var cluster = fixture.Gateway(i => new Cluster.ClusterClient(i), "dev-admin-key");

        // The seed: put two users, read them back.
        await cache.PutAsync(new PutRequest { Key = "user:1001", Text = "Alice" }).ResponseAsync.WaitAsync(CallTimeout);
        await cache.PutAsync(new PutRequest { Key = "user:1002", Text = "Bob" }).ResponseAsync.WaitAsync(CallTimeout);
        Assert.Equal("Alice", (await cache.GetAsync(new GetRequest { Key = "user:1001" }).ResponseAsync.WaitAsync(CallTimeout)).Text);
        Assert.Equal("Bob", (await cache.GetAsync(new GetRequest { Key = "user:1002" }).ResponseAsync.WaitAsync(CallTimeout)).Text);

        // Kill the process of the node that owns user:1002. QUORUM writes still succeed on the other two.
        var placement = await cluster.LocateAsync(new LocateRequest { Key = "user:1002", Tenant = "dev" }).ResponseAsync.WaitAsync(CallTimeout);
        var failed = placement.Nodes[0];
        await fixture.KillAsync(failed);
        var during = await cache.PutAsync(new PutRequest { Key = "user:1003", Text = "Carol" }).ResponseAsync.WaitAsync(CallTimeout);
        Assert.Equal(2, during.AcknowledgedBy.Count);
        Assert.DoesNotContain(failed, during.AcknowledgedBy);

        // handle_node_failure: the node leaves the ring and its ranges are re-replicated from the survivors.
        var report = await cluster.HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = failed }).ResponseAsync.WaitAsync(CallTimeout);
        Assert.DoesNotContain(failed, report.Report.Topology.Nodes.Select(n => n.Name));
        Assert.Equal("Alice", (await cache.GetAsync(new GetRequest { Key = "user:1001", Consistency = Consistency.All }).ResponseAsync.WaitAsync(CallTimeout)).Text);
        Assert.Equal("Bob", (await cache.GetAsync(new GetRequest { Key = "user:1002", Consistency = Consistency.All }).ResponseAsync.WaitAsync(CallTimeout)).Text);
        Assert.Equal("Carol", (await cache.GetAsync(new GetRequest { Key = "user:1003", Consistency = Consistency.All }).ResponseAsync.WaitAsync(CallTimeout)).Text);
        foreach (var key in new[] { "user:1001", "user:1002", "user:1003" })
        {
            var after = await cluster.LocateAsync(new LocateRequest { Key = key, Tenant = "dev" }).ResponseAsync.WaitAsync(CallTimeout);
            Assert.DoesNotContain(failed, after.Nodes);
        }

        // Drain the dev tenant's bucket (100 tokens, 10/s): a denial carries retry-after.
        var denied = await DrainAsync(cache);
        Assert.True(int.Parse(denied.GetValue("retry-after")!, System.Globalization.CultureInfo.InvariantCulture) >= 1);

        // With the rate limiter killed the gateway fails open: the same tenant is served again.
        await fixture.KillAsync("ratelimiter");
        Assert.Equal("Alice", (await cache.GetAsync(new GetRequest { Key = "user:1001" }).ResponseAsync.WaitAsync(CallTimeout)).Text);

        // A second node dies without being removed: a QUORUM write reaches one replica of two and is refused.
        var second = report.Report.Topology.Nodes[0].Name;
        await fixture.KillAsync(second);
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            cache.PutAsync(new PutRequest { Key = "user:1004", Text = "Dave" }).ResponseAsync.WaitAsync(CallTimeout));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("1 of 2 replicas hold it, 2 needed", error.Status.Detail, StringComparison.Ordinal);
    }

    private static async Task<Metadata> DrainAsync(Gateway.V1.Cache.CacheClient cache)
    {
        for (var i = 0; i < 1000; i++)
        {
            var call = cache.GetAsync(new GetRequest { Key = "user:1001", Consistency = Consistency.One });
            try
            {
                await call.ResponseAsync.WaitAsync(CallTimeout);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
            {
                return call.GetTrailers();
            }
        }

        throw new InvalidOperationException("1000 calls were never limited");
    }
}
