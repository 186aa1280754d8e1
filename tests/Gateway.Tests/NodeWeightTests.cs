using Grpc.Core;
using Microservices.Gateway.Routing;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Tests;

/// <summary>Node weights through the gateway: configured, given to AddNode, changed with SetNodeWeight, kept.</summary>
public sealed class NodeWeightTests
{
    private static readonly string[] FourNodes = ["node-1", "node-2", "node-3", "node-4"];

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(101)]
    [InlineData(int.MaxValue)]
    public async Task AWeightOutsideOneToAHundredIsRefusedNamingTheFieldAndTheLimit(int weight)
    {
        using var cluster = new GatewayCluster(nodes: 3, spares: 1);
        var admin = cluster.Cluster();

        var add = await Assert.ThrowsAsync<RpcException>(() =>
            admin.AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4", Weight = weight }).ResponseAsync);
        var set = await Assert.ThrowsAsync<RpcException>(() =>
            admin.SetNodeWeightAsync(new SetNodeWeightRequest { Name = "node-1", Weight = weight }).ResponseAsync);

        foreach (var error in new[] { add, set })
        {
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.Equal($"weight must be an integer from 1 to 100, got {weight}", error.Status.Detail);
        }

        var topology = (await admin.GetTopologyAsync(new GetTopologyRequest())).Topology;
        Assert.Equal(["node-1", "node-2", "node-3"], topology.Nodes.Select(n => n.Name));
        Assert.All(topology.Nodes, node => Assert.Equal((1u, 160u), (node.Weight, node.Vnodes)));
    }

    [Fact]
    public async Task ConfiguredAndAddedWeightsScaleVirtualNodesAndShares()
    {
        using var cluster = new GatewayCluster(nodes: 3, spares: 1, settings: new() { ["Gateway:Nodes:2:Weight"] = "2" });

        var report = (await cluster.Cluster().AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4", Weight = 4 })).Report;

        var nodes = report.Topology.Nodes.ToDictionary(n => n.Name);
        Assert.Equal([1u, 1u, 2u, 4u], FourNodes.Select(n => nodes[n].Weight));
        Assert.Equal([160u, 160u, 320u, 640u], FourNodes.Select(n => nodes[n].Vnodes));
        Assert.InRange(nodes["node-4"].Ownership, 0.45, 0.55);
    }

    [Fact]
    public async Task ChangingAWeightCopiesOnlyTheKeysWhoseReplicasChangeAndLosesNone()
    {
        using var cluster = new GatewayCluster(nodes: 4);
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        var keys = Enumerable.Range(0, 400).Select(i => $"k{i}").ToArray();
        foreach (var key in keys)
        {
            await cache.PutAsync(new PutRequest { Key = key, Text = key, Consistency = V1.Consistency.All });
        }

        var before = HashRing.Create(FourNodes, 160);
        var after = before.WithWeight("node-1", 3);
        var gained = keys.Where(key => Gains(key, "node-1")).ToArray();
        var othersBefore = await Task.WhenAll(FourNodes[1..].Select(EntriesAsync));

        var report = (await cluster.Cluster().SetNodeWeightAsync(new SetNodeWeightRequest { Name = "node-1", Weight = 3 })).Report;

        // Only node-1 gains arcs: the entries copied are exactly its new keys, and the other nodes receive none.
        Assert.NotEmpty(gained);
        Assert.Equal((ulong)gained.Length, report.EntriesMoved);
        Assert.Equal(othersBefore, await Task.WhenAll(FourNodes[1..].Select(EntriesAsync)));
        Assert.Equal((3u, 480u), report.Topology.Nodes.Where(n => n.Name == "node-1").Select(n => (n.Weight, n.Vnodes)).Single());
        foreach (var key in keys)
        {
            var locate = await cluster.Cluster().LocateAsync(new LocateRequest { Key = key, Tenant = "bulk" });
            Assert.Equal(after.PreferenceNames(KeyHash.Of($"bulk/{key}"), 3), locate.Nodes);
            foreach (var node in locate.Nodes)
            {
                Assert.Equal(key, (await cluster.Node(node).GetAsync(new Cache.V1.GetRequest { Key = $"bulk/{key}" })).Entry?.Value.ToStringUtf8());
            }
        }

        var again = (await cluster.Cluster().SetNodeWeightAsync(new SetNodeWeightRequest { Name = "node-1", Weight = 3 })).Report;
        Assert.Equal(0ul, again.EntriesMoved);

        bool Gains(string key, string node) =>
            after.PreferenceNames(KeyHash.Of($"bulk/{key}"), 3).Contains(node) && !before.PreferenceNames(KeyHash.Of($"bulk/{key}"), 3).Contains(node);

        async Task<ulong> EntriesAsync(string node) => (await cluster.Node(node).GetStatsAsync(new Cache.V1.GetStatsRequest())).Entries;
    }

    [Fact]
    public async Task SetNodeWeightOfANodeNotInTheRingIsNotFound()
    {
        using var cluster = new GatewayCluster(nodes: 3);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            cluster.Cluster().SetNodeWeightAsync(new SetNodeWeightRequest { Name = "node-9", Weight = 2 }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task AWeightChangeSurvivesAGatewayRestartOfTheSameEpoch()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"gateway-{Guid.NewGuid():N}");
        var settings = new Dictionary<string, string?> { ["Gateway:DataPath"] = folder, ["Gateway:ClusterEpoch"] = "run-1" };
        try
        {
            using (var first = new GatewayCluster(nodes: 4, settings: settings))
            {
                await first.Cluster().SetNodeWeightAsync(new SetNodeWeightRequest { Name = "node-2", Weight = 5 });
            }

            using var restarted = new GatewayCluster(nodes: 4, settings: settings);
            var topology = (await restarted.Cluster().GetTopologyAsync(new GetTopologyRequest())).Topology;
            Assert.Equal([1u, 5u, 1u, 1u], topology.Nodes.Select(n => n.Weight));
            Assert.Equal(
                HashRing.Create([("node-1", 1), ("node-2", 5), ("node-3", 1), ("node-4", 1)], 160).PreferenceNames(KeyHash.Of("alpha/x"), 3),
                (await restarted.Cluster().LocateAsync(new LocateRequest { Key = "x", Tenant = "alpha" })).Nodes);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
