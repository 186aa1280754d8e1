using System.Diagnostics.Metrics;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.Gateway.Rebalancing;
using Microservices.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;
using PutRequest = Microservices.Gateway.V1.PutRequest;

namespace Microservices.Gateway.Tests;

/// <summary>
/// A membership change never stays halfway: the gateway that drives it holds a lease on it and renews it while it
/// copies; when that gateway dies, or cannot commit the end of the change, another gateway (or the same one) takes
/// the change over once the lease has lapsed, copies again and commits the new ring.
/// </summary>
public sealed class ChangeTakeoverTests
{
    private static readonly TimeSpan PollStep = TimeSpan.FromSeconds(1);

    // A scan held by a test fails after five replica timeouts of real time: long enough for the tests to act.
    private static readonly Dictionary<string, string?> Settings = new() { ["Gateway:ReplicaTimeout"] = "00:00:05" };

    [Fact]
    public async Task AChangeWhoseGatewayDiedWhileCopyingIsFinishedByAnotherGatewayOnceItsLeaseLapses()
    {
        using var cluster = new GatewayCluster(nodes: 4, gateways: 2, settings: Settings);
        var finished = new List<string>();
        using var listener = ListenToTakeovers(cluster, finished);
        var before = await WriteKeysAsync(cluster);
        var held = HoldScans(cluster.SecondLinks.Values);
        var removing = cluster.Cluster(2).RemoveNodeAsync(new RemoveNodeRequest { Name = "node-1" }).ResponseAsync;
        await WaitUntilAsync(() => Task.FromResult(cluster.SecondLinks.Values.Sum(link => link.Scans) > 0));

        cluster.StopSecond();
        held.SetResult();
        await Assert.ThrowsAsync<RpcException>(() => removing);
        Assert.Equal(1UL, (await cluster.Node("node-2").GetClusterConfigAsync(new GetClusterConfigRequest())).Epoch);

        await cluster.AdvanceUntilAsync(async () => await EndedAsync(cluster.Cluster(1)), PollStep, maxSteps: 60);
        var topology = await TopologyAsync(cluster.Cluster(1));
        Assert.Equal(["node-2", "node-3", "node-4"], topology.Nodes.Select(n => n.Name));
        Assert.Equal(3UL, topology.Epoch);
        Assert.Equal("gateway-1", (await cluster.Node("node-2").GetClusterConfigAsync(new GetClusterConfigRequest())).Config.ChangedBy);
        Assert.Equal(["finished"], finished);
        await AssertMovedKeysAreAtTheirNewOwnersAsync(cluster, before);

        cluster.AddGateway("gateway-3");
        await cluster.AdvanceUntilAsync(async () => (await TopologyAsync(cluster.ClusterOf("gateway-3"))).Epoch == 3, PollStep);
        foreach (var key in before.Keys)
        {
            var locate = new LocateRequest { Tenant = "bulk", Key = key };
            Assert.Equal((await cluster.Cluster(1).LocateAsync(locate)).Nodes, (await cluster.ClusterOf("gateway-3").LocateAsync(locate)).Nodes);
        }
    }

    [Fact]
    public async Task AGatewayThatKeepsRenewingItsLeaseWhileASlowCopyRunsIsNotTakenOver()
    {
        using var cluster = new GatewayCluster(nodes: 4, gateways: 2, settings: Settings);
        var finished = new List<string>();
        using var listener = ListenToTakeovers(cluster, finished);
        await WriteKeysAsync(cluster);
        var held = HoldScans(cluster.SecondLinks.Values);
        var removing = cluster.Cluster(2).RemoveNodeAsync(new RemoveNodeRequest { Name = "node-1" }).ResponseAsync;
        await WaitUntilAsync(() => Task.FromResult(cluster.SecondLinks.Values.Sum(link => link.Scans) > 0));

        // Three leases (10 s each) go by; gateway 2 renews every third of one (a claim of its own change at the next epoch).
        for (var i = 0; i < 9; i++)
        {
            var epoch = await EpochAsync(cluster, "node-2");
            cluster.Time.Advance(TimeSpan.FromSeconds(3.5));
            await WaitUntilAsync(async () => await EpochAsync(cluster, "node-2") > epoch);
        }

        var config = await cluster.Node("node-2").GetClusterConfigAsync(new GetClusterConfigRequest());
        Assert.True(config.Epoch >= 10);
        Assert.Equal("gateway-2", config.Config.ChangedBy);
        var during = await TopologyAsync(cluster.Cluster(1));
        Assert.True(during.Epoch >= 2);
        Assert.Equal("gateway-2", during.ChangedBy);
        Assert.True(during.ChangeLeaseUntil.ToDateTimeOffset() > cluster.Time.GetUtcNow());
        Assert.False(removing.IsCompleted);
        Assert.Empty(finished);

        held.SetResult();
        var removed = await removing.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["node-2", "node-3", "node-4"], removed.Report.Topology.Nodes.Select(n => n.Name));
        Assert.Equal("gateway-2", (await cluster.Node("node-2").GetClusterConfigAsync(new GetClusterConfigRequest())).Config.ChangedBy);
    }

    [Fact]
    public async Task AGatewayWhoseLeaseLapsedAndWasTakenOverSaysSoAndUndoesNothing()
    {
        using var cluster = new GatewayCluster(nodes: 4, gateways: 2, settings: Settings);
        var before = await WriteKeysAsync(cluster);
        var held = HoldScans(cluster.SecondLinks.Values);
        var removing = cluster.Cluster(2).RemoveNodeAsync(new RemoveNodeRequest { Name = "node-1" }).ResponseAsync;
        await WaitUntilAsync(() => Task.FromResult(cluster.SecondLinks.Values.Sum(link => link.Scans) > 0));

        // Gateway 2 is cut off from the nodes' configuration calls: its renewals fail, its lease lapses, gateway 1 takes over.
        foreach (var link in cluster.SecondLinks.Values)
        {
            link.RefusedMethods = ["ProposeClusterConfig"];
        }

        await cluster.AdvanceUntilAsync(async () => await EndedAsync(cluster.Cluster(1)), PollStep, maxSteps: 60);
        foreach (var link in cluster.SecondLinks.Values)
        {
            link.RefusedMethods = [];
        }

        held.SetResult();
        var error = await Assert.ThrowsAsync<RpcException>(() => removing.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        Assert.Contains("lapsed and gateway 'gateway-1' took it over (the cluster is at epoch 3)", error.Status.Detail, StringComparison.Ordinal);
        var config = await cluster.Node("node-2").GetClusterConfigAsync(new GetClusterConfigRequest());
        Assert.Equal(3UL, config.Epoch);
        Assert.Equal(["node-2", "node-3", "node-4"], config.Config.Members.Select(m => m.Name));
        var topology = await TopologyAsync(cluster.Cluster(2));
        Assert.Equal(3UL, topology.Epoch);
        Assert.Equal(["node-2", "node-3", "node-4"], topology.Nodes.Select(n => n.Name));
        await AssertMovedKeysAreAtTheirNewOwnersAsync(cluster, before);
    }

    [Fact]
    public async Task AChangeWhoseNewRingCouldNotBeCommittedIsFinishedByATakeoverLater()
    {
        using var cluster = new GatewayCluster(nodes: 4, gateways: 2, settings: Settings);
        var before = await WriteKeysAsync(cluster);
        var held = HoldScans(cluster.Links.Values);
        var removing = cluster.Cluster(1).RemoveNodeAsync(new RemoveNodeRequest { Name = "node-1" }).ResponseAsync;
        await WaitUntilAsync(() => Task.FromResult(cluster.Links.Values.Sum(link => link.Scans) > 0));

        // The nodes refuse gateway 1's proposals for a while: the copy lands, the new ring does not commit.
        foreach (var link in cluster.Links.Values)
        {
            link.RefusedMethods = ["ProposeClusterConfig"];
        }

        held.SetResult();
        var error = await Assert.ThrowsAsync<RpcException>(() => removing);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("the data is copied but the new ring is not committed: the change stays halfway until its lease lapses", error.Status.Detail, StringComparison.Ordinal);
        var halfway = await cluster.Node("node-2").GetClusterConfigAsync(new GetClusterConfigRequest());
        Assert.Equal(1UL, halfway.Epoch);
        Assert.Equal(ClusterMemberState.Leaving, halfway.Config.Members.Single(m => m.Name == "node-1").State);

        foreach (var link in cluster.Links.Values)
        {
            link.RefusedMethods = [];
        }

        await cluster.AdvanceUntilAsync(
            async () => await EndedAsync(cluster.Cluster(1)) && await EndedAsync(cluster.Cluster(2)), PollStep, maxSteps: 60);
        foreach (var gateway in new[] { 1, 2 })
        {
            var topology = await TopologyAsync(cluster.Cluster(gateway));
            Assert.Equal(["node-2", "node-3", "node-4"], topology.Nodes.Select(n => n.Name));
            Assert.Equal(3UL, topology.Epoch);
        }

        await AssertMovedKeysAreAtTheirNewOwnersAsync(cluster, before);
    }

    [Fact]
    public async Task OfTwoGatewaysTakingOverTheSameChangeExactlyOneWins()
    {
        using var cluster = new GatewayCluster(nodes: 3, gateways: 2, settings: Settings);

        // As a gateway that died copying would leave it: node-3 leaving at epoch 1, the lease lapsed a minute ago.
        var lapsed = cluster.Time.GetUtcNow().AddMinutes(-1).ToUnixTimeMilliseconds();
        await CommitAsync(cluster, Halfway("gateway-9", lapsed, leaving: "node-3"), "node-1", "node-2", "node-3");
        foreach (var gateway in new[] { 1, 2 })
        {
            var services = cluster.ServicesOf(gateway);
            var configs = services.GetRequiredService<ClusterConfigClient>();
            await services.GetRequiredService<ClusterMembership>().ChangeAsync(_ => configs.ReloadAsync(CancellationToken.None), CancellationToken.None);
        }

        var outcomes = await Task.WhenAll(Enumerable.Range(1, 2).Select(gateway => cluster.ServicesOf(gateway).GetRequiredService<ClusterAdmin>().TakeOverAsync(CancellationToken.None)));

        Assert.Single(outcomes, outcome => outcome == TakeoverOutcome.Finished);
        Assert.Single(outcomes, outcome => outcome == TakeoverOutcome.Refused);
        var winner = outcomes[0] == TakeoverOutcome.Finished ? "gateway-1" : "gateway-2";
        var config = await cluster.Node("node-1").GetClusterConfigAsync(new GetClusterConfigRequest());
        Assert.Equal(3UL, config.Epoch);
        Assert.Equal(winner, config.Config.ChangedBy);
        await cluster.AdvanceUntilAsync(async () => (await TopologyAsync(cluster.Cluster(1))).Epoch == 3 && (await TopologyAsync(cluster.Cluster(2))).Epoch == 3, PollStep);
        Assert.Equal(["node-1", "node-2"], (await TopologyAsync(cluster.Cluster(2))).Nodes.Select(n => n.Name));
    }

    [Fact]
    public async Task AChangeLeftHalfwayWithoutALeaseIsFinishedAtTheFirstPoll()
    {
        using var cluster = new GatewayCluster(nodes: 3, spares: 1, gateways: 2, settings: Settings);

        // As a gateway of an older version would leave it: node-4 joining at epoch 1, no lease.
        await CommitAsync(cluster, Halfway("gateway-1", 0, joining: "node-4"), "node-1", "node-2", "node-3", "node-4");

        await cluster.AdvanceUntilAsync(async () => (await TopologyAsync(cluster.Cluster(1))).Epoch == 3 && (await TopologyAsync(cluster.Cluster(2))).Epoch == 3, PollStep);
        Assert.Equal(["node-1", "node-2", "node-3", "node-4"], (await TopologyAsync(cluster.Cluster(1))).Nodes.Select(n => n.Name));
        Assert.Equal(["node-1", "node-2", "node-3", "node-4"], (await TopologyAsync(cluster.Cluster(2))).Nodes.Select(n => n.Name));
        Assert.All((await TopologyAsync(cluster.Cluster(2))).Nodes, node => Assert.Equal(NodeState.Up, node.State));
    }

    [Fact]
    public void AChangeLeaseNoLongerThanThePollIntervalIsRefusedAtStart()
    {
        var options = new GatewayOptions();
        options.ClusterConfig.ChangeLease = options.ClusterConfig.PollInterval;

        var result = new ClusterConfigOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Gateway:ClusterConfig:ChangeLease must be above PollInterval (00:00:01)", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new ClusterConfigOptionsValidator().Validate(null, new GatewayOptions()).Succeeded);
    }

    [Fact]
    public void AConfigurationWithANegativeLeaseIsNotRoutedBy()
    {
        var config = Halfway("gateway-9", -1, leaving: "node-3");

        Assert.Equal("lease_until_unix_ms: must not be negative, got -1", ClusterConfigs.Check(config));
        config.LeaseUntilUnixMs = 0;
        Assert.Null(ClusterConfigs.Check(config));
    }

    // Writes 100 keys at ALL through gateway 1; returns each key's replicas.
    private static async Task<Dictionary<string, string[]>> WriteKeysAsync(GatewayCluster cluster)
    {
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        var owners = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var i = 0; i < 100; i++)
        {
            var key = $"k{i}";
            await cache.PutAsync(new PutRequest { Key = key, Text = $"v{i}", Consistency = V1.Consistency.All });
            owners[key] = [.. (await cluster.Cluster(1).LocateAsync(new LocateRequest { Tenant = "bulk", Key = key })).Nodes];
        }

        return owners;
    }

    // Every key that has a replica it did not have before the change is held there (copied, as nothing wrote it since).
    private static async Task AssertMovedKeysAreAtTheirNewOwnersAsync(GatewayCluster cluster, Dictionary<string, string[]> before)
    {
        var moved = 0;
        foreach (var (key, owners) in before)
        {
            var now = (await cluster.Cluster(1).LocateAsync(new LocateRequest { Tenant = "bulk", Key = key })).Nodes;
            foreach (var owner in now.Except(owners))
            {
                var stored = await cluster.Node(owner).GetAsync(new Cache.V1.GetRequest { Key = $"bulk/{key}" });
                Assert.True(stored.Found, $"{key} is not on its new replica {owner}");
                Assert.Equal($"v{key[1..]}", stored.Entry.Value.ToStringUtf8());
                moved++;
            }
        }

        Assert.True(moved > 0);
    }

    private static TaskCompletionSource HoldScans(IEnumerable<GatewayCluster.SwitchableHandler> links)
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var link in links)
        {
            link.ScanHold = held;
        }

        return held;
    }

    // A configuration halfway through a change of gateway `driver`, over node-1 to node-3 (and `joining`).
    private static ClusterConfig Halfway(string driver, long leaseUntilUnixMs, string? leaving = null, string? joining = null)
    {
        var config = new ClusterConfig { Epoch = 1, ChangedBy = driver, LeaseUntilUnixMs = leaseUntilUnixMs };
        foreach (var name in new[] { "node-1", "node-2", "node-3" })
        {
            config.Members.Add(name == leaving
                ? new ClusterMember { Name = name, Address = $"http://{name}", Weight = 1, NextWeight = 0, State = ClusterMemberState.Leaving }
                : new ClusterMember { Name = name, Address = $"http://{name}", Weight = 1, NextWeight = 1, State = ClusterMemberState.Active });
        }

        if (joining is not null)
        {
            config.Members.Add(new ClusterMember { Name = joining, Address = $"http://{joining}", Weight = 0, NextWeight = 1, State = ClusterMemberState.Joining });
        }

        return config;
    }

    private static async Task CommitAsync(GatewayCluster cluster, ClusterConfig config, params string[] nodes)
    {
        foreach (var node in nodes)
        {
            await cluster.Node(node).CommitClusterConfigAsync(new CommitClusterConfigRequest { Config = config });
        }
    }

    private static async Task<ulong> EpochAsync(GatewayCluster cluster, string node) =>
        (await cluster.Node(node).GetClusterConfigAsync(new GetClusterConfigRequest())).Epoch;

    // True when the gateway routes by a configuration past the change (epoch 1) and its takeover (epoch 2).
    private static async Task<bool> EndedAsync(V1.Cluster.ClusterClient client) => await TopologyAsync(client) is { Epoch: >= 3, ChangeLeaseUntil: null };

    private static async Task<Topology> TopologyAsync(V1.Cluster.ClusterClient client) =>
        (await client.GetTopologyAsync(new GetTopologyRequest())).Topology;

    // Counts gateway 1's takeovers that finished a change, by outcome.
    private static MeterListener ListenToTakeovers(GatewayCluster cluster, List<string> outcomes)
    {
        var factory = cluster.GatewayServices.GetRequiredService<IMeterFactory>();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "gateway.cluster.change_takeovers" && instrument.Meter.Scope == factory)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome")
                {
                    lock (outcomes)
                    {
                        outcomes.Add((string)tag.Value!);
                    }
                }
            }
        });
        listener.Start();
        return listener;
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
}
