using Grpc.Core;
using Microservices.Gateway.Replication;
using Microservices.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;

namespace Microservices.Gateway.Tests;

/// <summary>Failure detection, stand-ins with hinted handoff, read repair and dual writes, in process.</summary>
public sealed class ResilienceTests
{
    private static readonly string[] FourNodes = ["node-1", "node-2", "node-3", "node-4"];

    private static Task<NodeState> StateOfAsync(GatewayCluster cluster, string node) => cluster.StateOfAsync(node);

    private static async Task<string> OwnerOfAsync(GatewayCluster cluster, string key, string tenant = "alpha") =>
        (await cluster.Cluster().LocateAsync(new LocateRequest { Key = key, Tenant = tenant })).Nodes[0];

    private static Task AdvanceUntilAsync(GatewayCluster cluster, Func<Task<bool>> condition, TimeSpan step, int maxSteps = 100) =>
        cluster.AdvanceUntilAsync(condition, step, maxSteps);

    // Reads a stored key straight from a node until it holds `text` (work in the background lands a moment later).
    private static async Task<Cache.V1.GetResponse> ReadDirectlyAsync(GatewayCluster cluster, string node, string storedKey, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        Cache.V1.GetResponse direct;
        do
        {
            await Task.Delay(20);
            direct = await cluster.Node(node).GetAsync(new Cache.V1.GetRequest { Key = storedKey });
        }
        while (direct.Entry?.Value.ToStringUtf8() != text && DateTime.UtcNow < deadline);

        return direct;
    }

    [Fact]
    public async Task ANodeThatStopsAnsweringGoesSuspectThenDownAndIsSkipped()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        cluster.Links["node-1"].Down = true;

        // Three failed calls (one per write that reaches node-1) take it to DOWN.
        for (var i = 0; await StateOfAsync(cluster, "node-1") != NodeState.Down; i++)
        {
            Assert.True(i < 50, "node-1 never went DOWN");
            await cache.PutAsync(new PutRequest { Key = $"k{i}", Text = "v" });
        }

        var calls = cluster.Links["node-1"].Calls;
        for (var i = 0; i < 20; i++)
        {
            await cache.PutAsync(new PutRequest { Key = $"after{i}", Text = "v" });
            await cache.GetAsync(new GetRequest { Key = $"after{i}" });
        }

        Assert.Equal(calls, cluster.Links["node-1"].Calls);
    }

    [Fact]
    public async Task TimeoutsMakeANodeSuspectButNotDown()
    {
        // A timeout of 1 s, not less: the last Put at ALL must not time out on a loaded machine.
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:ReplicaTimeout"] = "00:00:01" });
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        cluster.Links["node-1"].Delay = TimeSpan.FromSeconds(3);
        for (var i = 0; i < 10; i++)
        {
            await cache.PutAsync(new PutRequest { Key = $"slow{i}", Text = "v" });
        }

        // The writes returned after two fast acknowledgements; node-1's calls time out after them.
        await Task.Delay(1500);

        // Every call to node-1 timed out, yet it is only SUSPECT: an overloaded gateway times out on every node.
        Assert.Equal(NodeState.Suspect, await StateOfAsync(cluster, "node-1"));
        cluster.Links["node-1"].Delay = TimeSpan.Zero;
        await cache.PutAsync(new PutRequest { Key = "fast", Text = "v", Consistency = V1.Consistency.All });
        Assert.Equal(NodeState.Up, await StateOfAsync(cluster, "node-1"));
    }

    [Fact]
    public async Task ADownNodeComesBackOnlyWhenItAnswersAProbe()
    {
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:ProbeInterval"] = "00:00:01" });
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        cluster.Links["node-2"].Down = true;
        for (var i = 0; await StateOfAsync(cluster, "node-2") != NodeState.Down; i++)
        {
            await cache.PutAsync(new PutRequest { Key = $"k{i}", Text = "v" });
        }

        // Probes keep failing while the link is down; the backoff grows, and the node stays DOWN.
        cluster.Time.Advance(TimeSpan.FromSeconds(10));
        await Task.Delay(100);
        Assert.Equal(NodeState.Down, await StateOfAsync(cluster, "node-2"));

        // The node answers again: requests still skip it (no blind re-admission) until a probe succeeds.
        cluster.Links["node-2"].Down = false;
        var calls = cluster.Links["node-2"].Calls;
        await cache.PutAsync(new PutRequest { Key = "still-skipped", Text = "v" });
        Assert.Equal(calls, cluster.Links["node-2"].Calls);
        Assert.Equal(NodeState.Down, await StateOfAsync(cluster, "node-2"));

        await AdvanceUntilAsync(cluster, async () => await StateOfAsync(cluster, "node-2") == NodeState.Up, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task WritesMissedByADownReplicaAreReplayedWhenItReturns()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var owner = await OwnerOfAsync(cluster, "hinted");
        await cache.PutAsync(new PutRequest { Key = "hinted", Text = "v1" });
        cluster.Links[owner].Down = true;

        // QUORUM still succeeds on the other two; the owner gets a hint for each write it missed (as its call fails,
        // which may be just after the write is acknowledged).
        var latest = await cache.PutAsync(new PutRequest { Key = "hinted", Text = "v2" });
        await cache.PutAsync(new PutRequest { Key = "hinted", Text = "v3" });
        latest = await cache.PutAsync(new PutRequest { Key = "hinted", Text = "v4" });
        var hints = cluster.GatewayServices.GetRequiredService<HintStore>();
        await AdvanceUntilAsync(cluster, () => Task.FromResult(hints.CountFor(owner) >= 3), TimeSpan.Zero);

        cluster.Links[owner].Down = false;
        await AdvanceUntilAsync(cluster, async () => await StateOfAsync(cluster, owner) == NodeState.Up, TimeSpan.FromSeconds(1));
        await AdvanceUntilAsync(cluster, () => Task.FromResult(hints.CountFor(owner) == 0), TimeSpan.FromMilliseconds(100));

        // The hints leave the store when their page is sent; the page lands a moment later.
        Cache.V1.GetResponse direct = new();
        await AdvanceUntilAsync(cluster, async () =>
        {
            direct = await cluster.Node(owner).GetAsync(new Cache.V1.GetRequest { Key = "alpha/hinted" });
            return direct.Entry.Value.ToStringUtf8() == "v4";
        }, TimeSpan.FromMilliseconds(100));
        Assert.Equal(latest.Version, direct.Entry.Version);
    }

    [Fact]
    public async Task AStandInTakesTheWritesOfADownReplicaWithoutCountingForIt()
    {
        using var cluster = new GatewayCluster(nodes: 4);
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var preference = (await cluster.Cluster().LocateAsync(new LocateRequest { Key = "sloppy", Tenant = "alpha" })).Nodes;
        var standIn = FourNodes.Except(preference).Single();
        cluster.Links[preference[0]].Down = true;
        for (var i = 0; await StateOfAsync(cluster, preference[0]) != NodeState.Down; i++)
        {
            await cache.PutAsync(new PutRequest { Key = $"k{i}", Text = "v" });
        }

        // QUORUM is met by the two live replicas; the stand-in holds a copy for the DOWN one, which gets a hint.
        var put = await cache.PutAsync(new PutRequest { Key = "sloppy", Text = "v" });
        Assert.Equal(preference.Skip(1).Order(), put.AcknowledgedBy.Order());
        Assert.Equal("v", (await ReadDirectlyAsync(cluster, standIn, "alpha/sloppy", "v")).Entry.Value.ToStringUtf8());

        // ALL needs the DOWN replica too: the stand-in's copy does not count.
        var all = await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(new PutRequest { Key = "sloppy", Text = "v2", Consistency = V1.Consistency.All }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, all.StatusCode);
        Assert.Contains($"{preference[0]}: DOWN", all.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadRepairFixesAStaleReplica()
    {
        // No hints here, so only read repair can bring the stale replica up to date.
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:MaxHints"] = "0" });
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var preference = (await cluster.Cluster().LocateAsync(new LocateRequest { Key = "repair", Tenant = "alpha" })).Nodes;
        await cache.PutAsync(new PutRequest { Key = "repair", Text = "old", Consistency = V1.Consistency.All });
        var stale = preference[2];
        cluster.Links[stale].Down = true;
        var latest = await cache.PutAsync(new PutRequest { Key = "repair", Text = "new" });
        cluster.Links[stale].Down = false;
        Assert.Equal("old", (await cluster.Node(stale).GetAsync(new Cache.V1.GetRequest { Key = "alpha/repair" })).Entry.Value.ToStringUtf8());

        var read = await cache.GetAsync(new GetRequest { Key = "repair", Consistency = V1.Consistency.All });
        Assert.Equal("new", read.Text);

        var direct = await ReadDirectlyAsync(cluster, stale, "alpha/repair", "new");

        Assert.Equal(latest.Version, direct.Entry.Version);
        Assert.True(cluster.GatewayServices.GetRequiredService<ReplicaCoordinator>().ReadRepairs >= 1);
    }

    [Fact]
    public async Task ReadRepairFixesStaleReplicasFoundByAMultiGet()
    {
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:MaxHints"] = "0" });
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var preference = (await cluster.Cluster().LocateAsync(new LocateRequest { Key = "many", Tenant = "alpha" })).Nodes;
        await cache.PutAsync(new PutRequest { Key = "many", Text = "old", Consistency = V1.Consistency.All });
        await cache.PutAsync(new PutRequest { Key = "other", Text = "same", Consistency = V1.Consistency.All });
        var stale = preference[2];
        cluster.Links[stale].Down = true;
        var latest = await cache.PutAsync(new PutRequest { Key = "many", Text = "new" });
        cluster.Links[stale].Down = false;
        var coordinator = cluster.GatewayServices.GetRequiredService<ReplicaCoordinator>();
        var repairsBefore = coordinator.ReadRepairs;

        var read = await cache.MultiGetAsync(new MultiGetRequest { Keys = { "other", "many" }, Consistency = V1.Consistency.All });
        Assert.Equal(["same", "new"], read.Items.Select(item => item.Text));

        var direct = await ReadDirectlyAsync(cluster, stale, "alpha/many", "new");

        Assert.Equal(latest.Version, direct.Entry.Version);
        Assert.Equal(1, coordinator.ReadRepairs - repairsBefore); // "other" agreed everywhere: nothing to repair
    }

    [Fact]
    public async Task NothingAcknowledgedIsLostWhileANodeJoins()
    {
        using var cluster = new GatewayCluster(nodes: 3, spares: 1);
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource();
        var acks = 0;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"w{w}-{i % 200}";
                var value = $"{i}";
                try
                {
                    await cache.PutAsync(new PutRequest { Key = key, Text = value });
                    acknowledged[key] = value;
                    Interlocked.Increment(ref acks);
                }
                catch (RpcException)
                {
                    // Not acknowledged: not counted.
                }
            }
        })).ToArray();

        // Counted in writes, not time, so a busy machine only makes the test slower: 100 writes before, and 100 more
        // once the join is done (some of them while it runs).
        async Task WritesAsync(int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (Volatile.Read(ref acks) < count && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }
        }

        await WritesAsync(100);
        await cluster.Cluster().AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4" });
        await WritesAsync(Volatile.Read(ref acks) + 100);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        // Checked first, before reads could repair it: the new node holds the latest value of every key it owns,
        // including those written while it was joining (dual writes). A QUORUM write is acknowledged by two of the
        // three replicas, so the new node's copy of the last writes may still be on its way: it gets a few seconds.
        var owned = 0;
        foreach (var key in acknowledged.Keys.Take(200))
        {
            var preference = (await cluster.Cluster().LocateAsync(new LocateRequest { Key = key, Tenant = "bulk" })).Nodes;
            if (preference.Contains("node-4"))
            {
                owned++;
                var held = await NodeValueAsync(cluster, "node-4", $"bulk/{key}", acknowledged[key]);
                Assert.Equal(acknowledged[key], held);
            }
        }

        Assert.True(owned > 0);

        var lost = 0;
        foreach (var (key, value) in acknowledged)
        {
            var read = await cache.GetAsync(new GetRequest { Key = key });
            lost += read.Text == value ? 0 : 1;
        }

        Assert.Equal(0, lost);
        Assert.True(acknowledged.Count > 100, $"{acknowledged.Count} acknowledged");
    }

    // The value of storedKey on node once it is expected (or what it holds after 10 s).
    private static async Task<string?> NodeValueAsync(GatewayCluster cluster, string node, string storedKey, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var direct = await cluster.Node(node).GetAsync(new Cache.V1.GetRequest { Key = storedKey });
            var held = direct.Entry?.Value.ToStringUtf8();
            if (held == expected || DateTime.UtcNow > deadline)
            {
                return held;
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task HintsOutliveAGatewayRestartOfTheSameEpoch()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"gateway-{Guid.NewGuid():N}");
        var settings = new Dictionary<string, string?> { ["Gateway:DataPath"] = folder, ["Gateway:ClusterEpoch"] = "run-1" };
        try
        {
            string owner;
            PutResponse written;
            using (var first = new GatewayCluster(settings: settings))
            {
                owner = await OwnerOfAsync(first, "kept");
                first.Links[owner].Down = true;
                written = await first.Cache(GatewayCluster.AlphaKey).PutAsync(new PutRequest { Key = "kept", Text = "v1" });
                var hints = first.GatewayServices.GetRequiredService<HintStore>();
                await AdvanceUntilAsync(first, () => Task.FromResult(hints.CountFor(owner) == 1), TimeSpan.Zero, maxSteps: 500);
            }

            // The restarted gateway's nodes start empty: only the kept hint can bring the write to the owner. The
            // owner does not answer at first, so the replay at start fails; the hint waits and goes once it answers.
            using var restarted = new GatewayCluster(settings: settings);
            restarted.Links[owner].Down = true;
            _ = restarted.GatewayServices;
            await Task.Delay(200);
            restarted.Links[owner].Down = false;
            Cache.V1.GetResponse direct = new();
            await AdvanceUntilAsync(restarted, async () =>
            {
                direct = await restarted.Node(owner).GetAsync(new Cache.V1.GetRequest { Key = "alpha/kept" });
                return direct.Found;
            }, TimeSpan.FromSeconds(1), maxSteps: 500);
            Assert.Equal("v1", direct.Entry.Value.ToStringUtf8());
            Assert.Equal(written.Version, direct.Entry.Version);
            Assert.Equal(0, restarted.GatewayServices.GetRequiredService<HintStore>().CountFor(owner));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task MembershipChangesSurviveAGatewayRestartOfTheSameEpoch()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"gateway-{Guid.NewGuid():N}");
        Dictionary<string, string?> Settings(string epoch) => new() { ["Gateway:DataPath"] = folder, ["Gateway:ClusterEpoch"] = epoch };
        try
        {
            using (var first = new GatewayCluster(nodes: 3, settings: Settings("run-1"), spares: 1))
            {
                await first.Cluster().AddNodeAsync(new AddNodeRequest { Name = "node-4", Address = "http://node-4" });
                await first.Cluster().RemoveNodeAsync(new RemoveNodeRequest { Name = "node-1" });
            }

            using (var restarted = new GatewayCluster(nodes: 3, settings: Settings("run-1"), spares: 1))
            {
                var topology = await restarted.Cluster().GetTopologyAsync(new GetTopologyRequest());
                Assert.Equal(["node-2", "node-3", "node-4"], topology.Topology.Nodes.Select(n => n.Name).Order());
            }

            // A new epoch (a new AppHost run, whose nodes start as configured) starts from the configuration.
            using var fresh = new GatewayCluster(nodes: 3, settings: Settings("run-2"), spares: 1);
            var configured = await fresh.Cluster().GetTopologyAsync(new GetTopologyRequest());
            Assert.Equal(["node-1", "node-2", "node-3"], configured.Topology.Nodes.Select(n => n.Name).Order());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task GatewayHealthFollowsTheCluster()
    {
        using var cluster = new GatewayCluster();
        var health = cluster.GatewayServices.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>();
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);

        async Task TakeDownAsync(string node)
        {
            cluster.Links[node].Down = true;
            for (var i = 0; await StateOfAsync(cluster, node) != NodeState.Down; i++)
            {
                await cache.PutAsync(new PutRequest { Key = $"{node}-{i}", Text = "v" });
            }
        }

        await TakeDownAsync("node-1");
        var degraded = await health.CheckHealthAsync();
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded, degraded.Status);
        Assert.Contains("2 of 3 nodes up, 2 reachable", degraded.Entries["cluster"].Description);

        cluster.Links["node-2"].Down = true;
        for (var i = 0; await StateOfAsync(cluster, "node-2") != NodeState.Down; i++)
        {
            try
            {
                await cache.PutAsync(new PutRequest { Key = $"q-{i}", Text = "v" });
            }
            catch (RpcException)
            {
                // Quorum is lost on the way.
            }
        }

        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, (await health.CheckHealthAsync()).Status);
    }
}
