using System.Collections.Concurrent;
using Grpc.Core;
using Microservices.Gateway.V1;

namespace Microservices.SystemTests;

/// <summary>A node is killed (SIGKILL) under QUORUM writes from several clients, then started again.</summary>
[Collection(ResilienceAppHostTests.Name)]
public sealed class ResilienceSystemTests(ResilienceAppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task NoAcknowledgedWriteIsLostAndTheNodeCatchesUpWhenItReturns()
    {
        var cache = fixture.Gateway(i => new Gateway.V1.Cache.CacheClient(i));
        var cluster = fixture.Gateway(i => new Cluster.ClusterClient(i), "dev-admin-key");
        var victim = "cache-node-2";
        var acknowledged = new ConcurrentDictionary<string, (string Value, Cache.V1.Version Version)>();
        using var stop = new CancellationTokenSource();

        // Four clients write at QUORUM, 30 keys each, over and over (within the dev tenant's rate: about 8/s).
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"kill-{w}-{i % 30}";
                try
                {
                    var put = await cache.PutAsync(new PutRequest { Key = key, Text = $"{i}" }).ResponseAsync.WaitAsync(Timeout);
                    acknowledged[key] = ($"{i}", put.Version);
                }
                catch (RpcException)
                {
                    // Not acknowledged (rate limit or too few replicas): not counted.
                }

                await Task.Delay(400);
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(4));
        await fixture.KillAsync(victim);
        await Task.Delay(TimeSpan.FromSeconds(8));
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        // Failed calls make it SUSPECT; failed probes (every second while SUSPECT) make it DOWN.
        var state = NodeState.Unspecified;
        for (var attempt = 0; attempt < 30 && state != NodeState.Down; attempt++)
        {
            var current = await cluster.GetTopologyAsync(new GetTopologyRequest()).ResponseAsync.WaitAsync(Timeout);
            state = current.Topology.Nodes.Single(n => n.Name == victim).State;
            await Task.Delay(state == NodeState.Down ? 0 : 1000);
        }

        Assert.Equal(NodeState.Down, state);

        var lost = new List<string>();
        foreach (var (key, (value, _)) in acknowledged)
        {
            var read = await cache.GetAsync(new GetRequest { Key = key }).ResponseAsync.WaitAsync(Timeout);
            if (read.Text != value)
            {
                lost.Add($"{key}: wrote {value}, read {(read.Found ? read.Text : "nothing")}");
            }

            await Task.Delay(100);
        }

        Assert.True(acknowledged.Count >= 60, $"only {acknowledged.Count} keys were acknowledged");
        Assert.Empty(lost);

        // The node comes back (empty: nodes keep data in memory). A probe re-admits it, its hints are replayed and
        // its arcs copied from the other replicas, so a direct read shows the latest version of each key it holds.
        await fixture.StartAsync(victim);
        var node = new Cache.V1.CacheNode.CacheNodeClient(fixture.Channel(victim));
        var owned = new List<string>();
        foreach (var key in acknowledged.Keys)
        {
            var placement = await cluster.LocateAsync(new LocateRequest { Key = key, Tenant = "dev" }).ResponseAsync.WaitAsync(Timeout);
            if (placement.Nodes.Contains(victim))
            {
                owned.Add(key);
            }
        }

        Assert.NotEmpty(owned);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        List<string> behind;
        do
        {
            await Task.Delay(1000);
            behind = [];
            foreach (var key in owned)
            {
                var direct = await node.GetAsync(new Cache.V1.GetRequest { Key = $"dev/{key}" }).ResponseAsync.WaitAsync(Timeout);
                if (!direct.Found || !direct.Entry.Version.Equals(acknowledged[key].Version))
                {
                    behind.Add(key);
                }
            }
        }
        while (behind.Count > 0 && DateTime.UtcNow < deadline);

        Assert.Empty(behind);

        // RECOVERING (written, not read) until its hints and resync have landed, UP a moment after the last copy. The
        // copies may have come from the other gateway: this one re-admits the node at its next probe, which backs off
        // to Gateway:MaxProbeInterval (30 s) while the node is DOWN.
        state = NodeState.Unspecified;
        for (var attempt = 0; attempt < 120 && state != NodeState.Up; attempt++)
        {
            var topology = await cluster.GetTopologyAsync(new GetTopologyRequest()).ResponseAsync.WaitAsync(Timeout);
            state = topology.Topology.Nodes.Single(n => n.Name == victim).State;
            await Task.Delay(state == NodeState.Up ? 0 : 500);
        }

        Assert.Equal(NodeState.Up, state);
    }

    [Fact]
    public async Task TheSpareNodeJoinsWhileWritesContinueAndOwnsAQuarterOfTheRing()
    {
        var cache = fixture.Gateway(i => new Gateway.V1.Cache.CacheClient(i));
        var cluster = fixture.Gateway(i => new Cluster.ClusterClient(i), "dev-admin-key");
        var acknowledged = new ConcurrentDictionary<string, Cache.V1.Version>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"join-{w}-{i % 40}";
                try
                {
                    acknowledged[key] = (await cache.PutAsync(new PutRequest { Key = key, Text = $"{i}" }).ResponseAsync.WaitAsync(Timeout)).Version;
                }
                catch (RpcException)
                {
                    // Not acknowledged: not counted.
                }

                await Task.Delay(300);
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(3));
        // The dashboard's "Join cluster" command: start the spare, wait until healthy, AddNode.
        var joinedBy = await fixture.ExecuteCommandAsync("cache-node-4", "join-cluster");
        Assert.Contains("cache-node-4 joined", joinedBy);
        await Task.Delay(TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        var topology = await cluster.GetTopologyAsync(new GetTopologyRequest()).ResponseAsync.WaitAsync(Timeout);
        var joined = topology.Topology.Nodes.Single(n => n.Name == "cache-node-4");
        Assert.Equal(NodeState.Up, joined.State);
        Assert.InRange(joined.Ownership, 0.15, 0.35);

        // Read from the new node directly first (before any read could repair it), then through the gateway.
        var node = new Cache.V1.CacheNode.CacheNodeClient(fixture.Channel("cache-node-4"));
        var owned = 0;
        foreach (var (key, version) in acknowledged)
        {
            var placement = await cluster.LocateAsync(new LocateRequest { Key = key, Tenant = "dev" }).ResponseAsync.WaitAsync(Timeout);
            if (placement.Nodes.Contains("cache-node-4"))
            {
                owned++;
                var direct = await node.GetAsync(new Cache.V1.GetRequest { Key = $"dev/{key}" }).ResponseAsync.WaitAsync(Timeout);
                Assert.True(direct.Found && direct.Entry.Version.Equals(version), $"cache-node-4 is behind on {key}");
            }
        }

        Assert.True(owned > 0);
        foreach (var (key, version) in acknowledged)
        {
            var read = await cache.GetAsync(new GetRequest { Key = key }).ResponseAsync.WaitAsync(Timeout);
            Assert.Equal(version, read.Version);
            await Task.Delay(100);
        }
    }
}
