using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Tests;

/// <summary>Which version wins a read, a repair and the clock, when a version has expired or comes from far ahead.</summary>
public sealed class VersionResolutionTests
{
    [Fact]
    public async Task AnExpiredNewerWriteLeavesTheKeyMissingOnEveryReadAndRepairNeverBringsTheOlderValueBack()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var old = await cache.PutAsync(new PutRequest { Key = "k", Text = "old", Consistency = V1.Consistency.All });
        var replicas = (await cluster.Cluster().LocateAsync(new LocateRequest { Key = "k", Tenant = "alpha" })).Nodes;

        // A newer write that expires 3 s later reaches the second and third replicas only; the first keeps "old".
        var newer = new Cache.V1.Entry
        {
            Key = "alpha/k",
            Value = ByteString.CopyFromUtf8("new"),
            Kind = Cache.V1.ValueKind.Text,
            Version = new Cache.V1.Version { Timestamp = old.Version.Timestamp + 1, Writer = "gateway-1" },
            ExpiresAt = Timestamp.FromDateTimeOffset(cluster.Time.GetUtcNow().AddSeconds(3)),
        };
        foreach (var replica in replicas.Skip(1))
        {
            Assert.True((await cluster.Node(replica).PutAsync(new Cache.V1.PutRequest { Entry = newer })).Applied);
        }

        cluster.Time.Advance(TimeSpan.FromSeconds(5));

        foreach (var level in new[] { V1.Consistency.Quorum, V1.Consistency.All })
        {
            Assert.False((await cache.GetAsync(new GetRequest { Key = "k", Consistency = level })).Found);
            Assert.False((await cache.MultiGetAsync(new MultiGetRequest { Keys = { "k" }, Consistency = level })).Items[0].Found);
        }

        // Read repair gives the first replica the newer version (as the tombstone it has become), never the reverse.
        var first = await ReadUntilAsync(cluster, replicas[0], read => read.Entry?.Version.Timestamp == newer.Version.Timestamp);
        Assert.True(first.Entry.Tombstone);
        foreach (var replica in replicas)
        {
            var held = await cluster.Node(replica).GetAsync(new Cache.V1.GetRequest { Key = "alpha/k", IncludeTombstone = true });
            Assert.Equal(newer.Version.Timestamp, held.Entry.Version.Timestamp);
            Assert.False(held.Found);
        }
    }

    [Fact]
    public async Task AVersionFromFarAheadDoesNotDragTheGatewaysLaterStampsIntoTheFuture()
    {
        // Nodes that accept a version a minute ahead (as nodes before the offset check did) hold one 50 s ahead.
        using var cluster = new GatewayCluster(nodeSettings: new() { ["CacheNode:MaxClockOffset"] = "00:01:00" });
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var nowMs = cluster.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var ahead = new Cache.V1.Entry
        {
            Key = "alpha/ahead",
            Value = ByteString.CopyFromUtf8("from the future"),
            Kind = Cache.V1.ValueKind.Text,
            Version = new Cache.V1.Version { Timestamp = HybridTime.FromWallMilliseconds(nowMs + 50_000), Writer = "elsewhere" },
        };
        foreach (var node in new[] { "node-1", "node-2", "node-3" })
        {
            await cluster.Node(node).PutAsync(new Cache.V1.PutRequest { Entry = ahead });
        }

        var read = await cache.GetAsync(new GetRequest { Key = "ahead", Consistency = V1.Consistency.All });
        Assert.Equal(ahead.Version.Timestamp, read.Version.Timestamp);

        var put = await cache.PutAsync(new PutRequest { Key = "later", Text = "v" });
        Assert.Equal(nowMs, HybridTime.WallMilliseconds(put.Version.Timestamp));
    }

    [Fact]
    public async Task AnItemEveryNodeRefusesFailsAloneInAMultiPut()
    {
        // The nodes take values up to 100 bytes; the gateway lets 4096 through, so every replica refuses the big one.
        using var cluster = new GatewayCluster(nodeSettings: new() { ["CacheNode:MaxValueBytes"] = "100" });
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var batch = new MultiPutRequest
        {
            Items =
            {
                new PutRequest { Key = "a", Text = "1" },
                new PutRequest { Key = "big", Text = new string('x', 200) },
                new PutRequest { Key = "c", Text = "3" },
            },
        };

        var reply = await cache.MultiPutAsync(batch);

        Assert.Equal([true, false, true], reply.Items.Select(item => item.Ok));
        Assert.Contains("InvalidArgument", reply.Items[1].Error, StringComparison.Ordinal);
        Assert.Contains("value must be at most 100 bytes", reply.Items[1].Error, StringComparison.Ordinal);
        Assert.True((await cache.GetAsync(new GetRequest { Key = "c", Consistency = V1.Consistency.All })).Found);
        var topology = await cluster.Cluster().GetTopologyAsync(new GetTopologyRequest());
        Assert.All(topology.Topology.Nodes, node => Assert.Equal(NodeState.Up, node.State));
    }

    // Reads a stored key straight from a node until `done` holds (read repair lands a moment after the read).
    private static async Task<Cache.V1.GetResponse> ReadUntilAsync(GatewayCluster cluster, string node, Func<Cache.V1.GetResponse, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var read = await cluster.Node(node).GetAsync(new Cache.V1.GetRequest { Key = "alpha/k", IncludeTombstone = true });
            if (done(read) || DateTime.UtcNow >= deadline)
            {
                return read;
            }

            await Task.Delay(20);
        }
    }
}
