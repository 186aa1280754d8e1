using Grpc.Core;
using Microservices.Gateway.V1;

namespace Microservices.Gateway.Tests;

/// <summary>
/// A node that restarted (and lost its data) before the gateway saw it fail is known by the new instance id its
/// answers carry: it is RECOVERING from that answer on, which is not used, as if it had been DOWN.
/// </summary>
public sealed class RestartedNodeTests
{
    [Fact]
    public async Task AReplicaRestartedEmptyBeforeAnyCallFailedIsNotReadSoAQuorumReadNeverAnswersAnOlderValue()
    {
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:ProbeInterval"] = "00:00:01" });
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var own = (await cluster.Cluster().LocateAsync(new LocateRequest { Key = "k", Tenant = "alpha" })).Nodes.ToArray();
        var (wiped, unreachable, missed) = (own[0], own[1], own[2]);
        await cache.PutAsync(new PutRequest { Key = "k", Text = "v1", Consistency = V1.Consistency.All });
        cluster.Links[missed].Down = true;
        await cache.PutAsync(new PutRequest { Key = "k", Text = "v2", Consistency = V1.Consistency.Quorum });
        cluster.Links[missed].Down = false;

        // v2 is on `wiped` and `unreachable` only; `wiped` restarts empty without a call to it failing (and refuses
        // its resync's copies for now, so it stays empty).
        cluster.RestartEmpty(wiped);
        cluster.Links[wiped].RefusedMethods = ["MultiPut"];
        cluster.Links[unreachable].Down = true;

        // Before: the read counted the empty node's "absent" with `missed`'s v1, and answered v1 (repaired onto both).
        var read = await Assert.ThrowsAsync<RpcException>(async () =>
            await cache.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.Quorum }));
        Assert.Equal(StatusCode.Unavailable, read.StatusCode);
        Assert.Equal(NodeState.Recovering, await cluster.StateOfAsync(wiped));

        // Resynchronised from the others once they answer, it is UP and holds v2 again.
        cluster.Links[unreachable].Down = false;
        cluster.Links[wiped].RefusedMethods = [];
        await cluster.AdvanceUntilAsync(async () => await cluster.StateOfAsync(wiped) == NodeState.Up, TimeSpan.FromSeconds(1));
        Assert.Equal("v2", (await cache.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.Quorum })).Text);
        Assert.Equal("v2", (await cluster.Node(wiped).GetAsync(new Cache.V1.GetRequest { Key = "alpha/k" })).Entry.Value.ToStringUtf8());
    }
}
