using Grpc.Core;
using Microservices.Gateway.Replication;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace Microservices.Gateway.Tests;

/// <summary>What counts as an acknowledgement: only a replica that holds the write, in single writes and batches.</summary>
public sealed class WriteAcknowledgementTests
{
    private static readonly string[] FourNodes = ["node-1", "node-2", "node-3", "node-4"];

    // The key's nodes in ring order on a ring of the first `nodes` nodes: its own replicas, then its stand-ins.
    private static string[] Preference(string key, int nodes) =>
        Routing.HashRing.Create(FourNodes.Take(nodes), 160).PreferenceNames(KeyHash.Of($"alpha/{key}"), nodes);

    [Fact]
    public async Task AReplicaHoldingANewerVersionDoesNotAcknowledgeTheWrite()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var first = await cache.PutAsync(new PutRequest { Key = "k", Text = "v1", Consistency = V1.Consistency.All });
        var preference = Preference("k", 3);

        // Another writer's newer version reaches two of the three replicas (a little ahead of this gateway's clock).
        var newer = await WriteNewerAsync(cluster, preference.Take(2), "alpha/k", first.Version.Timestamp);

        // Those two answer "not applied, a newer version is stored": the write is held by one replica only.
        var lost = await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(new PutRequest { Key = "k", Text = "v2" }).ResponseAsync);
        Assert.Equal(StatusCode.Aborted, lost.StatusCode);
        Assert.Contains("1 of 3 replicas hold it, 2 needed", lost.Status.Detail, StringComparison.Ordinal);
        Assert.Contains($"{preference[0]}: holds a newer version", lost.Status.Detail, StringComparison.Ordinal);

        // The same in a batch, against a still newer version (the gateway's clock has seen the first one).
        await WriteNewerAsync(cluster, preference.Take(2), "alpha/k", newer);
        var batch = await cache.MultiPutAsync(new MultiPutRequest { Items = { new PutRequest { Key = "k", Text = "v3" } } });
        Assert.False(batch.Items[0].Ok);
        Assert.Contains("1 of 3 replicas hold it", batch.Items[0].Error, StringComparison.Ordinal);

        // The gateway's clock has seen the newer version, so a retry is stamped after it and wins.
        var retried = await cache.PutAsync(new PutRequest { Key = "k", Text = "v5", Consistency = V1.Consistency.All });
        Assert.Equal(3, retried.AcknowledgedBy.Count);
        Assert.Equal("v5", (await cache.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.All })).Text);
    }

    // Writes a version 1000 logical ticks after `after` (well within any clock offset) straight to `nodes`.
    private static async Task<long> WriteNewerAsync(GatewayCluster cluster, IEnumerable<string> nodes, string storedKey, long after)
    {
        var newer = new Cache.V1.Entry
        {
            Key = storedKey,
            Value = Google.Protobuf.ByteString.CopyFromUtf8("other"),
            Kind = Cache.V1.ValueKind.Text,
            Version = new Cache.V1.Version { Timestamp = after + 1000, Writer = "gateway-other" },
        };
        foreach (var node in nodes)
        {
            Assert.True((await cluster.Node(node).PutAsync(new Cache.V1.PutRequest { Entry = newer })).Applied);
        }

        return newer.Version.Timestamp;
    }

    [Fact]
    public async Task AReplicaThatAlreadyHoldsTheSameVersionAcknowledgesIt()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var put = await cache.PutAsync(new PutRequest { Key = "k", Text = "v", Consistency = V1.Consistency.All });
        var stored = (await cluster.Node("node-1").GetAsync(new Cache.V1.GetRequest { Key = "alpha/k" })).Entry;

        // A replay of the same write (a hint, a repair) is "applied": the node holds exactly this version.
        var again = await cluster.Node("node-1").PutAsync(new Cache.V1.PutRequest { Entry = stored });
        Assert.True(again.Applied);
        Assert.Equal(put.Version, again.Current);
    }

    // A node whose memory is full of tombstones (kept for their grace period) has no room for a value.
    private static async Task FillWithTombstonesAsync(GatewayCluster cluster, string node)
    {
        for (var page = 0; ; page++)
        {
            var request = new Cache.V1.MultiPutRequest();
            request.Entries.AddRange(Enumerable.Range(0, 100).Select(i => new Cache.V1.Entry
            {
                Key = $"filler/{page}-{i}",
                Tombstone = true,
                Version = new Cache.V1.Version { Timestamp = 1, Writer = "filler" },
            }));
            var reply = await cluster.Node(node).MultiPutAsync(request);
            if (reply.Results.Any(result => result.NoRoom))
            {
                return;
            }
        }
    }

    [Fact]
    public async Task AReplicaWithNoRoomIsAFailedAttemptAStandInTakesTheWriteAndAHintIsKept()
    {
        using var cluster = new GatewayCluster(nodes: 4, nodeSettings: new() { ["CacheNode:MaxBytes"] = "65536" });
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        var order = Preference("full", 4);
        var (full, standIn) = (order[1], order[3]);
        await FillWithTombstonesAsync(cluster, full);
        var hints = cluster.GatewayServices.GetRequiredService<HintStore>();

        // QUORUM is met by the other two; the full one's answer may come just after, and then it gets a hint and the
        // stand-in a copy.
        var batch = await cache.MultiPutAsync(new MultiPutRequest { Items = { new PutRequest { Key = "full", Text = "batch" } } });
        Assert.True(batch.Items[0].Ok, batch.Items[0].Error);
        Assert.DoesNotContain(full, batch.Items[0].Response.AcknowledgedBy);
        await cluster.AdvanceUntilAsync(() => Task.FromResult(hints.CountFor(full) == 1), TimeSpan.Zero);
        await cluster.AdvanceUntilAsync(async () => (await cluster.Node(standIn).GetAsync(new Cache.V1.GetRequest { Key = "alpha/full" }))
            .Entry?.Value.ToStringUtf8() == "batch", TimeSpan.Zero);

        var single = await cache.PutAsync(new PutRequest { Key = "full", Text = "single" });
        Assert.DoesNotContain(full, single.AcknowledgedBy);
        await cluster.AdvanceUntilAsync(() => Task.FromResult(hints.CountFor(full) == 2), TimeSpan.Zero);

        // ALL needs the full replica too: it does not hold the write, so ALL fails, saying why.
        var all = await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(new PutRequest { Key = "full", Text = "all", Consistency = V1.Consistency.All }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, all.StatusCode);
        Assert.Contains($"{full}: no room", all.Status.Detail, StringComparison.Ordinal);
    }
}
