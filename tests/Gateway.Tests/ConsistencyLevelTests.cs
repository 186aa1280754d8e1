using Grpc.Core;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Tests;

/// <summary>
/// The table of levels in the README and gateway.proto, cell by cell: a key's N own replicas, k of them live, and
/// what a Put, a Get, a MultiPut item and a MultiGet get at each level. Only own replicas count; stand-ins never do.
/// </summary>
public sealed class ConsistencyLevelTests
{
    private static readonly string[] Nodes = ["node-1", "node-2", "node-3", "node-4", "node-5"];

    // Puts, Gets, MultiPuts and MultiGets `key` at `level`; true when all succeed, false when all are UNAVAILABLE.
    private static async Task<bool> EveryCallSucceedsAsync(V1.Cache.CacheClient cache, string key, V1.Consistency level, int required)
    {
        var outcomes = new List<bool>();
        try
        {
            var put = await cache.PutAsync(new PutRequest { Key = key, Text = "new", Consistency = level });
            Assert.True(put.AcknowledgedBy.Count >= required, $"{put.AcknowledgedBy.Count} acknowledgements, {required} needed");
            outcomes.Add(true);
        }
        catch (RpcException error) when (error.StatusCode == StatusCode.Unavailable)
        {
            Assert.Contains($"{required} needed", error.Status.Detail, StringComparison.Ordinal);
            outcomes.Add(false);
        }

        try
        {
            var get = await cache.GetAsync(new GetRequest { Key = $"{key}-before", Consistency = level });
            Assert.Equal("before", get.Text);
            outcomes.Add(true);
        }
        catch (RpcException error) when (error.StatusCode == StatusCode.Unavailable)
        {
            Assert.Contains($"{required} needed", error.Status.Detail, StringComparison.Ordinal);
            outcomes.Add(false);
        }

        var multiPut = await cache.MultiPutAsync(new MultiPutRequest { Items = { new PutRequest { Key = $"{key}-many", Text = "new" } }, Consistency = level });
        outcomes.Add(multiPut.Items[0].Ok);
        try
        {
            var multiGet = await cache.MultiGetAsync(new MultiGetRequest { Keys = { $"{key}-before" }, Consistency = level });
            Assert.Equal("before", multiGet.Items[0].Text);
            outcomes.Add(true);
        }
        catch (RpcException error) when (error.StatusCode == StatusCode.Unavailable)
        {
            outcomes.Add(false);
        }

        Assert.All(outcomes, outcome => Assert.Equal(outcomes[0], outcome));
        return outcomes[0];
    }

    // Writes "before" to `{key}-before` of each key on every replica, then cuts the links of the `down` nodes.
    private static async Task<V1.Cache.CacheClient> PrepareAsync(GatewayCluster cluster, IEnumerable<string> down, params string[] keys)
    {
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        foreach (var key in keys)
        {
            await cache.PutAsync(new PutRequest { Key = $"{key}-before", Text = "before", Consistency = V1.Consistency.All });
        }

        foreach (var node in down)
        {
            cluster.Links[node].Down = true;
        }

        return cache;
    }

    [Theory]
    [InlineData(V1.Consistency.One, 3, 1, true)]
    [InlineData(V1.Consistency.One, 2, 1, true)]
    [InlineData(V1.Consistency.One, 1, 1, true)]
    [InlineData(V1.Consistency.One, 0, 1, false)]
    [InlineData(V1.Consistency.Quorum, 3, 2, true)]
    [InlineData(V1.Consistency.Quorum, 2, 2, true)]
    [InlineData(V1.Consistency.Quorum, 1, 2, false)]
    [InlineData(V1.Consistency.Quorum, 0, 2, false)]
    [InlineData(V1.Consistency.All, 3, 3, true)]
    [InlineData(V1.Consistency.All, 2, 3, false)]
    [InlineData(V1.Consistency.All, 1, 3, false)]
    [InlineData(V1.Consistency.All, 0, 3, false)]
    public async Task EachLevelSucceedsExactlyWhileEnoughOfTheKeysThreeReplicasAreLive(V1.Consistency level, int live, int required, bool succeeds)
    {
        using var cluster = new GatewayCluster();
        var cache = await PrepareAsync(cluster, Nodes.Take(3 - live), "k", "k2");

        // First while the cut nodes' calls fail, then once they are DOWN and skipped: the same answers.
        Assert.Equal(succeeds, await EveryCallSucceedsAsync(cache, "k", level, required));
        foreach (var node in Nodes.Take(3 - live))
        {
            await DriveDownAsync(cluster, node);
        }

        Assert.Equal(succeeds, await EveryCallSucceedsAsync(cache, "k2", level, required));
    }

    // N is the replication factor, or the number of nodes on a smaller ring: every node then holds every key.
    [Theory]
    [InlineData(1, V1.Consistency.One, 1, 1, true)]
    [InlineData(1, V1.Consistency.Quorum, 1, 1, true)]
    [InlineData(1, V1.Consistency.All, 1, 1, true)]
    [InlineData(1, V1.Consistency.One, 0, 1, false)]
    [InlineData(1, V1.Consistency.Quorum, 0, 1, false)]
    [InlineData(1, V1.Consistency.All, 0, 1, false)]
    [InlineData(2, V1.Consistency.One, 2, 1, true)]
    [InlineData(2, V1.Consistency.Quorum, 2, 2, true)]
    [InlineData(2, V1.Consistency.All, 2, 2, true)]
    [InlineData(2, V1.Consistency.One, 1, 1, true)]
    [InlineData(2, V1.Consistency.Quorum, 1, 2, false)]
    [InlineData(2, V1.Consistency.All, 1, 2, false)]
    [InlineData(2, V1.Consistency.One, 0, 1, false)]
    public async Task ARingOfFewerNodesThanTheReplicationFactorHasOneReplicaPerNode(int nodes, V1.Consistency level, int live, int required, bool succeeds)
    {
        using var cluster = new GatewayCluster(nodes: nodes);
        var cache = await PrepareAsync(cluster, Nodes.Take(nodes - live), "k");
        Assert.Equal(succeeds, await EveryCallSucceedsAsync(cache, "k", level, required));
    }

    [Fact]
    public async Task AllIsNeverWeakerThanQuorumWhenOneNodeIsLeftOfThree()
    {
        using var cluster = new GatewayCluster();
        var admin = cluster.Cluster();
        await admin.HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = "node-1" });
        await admin.HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = "node-2" });
        var cache = cluster.Cache(GatewayCluster.AlphaKey);

        var quorum = await cache.PutAsync(new PutRequest { Key = "k", Text = "v", Consistency = V1.Consistency.Quorum });
        var all = await cache.PutAsync(new PutRequest { Key = "k", Text = "v", Consistency = V1.Consistency.All });
        Assert.Equal(["node-3"], quorum.AcknowledgedBy);
        Assert.Equal(["node-3"], all.AcknowledgedBy);
    }

    // Five nodes: each key has three own replicas and two stand-ins behind them on the ring.
    [Fact]
    public async Task StandInsTakeHintedWritesButNeverCountTowardsALevel()
    {
        using var cluster = new GatewayCluster(nodes: 5);
        var ring = Routing.HashRing.Create(Nodes, 160);
        var order = ring.PreferenceNames(KeyHash.Of("bulk/k-before"), 5).ToArray();
        var cache = await PrepareAsync(cluster, [order[0]], "k");

        var all = await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(new PutRequest { Key = "k-before", Text = "v2", Consistency = V1.Consistency.All }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, all.StatusCode);
        Assert.Contains("2 of 3 replicas hold it, 3 needed", all.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("may still take effect", all.Status.Detail, StringComparison.Ordinal);

        // The stand-in holds the write (for availability); the replica gets it later from its hint.
        await cluster.AdvanceUntilAsync(async () => (await cluster.Node(order[3]).GetAsync(new Cache.V1.GetRequest { Key = "bulk/k-before" }))
            .Entry?.Value.ToStringUtf8() == "v2", TimeSpan.Zero);

        cluster.Links[order[1]].Down = true;
        var quorum = await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(new PutRequest { Key = "k-before", Text = "v3" }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, quorum.StatusCode);
        var read = await Assert.ThrowsAsync<RpcException>(() => cache.GetAsync(new GetRequest { Key = "k-before" }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, read.StatusCode);

        var one = await cache.PutAsync(new PutRequest { Key = "k-before", Text = "v4", Consistency = V1.Consistency.One });
        Assert.Equal([order[2]], one.AcknowledgedBy);
        Assert.Equal("v4", (await cache.GetAsync(new GetRequest { Key = "k-before", Consistency = V1.Consistency.One })).Text);
    }

    private static async Task DriveDownAsync(GatewayCluster cluster, string node)
    {
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        for (var i = 0; await cluster.StateOfAsync(node) != NodeState.Down; i++)
        {
            Assert.True(i < 50, $"{node} never went DOWN");
            try
            {
                await cache.PutAsync(new PutRequest { Key = $"down{i}", Text = "v", Consistency = V1.Consistency.One });
            }
            catch (RpcException)
            {
                // With every node cut, nothing can be written; each attempt still counts a failure.
            }
        }
    }
}
