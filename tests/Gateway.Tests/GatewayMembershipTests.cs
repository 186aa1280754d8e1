using Grpc.Core;
using Microservices.Gateway.V1;

namespace Microservices.Gateway.Tests;

public sealed class GatewayMembershipTests : IDisposable
{
    private const int Keys = 300;
    private readonly GatewayCluster _cluster = new(nodes: 3, spares: 1);
    private readonly V1.Cache.CacheClient _alpha;

    public GatewayMembershipTests() => _alpha = _cluster.Cache(GatewayCluster.AlphaKey);

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task AddedNodeReceivesTheKeysItNowHoldsBeforeItServes()
    {
        await FillAsync();

        var report = await _cluster.Cluster().AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4" });

        Assert.Equal(["node-1", "node-2", "node-3", "node-4"], report.Report.Topology.Nodes.Select(n => n.Name));
        Assert.True(report.Report.EntriesMoved > 0);
        Assert.InRange(report.Report.Topology.Nodes.Single(n => n.Name == "node-4").Ownership, 0.15, 0.35);
        await AssertEveryKeyOnEveryReplicaAsync();
    }

    [Fact]
    public async Task RemovedNodeHandsItsKeysOffBeforeItLeaves()
    {
        await _cluster.Cluster().AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4" });
        await FillAsync();

        var report = await _cluster.Cluster().RemoveNodeAsync(new RemoveNodeRequest { Name = "node-1" });

        Assert.Equal(["node-2", "node-3", "node-4"], report.Report.Topology.Nodes.Select(n => n.Name));
        Assert.True(report.Report.EntriesMoved > 0);
        await AssertEveryKeyOnEveryReplicaAsync();
    }

    [Fact]
    public async Task MembershipChangesRejectBadRequests()
    {
        var cluster = _cluster.Cluster();
        Assert.Equal(StatusCode.AlreadyExists, (await Assert.ThrowsAsync<RpcException>(() =>
            cluster.AddNodeAsync(new AddNodeRequest { Name = "node-1", Address = "http://node-1" }).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() =>
            cluster.AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "not a uri" }).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() =>
            cluster.RemoveNodeAsync(new RemoveNodeRequest { Name = "node-9" }).ResponseAsync)).StatusCode);
    }

    private async Task FillAsync()
    {
        var put = new MultiPutRequest { Consistency = V1.Consistency.All };
        put.Items.AddRange(Enumerable.Range(0, Keys).Select(i => new PutRequest { Key = $"user:{i}", Text = $"v{i}" }));
        var reply = await _alpha.MultiPutAsync(put);
        Assert.All(reply.Items, item => Assert.True(item.Ok, item.Error));
    }

    // Each key is read directly from each node of its preference list, not through the gateway's quorum.
    private async Task AssertEveryKeyOnEveryReplicaAsync()
    {
        for (var i = 0; i < Keys; i++)
        {
            var placement = await _cluster.Cluster().LocateAsync(new LocateRequest { Key = $"user:{i}", Tenant = "alpha" });
            Assert.Equal(3, placement.Nodes.Count);
            foreach (var node in placement.Nodes)
            {
                var direct = await _cluster.Node(node).GetAsync(new Cache.V1.GetRequest { Key = $"alpha/user:{i}" });
                Assert.True(direct.Found, $"user:{i} missing on {node}");
                Assert.Equal($"v{i}", direct.Entry.Value.ToStringUtf8());
            }
        }
    }
}
