using Grpc.Core;
using Microservices.Gateway.Membership;
using Microservices.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;

namespace Microservices.Gateway.Tests;

/// <summary>A node back from DOWN, maybe restarted empty, is RECOVERING: written at once, read only once it is whole.</summary>
public sealed class RecoveringNodeTests
{
    private const string Victim = "node-1";

    // Keys whose first replica (the one a read at ONE asks) is the victim.
    private static async Task<List<string>> KeysOwnedByVictimAsync(GatewayCluster cluster, int count)
    {
        var keys = new List<string>();
        for (var i = 0; keys.Count < count; i++)
        {
            var placement = await cluster.Cluster().LocateAsync(new LocateRequest { Key = $"k{i}", Tenant = "alpha" });
            if (placement.Nodes[0] == Victim)
            {
                keys.Add($"k{i}");
            }
        }

        return keys;
    }

    // The victim stops answering: a read at ONE of its key fails over from it (SUSPECT), and its probes fail until it
    // is DOWN. No write misses it, so no hint is held for it.
    private static async Task KillVictimAsync(GatewayCluster cluster, string key)
    {
        cluster.Links[Victim].Down = true;
        await cluster.Cache(GatewayCluster.AlphaKey).GetAsync(new GetRequest { Key = key, Consistency = V1.Consistency.One });
        await cluster.AdvanceUntilAsync(async () => await cluster.StateOfAsync(Victim) == NodeState.Down, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task WhenEveryReplicaWasDownTheyAllTurnUpAgainAndServeWhatTheyHold()
    {
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:ProbeInterval"] = "00:00:01" });
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        await cache.PutAsync(new PutRequest { Key = "k", Text = "v", Consistency = V1.Consistency.All });
        var nodes = cluster.Links.Keys.ToArray();

        foreach (var node in nodes)
        {
            cluster.Links[node].Down = true;
        }

        // Reads fail on every replica (SUSPECT), then their probes fail until they are DOWN.
        await cluster.AdvanceUntilAsync(async () =>
        {
            await Assert.ThrowsAsync<RpcException>(async () => await cache.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.One }));
            return (await Task.WhenAll(nodes.Select(cluster.StateOfAsync))).All(s => s == NodeState.Down);
        }, TimeSpan.FromSeconds(1));
        foreach (var node in nodes)
        {
            cluster.Links[node].Down = false;
        }

        // Each is RECOVERING, with no readable replica to resync from but the others: they resync from each other.
        await cluster.AdvanceUntilAsync(async () => (await Task.WhenAll(nodes.Select(cluster.StateOfAsync))).All(s => s == NodeState.Up), TimeSpan.FromSeconds(5));
        Assert.Equal("v", (await cache.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.All })).Text);
    }

    [Fact]
    public async Task ANodeRestartedEmptyIsWrittenButNotReadUntilItsResyncHasLanded()
    {
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:ProbeInterval"] = "00:00:01" });
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var keys = await KeysOwnedByVictimAsync(cluster, 5);
        foreach (var key in keys)
        {
            await cache.PutAsync(new PutRequest { Key = key, Text = $"{key}-value", Consistency = V1.Consistency.All });
        }

        await KillVictimAsync(cluster, keys[0]);
        cluster.RestartEmpty(Victim);

        // It answers its probe again, but refuses the resync's copies for now, so it stays empty.
        cluster.Links[Victim].RefusedMethods = ["MultiPut"];
        cluster.Links[Victim].Down = false;
        await cluster.AdvanceUntilAsync(async () => await cluster.StateOfAsync(Victim) != NodeState.Down, TimeSpan.FromSeconds(1));

        // Reads at ONE never ask it (it is the keys' first replica, and empty: it would answer "absent"); it does
        // not count for a read level: QUORUM is served by the two whole replicas, ALL cannot be.
        for (var round = 0; round < 3; round++)
        {
            foreach (var key in keys)
            {
                var read = await cache.GetAsync(new GetRequest { Key = key, Consistency = V1.Consistency.One });
                Assert.True(read.Found, $"{key} read as absent from the empty node");
                Assert.Equal($"{key}-value", read.Text);
            }
        }

        Assert.Equal($"{keys[0]}-value", (await cache.GetAsync(new GetRequest { Key = keys[0], Consistency = V1.Consistency.Quorum })).Text);
        var all = await Assert.ThrowsAsync<RpcException>(async () =>
            await cache.GetAsync(new GetRequest { Key = keys[0], Consistency = V1.Consistency.All }));
        Assert.Equal(StatusCode.Unavailable, all.StatusCode);
        Assert.Equal(NodeState.Recovering, await cluster.StateOfAsync(Victim));

        // Writes reach it at once, and it counts for a write level: ALL needs all three.
        await cache.PutAsync(new PutRequest { Key = keys[1], Text = "newer", Consistency = V1.Consistency.All });
        var direct = await cluster.Node(Victim).GetAsync(new Cache.V1.GetRequest { Key = $"alpha/{keys[1]}" });
        Assert.Equal("newer", direct.Entry.Value.ToStringUtf8());

        // Once the copies land (the sweep tries again every 10 s), it is UP, whole, and read again.
        cluster.Links[Victim].RefusedMethods = [];
        await cluster.AdvanceUntilAsync(async () => await cluster.StateOfAsync(Victim) == NodeState.Up, TimeSpan.FromSeconds(5));
        foreach (var key in keys.Skip(2))
        {
            var held = await cluster.Node(Victim).GetAsync(new Cache.V1.GetRequest { Key = $"alpha/{key}" });
            Assert.Equal($"{key}-value", held.Entry.Value.ToStringUtf8());
        }

        Assert.Equal($"{keys[0]}-value", (await cache.GetAsync(new GetRequest { Key = keys[0], Consistency = V1.Consistency.All })).Text);
    }

    [Fact]
    public async Task RecoveringReplicasDoNotCountForAReadLevel()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        await cache.PutAsync(new PutRequest { Key = "levels", Text = "v", Consistency = V1.Consistency.All });
        var nodes = cluster.GatewayServices.GetRequiredService<ClusterMembership>().View.Nodes;

        nodes["node-1"].State = MemberState.Recovering;
        Assert.Equal("v", (await cache.GetAsync(new GetRequest { Key = "levels", Consistency = V1.Consistency.Quorum })).Text);
        var all = await Assert.ThrowsAsync<RpcException>(async () =>
            await cache.GetAsync(new GetRequest { Key = "levels", Consistency = V1.Consistency.All }));
        Assert.Equal(StatusCode.Unavailable, all.StatusCode);

        nodes["node-2"].State = MemberState.Recovering;
        Assert.Equal("v", (await cache.GetAsync(new GetRequest { Key = "levels", Consistency = V1.Consistency.One })).Text);
        var quorum = await Assert.ThrowsAsync<RpcException>(async () =>
            await cache.GetAsync(new GetRequest { Key = "levels", Consistency = V1.Consistency.Quorum }));
        Assert.Equal(StatusCode.Unavailable, quorum.StatusCode);
        Assert.Contains("RECOVERING", quorum.Status.Detail, StringComparison.Ordinal);

        // Writes still count them.
        await cache.PutAsync(new PutRequest { Key = "levels", Text = "w", Consistency = V1.Consistency.All });
    }

    [Fact]
    public async Task SuspectReplicasAreAskedLastForReads()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var keys = await KeysOwnedByVictimAsync(cluster, 3);
        foreach (var key in keys)
        {
            await cache.PutAsync(new PutRequest { Key = key, Text = "v", Consistency = V1.Consistency.All });
        }

        cluster.GatewayServices.GetRequiredService<ClusterMembership>().View.Nodes[Victim].State = MemberState.Suspect;
        var calls = cluster.Links[Victim].Calls;
        foreach (var key in keys)
        {
            Assert.Equal("v", (await cache.GetAsync(new GetRequest { Key = key, Consistency = V1.Consistency.One })).Text);
        }

        // A batch spreads its reads over the nodes that hold its keys (a different one each time), but not onto it.
        for (var batch = 0; batch < 3; batch++)
        {
            var read = await cache.MultiGetAsync(new MultiGetRequest { Keys = { keys }, Consistency = V1.Consistency.One });
            Assert.All(read.Items, item => Assert.Equal("v", item.Text));
        }

        Assert.Equal(calls, cluster.Links[Victim].Calls);
    }
}
