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

    [Theory]
    [InlineData("add")]
    [InlineData("fail")]
    public async Task LargeValuesMoveInBatchesThatFitTheMessageLimit(string change)
    {
        using var cluster = new GatewayCluster(nodes: change == "add" ? 3 : 4, spares: change == "add" ? 1 : 0, settings: new()
        {
            ["Gateway:MaxValueBytes"] = "1048576",
        });
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        var value = new string('x', 1_000_000);
        for (var i = 0; i < 40; i++)
        {
            await cache.PutAsync(new PutRequest { Key = $"big:{i}", Text = value, Consistency = V1.Consistency.All });
        }

        var placedBefore = await PlacementsAsync(cluster, 40);
        var report = change == "add"
            ? (await cluster.Cluster().AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4" })).Report
            : (await cluster.Cluster().HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = "node-1" })).Report;

        // Each key counts once per new replica, though it is read from every old one.
        var placedAfter = await PlacementsAsync(cluster, 40);
        Assert.Equal(placedAfter.Select((nodes, i) => nodes.Except(placedBefore[i]).Count()).Sum(), (int)report.EntriesMoved);
        for (var i = 0; i < 40; i++)
        {
            foreach (var node in placedAfter[i])
            {
                var direct = await cluster.Node(node).GetAsync(new Cache.V1.GetRequest { Key = $"bulk/big:{i}" });
                Assert.True(direct.Found, $"big:{i} missing on {node}");
                Assert.Equal(value.Length, direct.Entry.Value.Length);
            }
        }
    }

    [Fact]
    public async Task AJoinThatCannotCopyFailsLoudlyAndLeavesTheRingAsItWas()
    {
        await FillAsync();
        var before = await TopologyAsync(_cluster);
        _cluster.Links["node-4"].RefusedMethods = ["MultiPut"];

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _cluster.Cluster().AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4" }).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("node-4", error.Status.Detail, StringComparison.Ordinal);
        Assert.EndsWith("the ring is unchanged", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await TopologyAsync(_cluster));
        await AssertEveryKeyOnEveryReplicaAsync();
    }

    [Fact]
    public async Task AnEntryThatExpiresWhileItIsCopiedIsLeftOutRatherThanFailingTheJoin()
    {
        await FillAsync();
        await _alpha.PutAsync(new PutRequest { Key = "short", Text = "s", Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(2)), Consistency = V1.Consistency.All });

        // The new node's clock (and the gateway's) is past the short entry's expiry; the old replicas' is not, so
        // they still stream it, and the new node refuses the batch that holds it.
        _cluster.NodeTime("node-4").Advance(TimeSpan.FromSeconds(10));
        _cluster.Time.Advance(TimeSpan.FromSeconds(10));
        var report = await _cluster.Cluster().AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4" });

        Assert.Contains("node-4", report.Report.Topology.Nodes.Select(n => n.Name));
        await AssertEveryKeyOnEveryReplicaAsync();
    }

    [Theory]
    [InlineData("fail")]
    [InlineData("remove")]
    public async Task ALeaveWhoseArcsCannotBeReadFailsLoudlyAndLeavesTheRingAsItWas(string change)
    {
        await _cluster.Cluster().AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4" });
        await FillAsync();
        var before = await TopologyAsync(_cluster);
        foreach (var link in _cluster.Links.Values)
        {
            link.RefusedMethods = ["Scan"];
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => change == "fail"
            ? _cluster.Cluster().HandleNodeFailureAsync(new HandleNodeFailureRequest { Name = "node-1" }).ResponseAsync
            : _cluster.Cluster().RemoveNodeAsync(new RemoveNodeRequest { Name = "node-1" }).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(before, await TopologyAsync(_cluster));
    }

    private static async Task<List<string[]>> PlacementsAsync(GatewayCluster cluster, int keys)
    {
        var placements = new List<string[]>();
        for (var i = 0; i < keys; i++)
        {
            placements.Add([.. (await cluster.Cluster().LocateAsync(new LocateRequest { Key = $"big:{i}", Tenant = "bulk" })).Nodes]);
        }

        return placements;
    }

    private static async Task<List<(string Name, NodeState State, double Ownership)>> TopologyAsync(GatewayCluster cluster)
    {
        var topology = await cluster.Cluster().GetTopologyAsync(new GetTopologyRequest());
        return [.. topology.Topology.Nodes.Select(n => (n.Name, n.State, n.Ownership))];
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
