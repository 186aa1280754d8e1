using System.Diagnostics.Metrics;
using Google.Protobuf;
using Grpc.Core;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Microservices.Gateway.Tests;

/// <summary>
/// Conditional writes: <c>if_version</c> (compare-and-set with the causal context of a Get) and <c>if_absent</c>
/// (put-if-absent), checked by the gateway and again by every replica with the write.
/// </summary>
public sealed class ConditionalWriteTests
{
    private static async Task<string[]> ReplicasOfAsync(GatewayCluster cluster, string key, string tenant = "alpha") =>
        [.. (await cluster.Cluster().LocateAsync(new LocateRequest { Key = key, Tenant = tenant })).Nodes];

    // What each replica holds for the key, read on the nodes themselves: "text@timestamp", or "-".
    private static async Task<string[]> HeldAsync(GatewayCluster cluster, string storedKey, IEnumerable<string> nodes) =>
        await Task.WhenAll(nodes.Select(async node =>
        {
            var reply = await cluster.Node(node).GetAsync(new Cache.V1.GetRequest { Key = storedKey, IncludeTombstone = true });
            return reply.Entry is null ? "-" : $"{(reply.Entry.Tombstone ? "(deleted)" : reply.Entry.Value.ToStringUtf8())}@{reply.Entry.Version.Timestamp}";
        }));

    [Fact]
    public async Task APutWithTheContextOfTheLatestReadReplacesTheValue()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        await cache.PutAsync(new PutRequest { Key = "k", Text = "v1" });
        var read = await cache.GetAsync(new GetRequest { Key = "k" });

        var put = await cache.PutAsync(new PutRequest { Key = "k", Text = "v2", IfVersion = read.Context });

        Assert.Equal(3, put.AcknowledgedBy.Count);
        Assert.Equal("v2", (await cache.GetAsync(new GetRequest { Key = "k" })).Text);
    }

    [Fact]
    public async Task ConditionalWritesAreCountedByOutcomeAndPlainOnesAreNot()
    {
        using var cluster = new GatewayCluster();
        using var writes = new MetricCollector<long>(
            cluster.GatewayServices.GetRequiredService<IMeterFactory>(), GatewayTelemetry.Name, "gateway.conditional_writes");
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        await cache.PutAsync(new PutRequest { Key = "k", Text = "v1" });
        var read = await cache.GetAsync(new GetRequest { Key = "k" });

        await cache.PutAsync(new PutRequest { Key = "k", Text = "v2", IfVersion = read.Context });
        await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(new PutRequest { Key = "k", Text = "v3", IfVersion = read.Context }).ResponseAsync);
        await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(new PutRequest { Key = "k", Text = "v3", IfAbsent = true }).ResponseAsync);

        Assert.Equal(["met", "refused", "refused"], writes.GetMeasurementSnapshot().Select(m => (string)m.Tags["outcome"]!));
    }

    [Fact]
    public async Task AStaleContextIsRefusedWithTheCurrentVersionAndNothingIsWrittenOnAnyReplica()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        await cache.PutAsync(new PutRequest { Key = "k", Text = "v1", Consistency = V1.Consistency.All });
        var stale = (await cache.GetAsync(new GetRequest { Key = "k" })).Context;
        var current = await cache.PutAsync(new PutRequest { Key = "k", Text = "v2", Consistency = V1.Consistency.All });
        var replicas = await ReplicasOfAsync(cluster, "k");
        var before = await HeldAsync(cluster, "alpha/k", replicas);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            cache.PutAsync(new PutRequest { Key = "k", Text = "v3", IfVersion = stale }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        var version = $"{current.Version.Timestamp}@{current.Version.Writer}";
        Assert.Contains(version, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(version, error.Trailers.GetValue("x-current-version"));
        var context = error.Trailers.GetValueBytes("x-current-context-bin");
        Assert.Equal((await cache.GetAsync(new GetRequest { Key = "k" })).Context, ByteString.CopyFrom(context));
        Assert.Equal(before, await HeldAsync(cluster, "alpha/k", replicas));
        Assert.All(before, held => Assert.StartsWith("v2@", held, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PutIfAbsentSucceedsOnAnAbsentOrDeletedKeyAndFailsOnAPresentOne()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);

        await cache.PutAsync(new PutRequest { Key = "k", Text = "first", IfAbsent = true });
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            cache.PutAsync(new PutRequest { Key = "k", Text = "second", IfAbsent = true }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("first", (await cache.GetAsync(new GetRequest { Key = "k" })).Text);

        await cache.InvalidateAsync(new InvalidateRequest { Key = "k" });
        await cache.PutAsync(new PutRequest { Key = "k", Text = "third", IfAbsent = true });
        Assert.Equal("third", (await cache.GetAsync(new GetRequest { Key = "k" })).Text);
    }

    [Fact]
    public async Task PutIfAbsentRacedFromTwoGatewaysSucceedsAtMostOncePerKeyAndTheWinnerStays()
    {
        // Calls to the nodes are jittered, so the two writes of a key reach its replicas in different orders.
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:MaxHints"] = "0" });
        foreach (var link in cluster.Links.Values)
        {
            link.Jitter = TimeSpan.FromMilliseconds(4);
        }

        var first = cluster.Cache(GatewayCluster.BulkKey);
        var second = cluster.AddGateway("gateway-2")(GatewayCluster.BulkKey);
        var outcomes = new List<(int Key, StatusCode First, StatusCode Second)>();
        for (var i = 0; i < 60; i++)
        {
            var request = new PutRequest { Key = $"race:{i}", IfAbsent = true, Consistency = V1.Consistency.Quorum };
            var results = await Task.WhenAll(
                StatusOfAsync(first.PutAsync(new PutRequest(request) { Text = "first" }).ResponseAsync),
                StatusOfAsync(second.PutAsync(new PutRequest(request) { Text = "second" }).ResponseAsync));
            outcomes.Add((i, results[0], results[1]));

            // The loser is not undone where it landed first, but the winner stays the key's value on every replica.
            if (results.Contains(StatusCode.OK))
            {
                var winner = results[0] == StatusCode.OK ? "first" : "second";
                Assert.Equal(winner, (await first.GetAsync(new GetRequest { Key = request.Key, Consistency = V1.Consistency.All })).Text);
            }
        }

        Assert.DoesNotContain(outcomes, o => o.First == StatusCode.OK && o.Second == StatusCode.OK);
        Assert.All(outcomes, o => Assert.Contains(StatusCode.FailedPrecondition, new[] { o.First, o.Second }));
    }

    [Fact]
    public async Task InvalidateWithAStaleContextIsRefusedAndWithTheCurrentOneRemovesTheKey()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);
        await cache.PutAsync(new PutRequest { Key = "k", Text = "v1" });
        var stale = (await cache.GetAsync(new GetRequest { Key = "k" })).Context;
        await cache.PutAsync(new PutRequest { Key = "k", Text = "v2" });

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            cache.InvalidateAsync(new InvalidateRequest { Key = "k", IfVersion = stale }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        var read = await cache.GetAsync(new GetRequest { Key = "k" });
        Assert.Equal("v2", read.Text);

        await cache.InvalidateAsync(new InvalidateRequest { Key = "k", IfVersion = read.Context });
        Assert.False((await cache.GetAsync(new GetRequest { Key = "k" })).Found);
    }

    [Fact]
    public async Task DeleteWithAStaleContextLeavesTheOriginAndTheCacheAsTheyWere()
    {
        var path = Path.Combine(Path.GetTempPath(), $"origin-{Guid.NewGuid():N}.db");
        try
        {
            using var cluster = new GatewayCluster(settings: new() { ["Origin:Path"] = path, ["Origin:WritePolicy"] = "WriteThrough" });
            var cache = cluster.Cache(GatewayCluster.AlphaKey);
            await cache.PutAsync(new PutRequest { Key = "k", Text = "v1" });
            var stale = (await cache.GetAsync(new GetRequest { Key = "k" })).Context;
            await cache.PutAsync(new PutRequest { Key = "k", Text = "v2" });

            var error = await Assert.ThrowsAsync<RpcException>(() => cache.DeleteAsync(new DeleteRequest { Key = "k", IfVersion = stale }).ResponseAsync);
            Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
            var read = await cache.GetAsync(new GetRequest { Key = "k" });
            Assert.Equal("v2", read.Text);

            var deleted = await cache.DeleteAsync(new DeleteRequest { Key = "k", IfVersion = read.Context });
            Assert.True(deleted.Existed);
            Assert.False((await cache.GetAsync(new GetRequest { Key = "k" })).Found);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(file);
            }
        }
    }

    [Fact]
    public async Task AnIfVersionThatIsNotAContextIsInvalidAndNamesTheField()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.AlphaKey);

        var garbage = await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(
            new PutRequest { Key = "k", Text = "v", IfVersion = ByteString.CopyFrom(0xFF, 0xFF, 0xFF) }).ResponseAsync);
        var large = await Assert.ThrowsAsync<RpcException>(() => cache.InvalidateAsync(
            new InvalidateRequest { Key = "k", IfVersion = ByteString.CopyFrom(new byte[5000]) }).ResponseAsync);
        await cache.PutAsync(new PutRequest { Key = "k", Text = "v" });
        var context = (await cache.GetAsync(new GetRequest { Key = "k" })).Context;
        var both = await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(
            new PutRequest { Key = "k", Text = "v", IfVersion = context, IfAbsent = true }).ResponseAsync);
        var batch = await Assert.ThrowsAsync<RpcException>(() => cache.MultiPutAsync(
            new MultiPutRequest { Items = { new PutRequest { Key = "k", Text = "v", IfAbsent = true } } }).ResponseAsync);

        var aheadMs = cluster.Time.GetUtcNow().AddMinutes(5).ToUnixTimeMilliseconds();
        var fromAhead = new Cache.V1.ContextVector { Vector = { new Cache.V1.VersionCounter { Writer = "g", Counter = (ulong)HybridTime.FromWallMilliseconds(aheadMs) } } };
        var ahead = await Assert.ThrowsAsync<RpcException>(() => cache.PutAsync(
            new PutRequest { Key = "k", Text = "v", IfVersion = fromAhead.ToByteString() }).ResponseAsync);

        Assert.All(new[] { garbage, large, both, batch, ahead }, e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.Contains("if_version holds a version ahead", ahead.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("if_version is not a context", garbage.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("if_version is 5000 bytes; at most 4096", large.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("if_version and if_absent", both.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("items[0]", batch.Status.Detail, StringComparison.Ordinal);
    }

    private static async Task<StatusCode> StatusOfAsync(Task call)
    {
        try
        {
            await call;
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }
}
