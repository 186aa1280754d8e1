using System.Diagnostics.Metrics;
using Google.Protobuf;
using Grpc.Core;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Microservices.Gateway.Tests;

/// <summary>
/// Session tokens: a request that sends back the token of the session's previous response reads, for every key the
/// session has seen, at least the newest version it has seen, at any level and through any gateway.
/// </summary>
public sealed class SessionTokenTests
{
    private static async Task<string[]> ReplicasOfAsync(GatewayCluster cluster, string key) =>
        [.. (await cluster.Cluster().LocateAsync(new LocateRequest { Key = key, Tenant = "bulk" })).Nodes];

    private static void Refuse(GatewayCluster cluster, IEnumerable<string> nodes, params string[] methods)
    {
        foreach (var node in nodes)
        {
            cluster.Links[node].RefusedMethods = methods;
        }
    }

    [Fact]
    public async Task ASessionReadsItsOwnWriteAtOneOnAnotherGatewayWhenTheReplicaAskedIsStale()
    {
        // No hints: only a read can bring the second write to the replicas that missed it.
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:MaxHints"] = "0" });
        var writer = cluster.Cache(GatewayCluster.BulkKey);
        var reader = cluster.AddGateway("gateway-2")(GatewayCluster.BulkKey);
        var replicas = await ReplicasOfAsync(cluster, "k");
        await writer.PutAsync(new PutRequest { Key = "k", Text = "old", Consistency = V1.Consistency.All });

        // The new value reaches only the last replica; the one a ONE read asks first keeps the old value.
        Refuse(cluster, replicas[..2], "Put", "MultiPut");
        var put = await writer.PutAsync(new PutRequest { Key = "k", Text = "new", Consistency = V1.Consistency.One });
        Refuse(cluster, replicas[..2]);
        Assert.Equal("old", (await reader.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.One })).Text);

        var read = await reader.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.One, SessionToken = put.SessionToken });

        Assert.Equal("new", read.Text);
        Assert.Equal(put.Version.Timestamp, read.Version.Timestamp);
        var many = await reader.MultiGetAsync(new MultiGetRequest { Keys = { "k" }, Consistency = V1.Consistency.One, SessionToken = put.SessionToken });
        Assert.Equal("new", many.Items[0].Text);
    }

    [Fact]
    public async Task ASessionsReadsNeverGoBackAcrossGateways()
    {
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:MaxHints"] = "0" });
        var first = cluster.Cache(GatewayCluster.BulkKey);
        var second = cluster.AddGateway("gateway-2")(GatewayCluster.BulkKey);
        var replicas = await ReplicasOfAsync(cluster, "k");
        await first.PutAsync(new PutRequest { Key = "k", Text = "old", Consistency = V1.Consistency.All });
        Refuse(cluster, replicas[..2], "Put", "MultiPut");
        await first.PutAsync(new PutRequest { Key = "k", Text = "new", Consistency = V1.Consistency.One });

        // The first read of the session meets the new value on the one replica that holds it (the others are cut,
        // so they are neither asked nor repaired).
        Refuse(cluster, replicas[..2], "Get", "MultiGet", "Put", "MultiPut");
        var seen = await first.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.One });
        Assert.Equal("new", seen.Text);
        Refuse(cluster, replicas[..2]);
        Assert.Equal("old", (await second.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.One })).Text);

        var next = await second.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.One, SessionToken = seen.SessionToken });

        Assert.Equal("new", next.Text);
    }

    [Fact]
    public async Task ASessionReadThatNoReplicaCanAnswerIsUnavailableAndNamesTheSessionsVersion()
    {
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:MaxHints"] = "0" });
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        var replicas = await ReplicasOfAsync(cluster, "k");
        await cache.PutAsync(new PutRequest { Key = "k", Text = "old", Consistency = V1.Consistency.All });
        Refuse(cluster, replicas[..2], "Put", "MultiPut");
        var put = await cache.PutAsync(new PutRequest { Key = "k", Text = "new", Consistency = V1.Consistency.One });
        Refuse(cluster, replicas[..2]);
        cluster.Links[replicas[2]].Down = true;

        var error = await Assert.ThrowsAsync<RpcException>(() => cache.GetAsync(
            new GetRequest { Key = "k", Consistency = V1.Consistency.One, SessionToken = put.SessionToken }).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains($"session's version {put.Version.Timestamp}", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AKeyThatNoReplicaHoldsAnyMoreIsAMissForTheSessionNotAnError()
    {
        // The purge of an expired value's marker on every replica (as after eviction). Not a restart: a gateway that
        // sees a replica restarted does not read it until it is resynchronised.
        using var cluster = new GatewayCluster(nodeSettings: new() { ["CacheNode:TombstoneGracePeriod"] = "00:00:01" });
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        var put = await cache.PutAsync(new PutRequest
        {
            Key = "k", Text = "v", Consistency = V1.Consistency.All, Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
        });
        var replicas = await ReplicasOfAsync(cluster, "k");
        await cluster.AdvanceUntilAsync(async () =>
        {
            foreach (var node in replicas)
            {
                if ((await cluster.Node(node).GetAsync(new Cache.V1.GetRequest { Key = "bulk/k", IncludeTombstone = true })).Entry is not null)
                {
                    return false;
                }
            }

            return true;
        }, TimeSpan.FromSeconds(1));

        var read = await cache.GetAsync(new GetRequest { Key = "k", SessionToken = put.SessionToken });

        Assert.False(read.Found);
    }

    [Fact]
    public async Task SessionReadsThatMeetAStaleReplicaAreCountedByResult()
    {
        // Writes through the first gateway reach only the last replica; the second gateway reads.
        using var cluster = new GatewayCluster(settings: new() { ["Gateway:MaxHints"] = "0" }, gateways: 2);
        using var catchUps = new MetricCollector<long>(
            cluster.ServicesOf(2).GetRequiredService<IMeterFactory>(), GatewayTelemetry.Name, "gateway.session.catch_ups");
        var (writer, reader) = (cluster.Cache(GatewayCluster.BulkKey), cluster.Cache(GatewayCluster.BulkKey, 2));
        var replicas = await ReplicasOfAsync(cluster, "k");
        await writer.PutAsync(new PutRequest { Key = "k", Text = "old", Consistency = V1.Consistency.All });
        async Task<PutResponse> WriteToTheLastReplicaAsync(string text)
        {
            Refuse(cluster, replicas[..2], "Put", "MultiPut");
            var put = await writer.PutAsync(new PutRequest { Key = "k", Text = text, Consistency = V1.Consistency.One });
            Refuse(cluster, replicas[..2]);
            return put;
        }

        // A read whose first answer already meets the token is not counted.
        var old = await reader.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.One });
        await reader.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.One, SessionToken = old.SessionToken });
        Assert.Empty(catchUps.GetMeasurementSnapshot());

        var put = await WriteToTheLastReplicaAsync("new");
        Assert.Equal("new", (await reader.GetAsync(new GetRequest { Key = "k", Consistency = V1.Consistency.One, SessionToken = put.SessionToken })).Text);

        put = await WriteToTheLastReplicaAsync("newer");
        cluster.SecondLinks[replicas[2]].Down = true;
        await Assert.ThrowsAsync<RpcException>(() => reader.GetAsync(
            new GetRequest { Key = "k", Consistency = V1.Consistency.One, SessionToken = put.SessionToken }).ResponseAsync);

        Assert.Equal(["caught_up", "behind"], catchUps.GetMeasurementSnapshot().Select(m => (string)m.Tags["result"]!));
    }

    [Fact]
    public async Task ATokenRemembersTheSixtyFourNewestKeys()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        var batch = new MultiPutRequest();
        batch.Items.Add(Enumerable.Range(0, 70).Select(i => new PutRequest { Key = $"k{i}", Text = "v" }));
        var token = (await cache.MultiPutAsync(batch)).SessionToken;

        var put = await cache.PutAsync(new PutRequest { Key = "last", Text = "v", SessionToken = token });

        var versions = SessionToken.Parser.ParseFrom(put.SessionToken).Versions;
        Assert.Equal(64, versions.Count);
        Assert.Contains(versions, v => v.KeyHash == KeyHash.Of("bulk/last") && v.Timestamp == put.Version.Timestamp);
        Assert.DoesNotContain(versions, v => v.KeyHash == KeyHash.Of("bulk/k0"));
    }

    [Fact]
    public async Task ATokenThatIsNotOneThisCacheReturnedIsInvalidAndNamesTheFieldAndTheLimit()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.BulkKey);
        var tooMany = new SessionToken();
        tooMany.Versions.Add(Enumerable.Range(1, 65).Select(i => new SessionVersion { KeyHash = (ulong)i, Timestamp = 1 }));
        var ahead = new SessionToken
        {
            Versions = { new SessionVersion { KeyHash = 1, Timestamp = HybridTime.FromWallMilliseconds(cluster.Time.GetUtcNow().AddMinutes(5).ToUnixTimeMilliseconds()) } },
        };

        async Task<string> RefusalAsync(ByteString token)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => cache.GetAsync(new GetRequest { Key = "k", SessionToken = token }).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            return error.Status.Detail;
        }

        Assert.Contains("session_token is not a token", await RefusalAsync(ByteString.CopyFrom(0xFF, 0xFF, 0xFF)), StringComparison.Ordinal);
        Assert.Contains("session_token is 3000 bytes; at most 2048", await RefusalAsync(ByteString.CopyFrom(new byte[3000])), StringComparison.Ordinal);
        Assert.Contains("session_token has 65 entries; at most 64", await RefusalAsync(tooMany.ToByteString()), StringComparison.Ordinal);
        Assert.Contains("Gateway:MaxClockOffset", await RefusalAsync(ahead.ToByteString()), StringComparison.Ordinal);
    }
}
