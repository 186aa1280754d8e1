using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using CacheVersion = Microservices.Cache.V1.Version;

namespace Microservices.Gateway.Tests;

/// <summary>
/// Anti-entropy finds replicas that differ and repairs them, without any read: replicas are diverged behind the
/// gateway's back (written, deleted or tombstoned on one node directly), then a pass runs.
/// </summary>
public sealed class AntiEntropyTests
{
    private static readonly Dictionary<string, string?> Unthrottled = new()
    {
        ["Gateway:AntiEntropy:RangesPerSecond"] = "1000000000",
        ["Gateway:AntiEntropy:BytesPerSecond"] = "1000000000000",
    };

    private static readonly string[] Nodes = ["node-1", "node-2", "node-3"];

    // Puts `count` keys at ALL, so every replica holds them.
    private static async Task<List<string>> SeedAsync(GatewayCluster cluster, int count)
    {
        var keys = Enumerable.Range(0, count).Select(i => $"seed-{i}").ToList();
        await cluster.Cache(GatewayCluster.AlphaKey).MultiPutAsync(new V1.MultiPutRequest
        {
            Items = { keys.Select(key => new V1.PutRequest { Key = key, Text = $"{key}-value" }) },
            Consistency = V1.Consistency.All,
        });
        return keys;
    }

    // A version newer than every one the gateway has stamped (its clock is the cluster's), within the nodes' offset.
    private static CacheVersion Newer(GatewayCluster cluster) => new()
    {
        Timestamp = HybridTime.FromWallMilliseconds(cluster.Time.GetUtcNow().ToUnixTimeMilliseconds() + 100),
        Writer = "behind-the-gateway",
    };

    private static Entry TextEntry(string key, string text, CacheVersion version) =>
        new() { Key = $"alpha/{key}", Value = ByteString.CopyFromUtf8(text), Kind = ValueKind.Text, Version = version };

    private static async Task<Entry?> HeldAsync(GatewayCluster cluster, string node, string key) =>
        (await cluster.Node(node).GetAsync(new Cache.V1.GetRequest { Key = $"alpha/{key}", IncludeTombstone = true })).Entry;

    private static async Task<AntiEntropyPass> RunPassAsync(GatewayCluster cluster) =>
        (await cluster.Cluster().RunAntiEntropyAsync(new RunAntiEntropyRequest())).Pass;

    [Fact]
    public async Task AValueWrittenToOneReplicaOnlyReachesTheOthersWithoutARead()
    {
        using var cluster = new GatewayCluster(settings: Unthrottled);
        var keys = await SeedAsync(cluster, 200);
        await cluster.Node("node-2").PutAsync(new Cache.V1.PutRequest { Entry = TextEntry(keys[17], "only-on-node-2", Newer(cluster)) });

        var pass = await RunPassAsync(cluster);

        Assert.True(pass.Complete);
        Assert.Equal(1UL, pass.RangesDivergent);
        Assert.Equal(2UL, pass.KeysRepaired);
        Assert.True(pass.RangesCompared >= 480, $"{pass.RangesCompared} ranges compared");
        foreach (var node in Nodes)
        {
            Assert.Equal("only-on-node-2", (await HeldAsync(cluster, node, keys[17]))!.Value.ToStringUtf8());
        }

        var status = await cluster.Cluster().GetAntiEntropyStatusAsync(new GetAntiEntropyStatusRequest());
        Assert.Equal(1UL, status.Passes);
        Assert.Equal(2UL, status.KeysRepaired);
        Assert.Equal(pass, status.LastPass);
        Assert.False(status.Running);
    }

    [Fact]
    public async Task ADifferenceInALargeArcIsNarrowedBeforeItIsScanned()
    {
        // One virtual node per node: three arcs of about 1000 keys each.
        using var cluster = new GatewayCluster(settings: new(Unthrottled) { ["Gateway:VirtualNodes"] = "1" });
        var keys = new List<string>();
        for (var batch = 0; batch < 3; batch++)
        {
            var part = Enumerable.Range(batch * 1000, 1000).Select(i => $"large-{i}").ToList();
            await cluster.Cache(GatewayCluster.AlphaKey).MultiPutAsync(new V1.MultiPutRequest
            {
                Items = { part.Select(key => new V1.PutRequest { Key = key, Text = "v" }) },
                Consistency = V1.Consistency.All,
            });
            keys.AddRange(part);
        }

        await cluster.Node("node-1").PutAsync(new Cache.V1.PutRequest { Entry = TextEntry(keys[1234], "newest", Newer(cluster)) });

        var pass = await RunPassAsync(cluster);

        Assert.Equal(3UL, pass.RangesCompared);
        Assert.Equal(1UL, pass.RangesDivergent);
        Assert.Equal(2UL, pass.KeysRepaired);

        // Only a sixteenth of the arc (at most 128 entries) was scanned on each replica, not the arc.
        Assert.InRange(pass.EntriesScanned, 3UL, 3UL * 128);
        Assert.Equal("newest", (await HeldAsync(cluster, "node-3", keys[1234]))!.Value.ToStringUtf8());
    }

    [Fact]
    public async Task AKeyMissingFromOneReplicaIsCopiedToIt()
    {
        using var cluster = new GatewayCluster(settings: Unthrottled);
        await SeedAsync(cluster, 100);
        var entry = TextEntry("two-of-three", "v", Newer(cluster));
        await cluster.Node("node-1").PutAsync(new Cache.V1.PutRequest { Entry = entry });
        await cluster.Node("node-3").PutAsync(new Cache.V1.PutRequest { Entry = entry });

        var pass = await RunPassAsync(cluster);

        Assert.Equal(1UL, pass.KeysRepaired);
        Assert.Equal("v", (await HeldAsync(cluster, "node-2", "two-of-three"))!.Value.ToStringUtf8());
    }

    [Fact]
    public async Task ADeleteOnOneReplicaOnlyReachesTheOthers()
    {
        using var cluster = new GatewayCluster(settings: Unthrottled);
        var keys = await SeedAsync(cluster, 100);
        await cluster.Node("node-3").DeleteAsync(new Cache.V1.DeleteRequest { Key = $"alpha/{keys[5]}", Version = Newer(cluster) });

        // A tombstone written as an entry, on another key and another node.
        await cluster.Node("node-1").PutAsync(new Cache.V1.PutRequest
        {
            Entry = new Entry { Key = $"alpha/{keys[6]}", Tombstone = true, Version = Newer(cluster) },
        });

        var pass = await RunPassAsync(cluster);

        Assert.Equal(4UL, pass.KeysRepaired);
        foreach (var node in Nodes)
        {
            Assert.True((await HeldAsync(cluster, node, keys[5]))!.Tombstone, $"{keys[5]} on {node}");
            Assert.True((await HeldAsync(cluster, node, keys[6]))!.Tombstone, $"{keys[6]} on {node}");
        }

        var read = await cluster.Cache(GatewayCluster.AlphaKey).GetAsync(new V1.GetRequest { Key = keys[5], Consistency = V1.Consistency.One });
        Assert.False(read.Found);
    }

    [Fact]
    public async Task AnExpiredValueTravelsAsATombstoneAtItsVersion()
    {
        using var cluster = new GatewayCluster(settings: Unthrottled);
        var keys = await SeedAsync(cluster, 50);

        // node-1 alone holds a newer version that expires in 10 s; the others keep the older value (1 h TTL).
        var entry = TextEntry(keys[3], "short-lived", Newer(cluster));
        entry.ExpiresAt = Timestamp.FromDateTimeOffset(cluster.Time.GetUtcNow().AddSeconds(10));
        await cluster.Node("node-1").PutAsync(new Cache.V1.PutRequest { Entry = entry });
        cluster.Time.Advance(TimeSpan.FromSeconds(11));

        await RunPassAsync(cluster);

        foreach (var node in new[] { "node-2", "node-3" })
        {
            var held = (await HeldAsync(cluster, node, keys[3]))!;
            Assert.True(held.Tombstone, $"{node} still holds the older value");

            // The same write (dot); its vector also covers the older value it replaced, which it had not seen.
            Assert.Equal((entry.Version.Timestamp, entry.Version.Writer), (held.Version.Timestamp, held.Version.Writer));
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public async Task EqualReplicasExchangeNoEntries(int nodes)
    {
        using var cluster = new GatewayCluster(nodes, settings: Unthrottled);
        await SeedAsync(cluster, 300);
        await cluster.Cache(GatewayCluster.AlphaKey).InvalidateAsync(new V1.InvalidateRequest { Key = "seed-1", Consistency = V1.Consistency.All });
        var names = Enumerable.Range(1, nodes).Select(i => $"node-{i}").ToList();
        var before = names.ToDictionary(node => node, node => cluster.Links[node].Calls);

        var pass = await RunPassAsync(cluster);

        Assert.True(pass.Complete);
        Assert.Equal(0UL, pass.RangesDivergent);
        Assert.Equal(0UL, pass.EntriesScanned);
        Assert.Equal(0UL, pass.KeysRepaired);

        // One Digest of all the arcs it holds per node, and no Scan or Put.
        Assert.Equal(nodes * 160, (int)pass.RangesCompared);
        Assert.All(names, node => Assert.Equal(1, cluster.Links[node].Calls - before[node]));
    }

    [Fact]
    public async Task AReplicaDownDuringAPassIsSkippedAndRepairedOnALaterPass()
    {
        using var cluster = new GatewayCluster(settings: Unthrottled);
        var keys = await SeedAsync(cluster, 100);
        await cluster.Node("node-1").PutAsync(new Cache.V1.PutRequest { Entry = TextEntry(keys[9], "newest", Newer(cluster)) });
        var node3 = cluster.GatewayServices.GetRequiredService<ClusterMembership>().View.Nodes["node-3"];
        cluster.Links["node-3"].Down = true;
        node3.State = MemberState.Down;

        var first = await RunPassAsync(cluster);

        Assert.False(first.Complete);
        Assert.Contains("node-3: Down", first.Skipped);
        Assert.Equal(1UL, first.KeysRepaired);
        Assert.Equal("newest", (await HeldAsync(cluster, "node-2", keys[9]))!.Value.ToStringUtf8());
        Assert.Equal($"{keys[9]}-value", (await HeldAsync(cluster, "node-3", keys[9]))!.Value.ToStringUtf8());

        cluster.Links["node-3"].Down = false;
        node3.State = MemberState.Up;
        var second = await RunPassAsync(cluster);

        Assert.True(second.Complete);
        Assert.Equal(1UL, second.KeysRepaired);
        Assert.Equal("newest", (await HeldAsync(cluster, "node-3", keys[9]))!.Value.ToStringUtf8());
    }

    [Fact]
    public async Task AReplicaThatFailsItsDigestIsLeftOutAndNamed()
    {
        using var cluster = new GatewayCluster(settings: Unthrottled);
        var keys = await SeedAsync(cluster, 50);
        await cluster.Node("node-1").PutAsync(new Cache.V1.PutRequest { Entry = TextEntry(keys[2], "newest", Newer(cluster)) });
        cluster.Links["node-2"].RefusedMethods = ["Digest"];

        var pass = await RunPassAsync(cluster);

        Assert.False(pass.Complete);
        Assert.Contains(pass.Skipped, reason => reason.StartsWith("node-2: Digest failed (", StringComparison.Ordinal));
        Assert.Equal("newest", (await HeldAsync(cluster, "node-3", keys[2]))!.Value.ToStringUtf8());
    }

    [Fact]
    public async Task PassesRunInTheBackgroundEveryInterval()
    {
        using var cluster = new GatewayCluster(settings: new(Unthrottled)
        {
            ["Gateway:AntiEntropy:Enabled"] = "true",
            ["Gateway:AntiEntropy:Interval"] = "00:00:30",
        });
        var keys = await SeedAsync(cluster, 50);
        await cluster.Node("node-3").PutAsync(new Cache.V1.PutRequest { Entry = TextEntry(keys[0], "found-in-the-background", Newer(cluster)) });

        await cluster.AdvanceUntilAsync(
            async () => (await HeldAsync(cluster, "node-1", keys[0]))!.Value.ToStringUtf8() == "found-in-the-background",
            TimeSpan.FromSeconds(5));

        var status = await cluster.Cluster().GetAntiEntropyStatusAsync(new GetAntiEntropyStatusRequest());
        Assert.True(status.Enabled);
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.FromSeconds(30)), status.Interval);
        Assert.True(status.Passes >= 1);
    }
}
