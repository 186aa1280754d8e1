using Google.Protobuf.WellKnownTypes;
using Microservices.Gateway.Replication;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace Microservices.Gateway.Tests;

/// <summary>Hint replay: what is refused for good is dropped, the rest (expired values as their versions) is delivered, in pages that fit.</summary>
public sealed class HintReplayTests
{
    // node-1 misses a Put with `ttl` and an Invalidate of a key it holds; both are kept as hints for it.
    private static async Task<HintStore> MissTwoWritesAsync(GatewayCluster cluster, Duration ttl)
    {
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        await cache.PutAsync(new PutRequest { Key = "gone", Text = "v", Consistency = V1.Consistency.All });
        cluster.Links["node-1"].Down = true;
        await cache.PutAsync(new PutRequest { Key = "short", Text = "v", Ttl = ttl });
        await cache.InvalidateAsync(new InvalidateRequest { Key = "gone" });
        var hints = cluster.GatewayServices.GetRequiredService<HintStore>();
        await cluster.AdvanceUntilAsync(() => Task.FromResult(hints.CountFor("node-1") == 2), TimeSpan.Zero);
        return hints;
    }

    // node-1 answers again; its hints are replayed when it is UP (at once, or by the 10 s sweep).
    private static async Task ReplayAsync(GatewayCluster cluster, HintStore hints)
    {
        cluster.Links["node-1"].Down = false;
        await cluster.AdvanceUntilAsync(async () => await cluster.StateOfAsync("node-1") == NodeState.Up, TimeSpan.FromMilliseconds(200));
        await cluster.AdvanceUntilAsync(() => Task.FromResult(hints.CountFor("node-1") == 0), TimeSpan.FromMilliseconds(200));
    }

    private static async Task<Cache.V1.Entry?> HeldAsync(GatewayCluster cluster, string storedKey)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var reply = await cluster.Node("node-1").GetAsync(new Cache.V1.GetRequest { Key = storedKey, IncludeTombstone = true });
            if (reply.Entry?.Tombstone == true || DateTime.UtcNow > deadline)
            {
                return reply.Entry;
            }

            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task AnExpiredHintIsDeliveredAsItsVersionSoTheOlderValueTheNodeHeldCannotWin()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        await cache.PutAsync(new PutRequest { Key = "short", Text = "old", Consistency = V1.Consistency.All });
        var hints = await MissTwoWritesAsync(cluster, Duration.FromTimeSpan(TimeSpan.FromSeconds(1)));
        var newer = (await cluster.Node("node-2").GetAsync(new Cache.V1.GetRequest { Key = "alpha/short" })).Entry.Version;

        // The node stays away 2.5 s: the newer Put's value has expired everywhere by then.
        cluster.Time.Advance(TimeSpan.FromSeconds(2.5));
        await ReplayAsync(cluster, hints);

        Assert.True((await HeldAsync(cluster, "alpha/gone"))?.Tombstone);
        var held = await HeldAsync(cluster, "alpha/short");
        Assert.True(held?.Tombstone);
        Assert.Equal(newer, held!.Version);
        Assert.Equal(0, hints.Discarded);
        foreach (var level in new[] { V1.Consistency.One, V1.Consistency.Quorum, V1.Consistency.All })
        {
            Assert.False((await cache.GetAsync(new GetRequest { Key = "short", Consistency = level })).Found);
        }
    }

    [Fact]
    public async Task AHintTheNodeRefusesForGoodIsDroppedAndCountedAndTheOthersAreDelivered()
    {
        using var cluster = new GatewayCluster();
        var hints = await MissTwoWritesAsync(cluster, Duration.FromTimeSpan(TimeSpan.FromMinutes(1)));

        // A hint whose version is from far ahead of every clock (written elsewhere, say): the node refuses that item
        // of the page for good, and takes the others.
        var future = HybridTime.FromWallMilliseconds(cluster.Time.GetUtcNow().AddYears(50).ToUnixTimeMilliseconds());
        hints.Add("node-1", new Cache.V1.Entry
        {
            Key = "alpha/future", KeyHash = KeyHash.Of("alpha/future"), Value = Google.Protobuf.ByteString.CopyFromUtf8("f"),
            Kind = Cache.V1.ValueKind.Text, Version = new Cache.V1.Version { Timestamp = future, Writer = "elsewhere" },
        });
        // A replay the background replayer had already begun may have missed the hint added since: replay again
        // until it is refused (a few passes at most).
        for (var pass = 0; pass < 10 && hints.Discarded == 0; pass++)
        {
            await ReplayAsync(cluster, hints);
        }

        Assert.True((await HeldAsync(cluster, "alpha/gone"))?.Tombstone);
        Assert.Equal("v", (await cluster.Node("node-1").GetAsync(new Cache.V1.GetRequest { Key = "alpha/short" })).Entry.Value.ToStringUtf8());
        Assert.Null((await cluster.Node("node-1").GetAsync(new Cache.V1.GetRequest { Key = "alpha/future", IncludeTombstone = true })).Entry);
        Assert.Equal(1, hints.Discarded);

        // Never retried: the sweep finds nothing more to replay.
        var calls = cluster.Links["node-1"].Calls;
        cluster.Time.Advance(TimeSpan.FromSeconds(30));
        await Task.Delay(200);
        Assert.Equal(0, hints.CountFor("node-1"));
        Assert.Equal(calls, cluster.Links["node-1"].Calls);
    }

    [Fact]
    public async Task HintsOfMoreBytesThanOneMessageAreReplayedInPagesThatFit()
    {
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:MaxValueBytes"] = "1048576" });
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        cluster.Links["node-1"].Down = true;
        var value = Google.Protobuf.ByteString.CopyFrom(new byte[1024 * 1024]);
        for (var i = 0; i < 20; i++)
        {
            await cache.PutAsync(new PutRequest { Key = $"big{i}", Data = value });
        }

        var hints = cluster.GatewayServices.GetRequiredService<HintStore>();
        await cluster.AdvanceUntilAsync(() => Task.FromResult(hints.CountFor("node-1") == 20), TimeSpan.Zero);
        await ReplayAsync(cluster, hints);

        for (var i = 0; i < 20; i++)
        {
            var held = await cluster.Node("node-1").GetAsync(new Cache.V1.GetRequest { Key = $"bulk/big{i}" });
            Assert.Equal(value.Length, held.Entry.Value.Length);
        }
    }
}
