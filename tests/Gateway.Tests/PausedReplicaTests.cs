using Grpc.Core;
using Microservices.Gateway.V1;

namespace Microservices.Gateway.Tests;

/// <summary>
/// The first two anomalies of issue 15, as found with paused nodes on five: a key's replicas stopped (SIGSTOP) while
/// its other nodes answer. Stand-ins behind the paused replicas take the write, but a level counts only the key's
/// own replicas, so ALL and QUORUM fail rather than promise what a later read cannot find.
/// </summary>
public sealed class PausedReplicaTests
{
    private static async Task<(GatewayCluster Cluster, V1.Cache.CacheClient Cache, string[] Order)> FiveNodesAsync()
    {
        var cluster = new GatewayCluster(nodes: 5);
        var order = (await cluster.Cluster().LocateAsync(new LocateRequest { Key = "k", Tenant = "alpha" })).Nodes.ToArray();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        await cache.PutAsync(new PutRequest { Key = "k", Text = "v1", Consistency = V1.Consistency.All });
        return (cluster, cache, order);
    }

    [Fact]
    public async Task AnAllWriteIsNotAcknowledgedWhileOneOfTheKeysReplicasIsPaused()
    {
        var (cluster, cache, order) = await FiveNodesAsync();
        using var _ = cluster;
        cluster.Links[order[0]].Pause();

        var all = await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(new PutRequest { Key = "k", Text = "v2", Consistency = V1.Consistency.All }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, all.StatusCode);
        Assert.Contains("2 of 3 replicas hold it, 3 needed", all.Status.Detail, StringComparison.Ordinal);

        // The paused replica reads its held requests when it resumes: the failed write may still take effect there.
        cluster.Links[order[0]].Resume();
        await cluster.AdvanceUntilAsync(async () => (await cluster.Node(order[0]).GetAsync(new Cache.V1.GetRequest { Key = "alpha/k" }))
            .Entry?.Value.ToStringUtf8() == "v2", TimeSpan.Zero);
    }

    [Fact]
    public async Task AQuorumWriteIsNotAcknowledgedWhileTwoOfTheKeysReplicasArePaused()
    {
        var (cluster, cache, order) = await FiveNodesAsync();
        using var _ = cluster;
        cluster.Links[order[0]].Pause();
        cluster.Links[order[1]].Pause();

        var quorum = await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(new PutRequest { Key = "k", Text = "v2", Consistency = V1.Consistency.Quorum }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, quorum.StatusCode);
        Assert.Contains("1 of 3 replicas hold it, 2 needed", quorum.Status.Detail, StringComparison.Ordinal);

        // A stand-in took a copy, for availability only: a read at QUORUM never asks it, and cannot be served.
        var standIns = Enumerable.Range(1, 5).Select(n => $"node-{n}").Except(order).ToArray();
        await cluster.AdvanceUntilAsync(async () => (await Task.WhenAll(standIns.Select(async node =>
            (await cluster.Node(node).GetAsync(new Cache.V1.GetRequest { Key = "alpha/k" })).Entry?.Value.ToStringUtf8()))).Contains("v2"), TimeSpan.Zero);
        var read = await Assert.ThrowsAsync<RpcException>(() => cache.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.Quorum }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, read.StatusCode);

        cluster.Links[order[0]].Resume();
        cluster.Links[order[1]].Resume();
    }
}
