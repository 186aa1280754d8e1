using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Tests;

public sealed class GatewayGrpcTests : IDisposable
{
    private readonly GatewayCluster _cluster = new();
    private readonly V1.Cache.CacheClient _alpha;

    public GatewayGrpcTests() => _alpha = _cluster.Cache(GatewayCluster.AlphaKey);

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task TextComesBackAsTextAndBinaryAsBinary()
    {
        var put = await _alpha.PutAsync(new PutRequest { Key = "user:1001", Text = "Alice" });
        Assert.InRange(put.AcknowledgedBy.Count, 2, 3);
        Assert.Equal("gateway-1", put.Version.Writer);

        var text = await _alpha.GetAsync(new GetRequest { Key = "user:1001" });
        Assert.True(text.Found);
        Assert.Equal(GetResponse.ValueOneofCase.Text, text.ValueCase);
        Assert.Equal("Alice", text.Text);
        Assert.Equal(ValueSource.Cache, text.Source);
        Assert.InRange(text.TtlRemaining.ToTimeSpan(), TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));

        await _alpha.PutAsync(new PutRequest { Key = "blob", Data = ByteString.CopyFrom(1, 2, 3), Ttl = Duration.FromTimeSpan(TimeSpan.FromSeconds(30)) });
        var data = await _alpha.GetAsync(new GetRequest { Key = "blob", Consistency = V1.Consistency.All });
        Assert.Equal(GetResponse.ValueOneofCase.Data, data.ValueCase);
        Assert.Equal(new byte[] { 1, 2, 3 }, data.Data.ToByteArray());
    }

    [Fact]
    public async Task MissIsFoundFalse()
    {
        var reply = await _alpha.GetAsync(new GetRequest { Key = "nobody" });
        Assert.False(reply.Found);
        Assert.Equal(GetResponse.ValueOneofCase.None, reply.ValueCase);
    }

    [Fact]
    public async Task TenantsCannotSeeEachOthersKeys()
    {
        var beta = _cluster.Cache(GatewayCluster.BetaKey);
        await _alpha.PutAsync(new PutRequest { Key = "shared-name", Text = "alpha's" });

        Assert.False((await beta.GetAsync(new GetRequest { Key = "shared-name" })).Found);

        await beta.PutAsync(new PutRequest { Key = "shared-name", Text = "beta's" });
        Assert.Equal("alpha's", (await _alpha.GetAsync(new GetRequest { Key = "shared-name" })).Text);
        Assert.Equal("beta's", (await beta.GetAsync(new GetRequest { Key = "shared-name" })).Text);

        await beta.InvalidateAsync(new InvalidateRequest { Key = "shared-name" });
        Assert.Equal("alpha's", (await _alpha.GetAsync(new GetRequest { Key = "shared-name" })).Text);
    }

    [Fact]
    public async Task CallsWithoutAKnownKeyAreUnauthenticatedAndAMistypedKeyIsCalledUnknown()
    {
        var unknown = await Assert.ThrowsAsync<RpcException>(() =>
            _cluster.Cache(GatewayCluster.AlphaKey + "x").GetAsync(new GetRequest { Key = "k" }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, unknown.StatusCode);
        Assert.StartsWith("unknown API key", unknown.Status.Detail, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<RpcException>(() =>
            _cluster.Cache(string.Empty).GetAsync(new GetRequest { Key = "k" }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, missing.StatusCode);
        Assert.StartsWith("an API key is required", missing.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClusterNeedsTheAdminKeyAndCacheNeedsATenantKey()
    {
        var userOnCluster = await Assert.ThrowsAsync<RpcException>(() =>
            _cluster.Cluster(GatewayCluster.AlphaKey).GetTopologyAsync(new GetTopologyRequest()).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, userOnCluster.StatusCode);

        var adminOnCache = await Assert.ThrowsAsync<RpcException>(() =>
            _cluster.Cache(GatewayCluster.AdminKey).GetAsync(new GetRequest { Key = "k" }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, adminOnCache.StatusCode);

        var topology = await _cluster.Cluster().GetTopologyAsync(new GetTopologyRequest());
        Assert.Equal(["node-1", "node-2", "node-3"], topology.Topology.Nodes.Select(n => n.Name));
        Assert.Equal(1.0, topology.Topology.Nodes.Sum(n => n.Ownership), 6);
        Assert.All(topology.Topology.Nodes, n => Assert.Equal(NodeState.Up, n.State));
    }

    public static TheoryData<PutRequest, string> InvalidPuts => new()
    {
        { new PutRequest { Key = "", Text = "v" }, "key must not be empty" },
        { new PutRequest { Key = new string('k', 251), Text = "v" }, "key must be at most 250 UTF-8 bytes, got 251" },
        { new PutRequest { Key = "k" }, "value: set text or data" },
        { new PutRequest { Key = "k", Text = new string('v', 4097) }, "text must be at most 4096 bytes, got 4097" },
        { new PutRequest { Key = "k", Text = "v", Ttl = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(500)) }, "ttl must be between 1 s and 30 days" },
        { new PutRequest { Key = "k", Text = "v", Ttl = Duration.FromTimeSpan(TimeSpan.FromDays(31)) }, "ttl must be between 1 s and 30 days" },
        { new PutRequest { Key = "k", Text = "v", Ttl = new Duration { Seconds = 1, Nanos = -1 } }, $"{NotNormalized}, got seconds 1, nanos -1" },
        { new PutRequest { Key = "k", Text = "v", Ttl = new Duration { Seconds = -1, Nanos = 1 } }, $"{NotNormalized}, got seconds -1, nanos 1" },
        { new PutRequest { Key = "k", Text = "v", Ttl = new Duration { Seconds = 315576000001 } }, $"{NotNormalized}, got seconds 315576000001, nanos 0" },
        { new PutRequest { Key = "k", Text = "v", Ttl = new Duration { Nanos = 1_000_000_000 } }, $"{NotNormalized}, got seconds 0, nanos 1000000000" },
        { new PutRequest { Key = "k", Text = "v", Consistency = (V1.Consistency)7 }, "consistency must be CONSISTENCY_ONE, CONSISTENCY_QUORUM or CONSISTENCY_ALL" },
    };

    private const string NotNormalized =
        "ttl must be a normalized duration (seconds within +-315576000000, nanos within +-999999999 and of the same sign as seconds)";

    [Theory]
    [MemberData(nameof(InvalidPuts))]
    public async Task InvalidPutsAreRejectedNamingTheFieldAndWriteNothing(PutRequest request, string message)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _alpha.PutAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
        var stats = await _cluster.Node("node-1").GetStatsAsync(new Cache.V1.GetStatsRequest());
        Assert.Equal(0UL, stats.Entries);
    }

    [Fact]
    public async Task MultiPutValidatesTheWholeBatchFirstAndBatchesAreLimited()
    {
        var batch = new MultiPutRequest { Items = { new PutRequest { Key = "a", Text = "1" }, new PutRequest { Key = "", Text = "2" } } };
        var error = await Assert.ThrowsAsync<RpcException>(() => _alpha.MultiPutAsync(batch).ResponseAsync);
        Assert.Equal("items[1].key must not be empty", error.Status.Detail);
        Assert.False((await _alpha.GetAsync(new GetRequest { Key = "a" })).Found);

        batch.Items[1] = new PutRequest { Key = "b", Text = "2", Ttl = new Duration { Seconds = 1, Nanos = -1 } };
        var ttl = await Assert.ThrowsAsync<RpcException>(() => _alpha.MultiPutAsync(batch).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ttl.StatusCode);
        Assert.StartsWith("items[1].ttl must be a normalized duration", ttl.Status.Detail, StringComparison.Ordinal);
        Assert.False((await _alpha.GetAsync(new GetRequest { Key = "a" })).Found);

        var tooMany = new MultiGetRequest();
        tooMany.Keys.AddRange(Enumerable.Range(0, 1001).Select(i => $"k{i}"));
        var batchError = await Assert.ThrowsAsync<RpcException>(() => _alpha.MultiGetAsync(tooMany).ResponseAsync);
        Assert.Equal("keys must hold 1 to 1000 items, got 1001", batchError.Status.Detail);

        var longKey = await Assert.ThrowsAsync<RpcException>(() =>
            _alpha.MultiGetAsync(new MultiGetRequest { Keys = { "ok", new string('x', 251) } }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, longKey.StatusCode);
        Assert.Equal("keys[1] must be at most 250 UTF-8 bytes, got 251", longKey.Status.Detail);
    }

    [Fact]
    public async Task MultiPutAndMultiGetAnswerInRequestOrder()
    {
        var put = new MultiPutRequest();
        put.Items.AddRange(Enumerable.Range(0, 50).Select(i => new PutRequest { Key = $"item-{i}", Text = $"value-{i}" }));
        var written = await _alpha.MultiPutAsync(put);
        Assert.All(written.Items, item => Assert.True(item.Ok, item.Error));

        var get = new MultiGetRequest { Keys = { "item-7", "missing", "item-0", "item-49" } };
        var read = await _alpha.MultiGetAsync(get);
        Assert.Equal(["value-7", null, "value-0", "value-49"], read.Items.Select(i => i.Found ? i.Text : null));
    }

    [Fact]
    public async Task InvalidateHidesTheKeyEvenFromAReplicaThatMissedIt()
    {
        await _alpha.PutAsync(new PutRequest { Key = "k", Text = "v1", Consistency = V1.Consistency.All });
        _cluster.Links["node-2"].Down = true;
        await _alpha.InvalidateAsync(new InvalidateRequest { Key = "k" });
        _cluster.Links["node-2"].Down = false;

        for (var i = 0; i < 10; i++)
        {
            Assert.False((await _alpha.GetAsync(new GetRequest { Key = "k" })).Found);
        }
    }

    [Fact]
    public async Task LocateGivesThePreferenceList()
    {
        var placement = await _cluster.Cluster().LocateAsync(new LocateRequest { Key = "user:1001", Tenant = "alpha" });
        Assert.Equal(3, placement.Nodes.Distinct().Count());
        Assert.Equal(KeyHash.Of("alpha/user:1001"), placement.KeyHash);
    }
}
