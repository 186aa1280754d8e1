using Grpc.Core;
using Microservices.Gateway.V1;

namespace Microservices.Gateway.Tests;

/// <summary>
/// QUORUM and ALL reads whose replicas disagree write the newest version back before they answer (blocking read
/// repair), so two QUORUM reads that do not overlap never go new-then-old, even around a write that failed.
/// </summary>
public sealed class BlockingReadRepairTests
{
    // A key's preference list (its own replicas, in ring order).
    private static async Task<string[]> ReplicasOfAsync(GatewayCluster cluster, string key) =>
        [.. (await cluster.Cluster().LocateAsync(new LocateRequest { Key = key, Tenant = "bulk" })).Nodes];

    // Writes "old" at ALL, then "new" at ALL while the `missing` replicas are cut: it fails with UNAVAILABLE but the
    // others keep it. The cluster keeps no hints (as when the hint store is full), so only a read can bring the
    // missing replicas the new value. Then the links are back.
    private static async Task FailedWriteReachingOnlySomeAsync(GatewayCluster cluster, string key, IEnumerable<string> missing)
    {
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        await cache.PutAsync(new PutRequest { Key = key, Text = "old", Consistency = V1.Consistency.All });
        foreach (var node in missing)
        {
            cluster.Links[node].Down = true;
        }

        var failed = await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(new PutRequest { Key = key, Text = "new", Consistency = V1.Consistency.All }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, failed.StatusCode);
        foreach (var node in missing)
        {
            cluster.Links[node].Down = false;
        }
    }

    private static async Task<string> ReadAsync(V1.Cache.CacheClient cache, string key, bool batch) => batch
        ? (await cache.MultiGetAsync(new MultiGetRequest { Keys = { key }, Consistency = V1.Consistency.Quorum })).Items[0].Text
        : (await cache.GetAsync(new GetRequest { Key = key, Consistency = V1.Consistency.Quorum })).Text;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AFailedWriteSeenByAQuorumReadIsSeenByTheNextQuorumReadThatAsksOtherReplicas(bool batch)
    {
        // Five replicas per key, a quorum of three: the failed write reached two of them.
        using var cluster = new GatewayCluster(nodes: 5, settings: new() { ["Gateway:ReplicationFactor"] = "5", ["Gateway:MaxHints"] = "0" });
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        var replicas = await ReplicasOfAsync(cluster, "k");
        await FailedWriteReachingOnlySomeAsync(cluster, "k", replicas[2..]);

        // The first read asks the two that hold it and the first that missed it (SUSPECT ones are asked last), whose
        // repair is lost: the repair must reach another replica before the read answers.
        cluster.Links[replicas[2]].RefusedMethods = ["Put", "MultiPut"];
        Assert.Equal("new", await ReadAsync(cache, "k", batch));
        cluster.Links[replicas[2]].RefusedMethods = [];

        // The next read cannot reach the two that held it: it is answered by the three that missed the write.
        cluster.Links[replicas[0]].Down = true;
        cluster.Links[replicas[1]].Down = true;
        Assert.Equal("new", await ReadAsync(cache, "k", batch));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AQuorumReadWhoseRepairCannotReachAQuorumIsUnavailable(bool batch)
    {
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:MaxHints"] = "0" });
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        var replicas = await ReplicasOfAsync(cluster, "k");
        await FailedWriteReachingOnlySomeAsync(cluster, "k", replicas[1..]);
        foreach (var node in replicas[1..])
        {
            cluster.Links[node].RefusedMethods = ["Put", "MultiPut"];
        }

        // One replica holds "new", two hold "old", and neither can take "new": answering "new" could be followed by
        // a read of the other two answering "old"; answering "old" would hide a value a read may already have seen.
        var error = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(cache, "k", batch));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("read repair", error.Status.Detail, StringComparison.Ordinal);

        // At ONE the read answers at once, and repairs in the background.
        Assert.Equal("new", (await cache.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.One })).Text);
    }

    [Fact]
    public async Task AQuorumReadWhoseReplicasAgreeAsksTwoNodesAndWritesNothing()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        await cache.PutAsync(new PutRequest { Key = "k", Text = "same", Consistency = V1.Consistency.All });
        var before = cluster.Links.Values.Sum(link => link.Calls);

        Assert.Equal("same", await ReadAsync(cache, "k", batch: false));

        Assert.Equal(2, cluster.Links.Values.Sum(link => link.Calls) - before);
    }
}
