using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using GetRequest = Microservices.Gateway.V1.GetRequest;
using PutRequest = Microservices.Gateway.V1.PutRequest;

namespace Microservices.Gateway.Tests;

/// <summary>
/// Two gateways over the same nodes: a membership change made through one is committed in the nodes under a new
/// epoch, routed by the other once it reloads, and its data moved by the first alone.
/// </summary>
public sealed class SeveralGatewaysTests : IDisposable
{
    private static readonly TimeSpan PollStep = TimeSpan.FromSeconds(1);
    private readonly GatewayCluster _cluster = new(nodes: 3, spares: 2, gateways: 2);

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task AChangeMadeOnOneGatewayIsRoutedByTheOtherOnceItReloads()
    {
        var added = await _cluster.Cluster(1).AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4" });
        Assert.Equal(2UL, added.Report.Topology.Epoch);

        await _cluster.AdvanceUntilAsync(async () => (await TopologyAsync(2)).Epoch == 2, PollStep);

        Assert.Equal(["node-1", "node-2", "node-3", "node-4"], (await TopologyAsync(2)).Nodes.Select(n => n.Name));
        for (var i = 0; i < 100; i++)
        {
            var locate = new LocateRequest { Tenant = "alpha", Key = $"k{i}" };
            Assert.Equal((await _cluster.Cluster(1).LocateAsync(locate)).Nodes, (await _cluster.Cluster(2).LocateAsync(locate)).Nodes);
        }

        var key = Enumerable.Range(0, 100).Select(i => $"k{i}")
            .First(k => _cluster.Cluster(2).Locate(new LocateRequest { Tenant = "alpha", Key = k }).Nodes.Contains("node-4"));
        await _cluster.Cache(GatewayCluster.AlphaKey, 2).PutAsync(new PutRequest { Key = key, Text = "via gateway-2", Consistency = V1.Consistency.All });
        var stored = await _cluster.Node("node-4").GetAsync(new Cache.V1.GetRequest { Key = $"alpha/{key}" });
        Assert.Equal("via gateway-2", stored.Entry.Value.ToStringUtf8());
        Assert.Equal("via gateway-2", (await _cluster.Cache(GatewayCluster.AlphaKey, 1).GetAsync(new GetRequest { Key = key })).Text);
    }

    [Fact]
    public async Task AChangeProposedOnAStaleEpochIsRefusedAndChangesNothing()
    {
        await _cluster.Cluster(1).AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4" });

        // Gateway 2 has not polled yet: it still routes by epoch 0.
        Assert.Equal(0UL, (await TopologyAsync(2)).Epoch);
        var error = await Assert.ThrowsAsync<RpcException>(() => _cluster.Cluster(2).RemoveNodeAsync(new RemoveNodeRequest { Name = "node-1" }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.StartsWith("epoch: the change was proposed on epoch 0 but the cluster is at epoch 2", error.Status.Detail, StringComparison.Ordinal);
        foreach (var node in new[] { "node-1", "node-2", "node-3", "node-4" })
        {
            var config = await _cluster.Node(node).GetClusterConfigAsync(new GetClusterConfigRequest());
            Assert.Equal(2UL, config.Epoch);
            Assert.Equal(["node-1", "node-2", "node-3", "node-4"], config.Config.Members.Select(m => m.Name));
        }

        // The refusal made gateway 2 reload: the change can be made again on what the cluster now is.
        Assert.Equal(2UL, (await TopologyAsync(2)).Epoch);
        Assert.Equal((await TopologyAsync(1)).Nodes.Select(n => n.Name), (await TopologyAsync(2)).Nodes.Select(n => n.Name));
        await _cluster.Cluster(2).RemoveNodeAsync(new RemoveNodeRequest { Name = "node-1" });
        await _cluster.AdvanceUntilAsync(async () => (await TopologyAsync(1)).Epoch == 4, PollStep);
        Assert.Equal(["node-2", "node-3", "node-4"], (await TopologyAsync(1)).Nodes.Select(n => n.Name));
    }

    [Fact]
    public async Task TwoGatewaysChangingAtOnceOneWinsAndTheOtherFailsClearly()
    {
        var changes = await Task.WhenAll(
            OutcomeAsync(_cluster.Cluster(1).AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4" }).ResponseAsync),
            OutcomeAsync(_cluster.Cluster(2).AddNodeAsync(new AddNodeRequest { Name = "node-5", Address = "http://node-5" }).ResponseAsync));

        var won = Assert.Single(changes, c => c == StatusCode.OK);
        var lost = Assert.Single(changes, c => c != StatusCode.OK);
        Assert.Contains(lost, new[] { StatusCode.FailedPrecondition, StatusCode.Aborted });
        var winner = changes[0] == won ? "node-4" : "node-5";
        await _cluster.AdvanceUntilAsync(async () => (await TopologyAsync(1)).Epoch == 2 && (await TopologyAsync(2)).Epoch == 2, PollStep);
        Assert.Equal(["node-1", "node-2", "node-3", winner], (await TopologyAsync(1)).Nodes.Select(n => n.Name));
        Assert.Equal(["node-1", "node-2", "node-3", winner], (await TopologyAsync(2)).Nodes.Select(n => n.Name));
    }

    [Fact]
    public async Task OnlyTheGatewayThatCommittedAChangeMovesItsData()
    {
        var cache = _cluster.Cache(GatewayCluster.BulkKey, 1);
        for (var i = 0; i < 100; i++)
        {
            await cache.PutAsync(new PutRequest { Key = $"k{i}", Text = "v", Consistency = V1.Consistency.All });
        }

        var moved = await _cluster.Cluster(1).AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4" });
        await _cluster.AdvanceUntilAsync(async () => (await TopologyAsync(2)).Epoch == 2, PollStep);

        Assert.True(moved.Report.EntriesMoved > 0);
        Assert.True(_cluster.Links.Values.Sum(link => link.Scans) > 0);
        Assert.Equal(0, _cluster.SecondLinks.Values.Sum(link => link.Scans));
    }

    [Fact]
    public async Task AGatewayThatReloadsAChangeHalfwayWritesToTheNewOwnersToo()
    {
        // The lease outlasts the minute the clock jumps: no renewal, no takeover in between.
        using var cluster = new GatewayCluster(nodes: 3, spares: 1, gateways: 2, settings: new()
        {
            ["Gateway:ClusterConfig:SettleDelay"] = "00:01:00",
            ["Gateway:ClusterConfig:ChangeLease"] = "00:10:00",
        });
        var adding = cluster.Cluster(1).AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4" }).ResponseAsync;

        // Gateway 1 has committed the ring it moves to (epoch 1) and waits for the other gateways before copying.
        await WaitUntilAsync(async () => (await cluster.Cluster(1).GetTopologyAsync(new GetTopologyRequest())).Topology.Epoch == 1);
        await cluster.AdvanceUntilAsync(async () => (await cluster.Cluster(2).GetTopologyAsync(new GetTopologyRequest())).Topology.Epoch == 1, PollStep, maxSteps: 10);
        Assert.Equal(NodeState.Joining, (await cluster.Cluster(2).GetTopologyAsync(new GetTopologyRequest())).Topology.Nodes.Single(n => n.Name == "node-4").State);

        var key = Enumerable.Range(0, 200).Select(i => $"k{i}").First(k => PendingOwner(cluster, k));
        await cluster.Cache(GatewayCluster.AlphaKey, 2).PutAsync(new PutRequest { Key = key, Text = "during the move", Consistency = V1.Consistency.All });
        Assert.Equal(0, cluster.Links.Values.Sum(link => link.Scans));
        await WaitUntilAsync(async () => (await cluster.Node("node-4").GetAsync(new Cache.V1.GetRequest { Key = $"alpha/{key}" })).Found);

        cluster.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(2UL, (await adding.WaitAsync(TimeSpan.FromSeconds(30))).Report.Topology.Epoch);
    }

    [Fact]
    public async Task ANodeRestartedEmptyIsGivenTheConfigurationAgain()
    {
        await _cluster.Cluster(1).AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4" });

        _cluster.RestartEmpty("node-2");
        Assert.Equal(0UL, (await _cluster.Node("node-2").GetClusterConfigAsync(new GetClusterConfigRequest())).Epoch);

        await _cluster.AdvanceUntilAsync(async () => (await _cluster.Node("node-2").GetClusterConfigAsync(new GetClusterConfigRequest())).Epoch == 2, PollStep);
    }

    // True when node-4 is to own the key under the ring gateway 2 is moving to.
    private static bool PendingOwner(GatewayCluster cluster, string key)
    {
        var view = cluster.ServicesOf(2).GetRequiredService<ClusterMembership>().View;
        return view.PendingRing!.PreferenceNames(KeyHash.Of($"alpha/{key}"), 3).Contains("node-4");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "the condition did not hold within 30 s");
            await Task.Delay(20);
        }
    }

    private async Task<Topology> TopologyAsync(int gateway) => (await _cluster.Cluster(gateway).GetTopologyAsync(new GetTopologyRequest())).Topology;

    private static async Task<StatusCode> OutcomeAsync(Task call)
    {
        try
        {
            await call;
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }
}
