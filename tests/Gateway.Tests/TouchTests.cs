using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Replication;

namespace Microservices.Gateway.Tests;

/// <summary>Cache/Touch: a later expiry for the version a key holds, for sliding expiration.</summary>
public sealed class TouchTests : IDisposable
{
    private readonly GatewayCluster _cluster = new();

    [Fact]
    public async Task ATouchedValueOutlivesItsFirstTtlWithItsValueAndVersion()
    {
        var cache = _cluster.Cache(GatewayCluster.AlphaKey);
        var put = await cache.PutAsync(new V1.PutRequest { Key = "s", Text = "v", Ttl = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)) });
        _cluster.Time.Advance(TimeSpan.FromSeconds(8));

        var touch = await cache.TouchAsync(new V1.TouchRequest { Key = "s", Ttl = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)) });
        _cluster.Time.Advance(TimeSpan.FromSeconds(8));
        var read = await cache.GetAsync(new V1.GetRequest { Key = "s" });

        Assert.True(touch.Touched);
        Assert.Equal(3, touch.AcknowledgedBy.Count);
        Assert.Equal(TimeSpan.FromSeconds(10), touch.TtlRemaining.ToTimeSpan());
        Assert.Equal(("v", put.Version), (read.Text, read.Version));
    }

    [Fact]
    public async Task TouchOfAMissingOrExpiredKeyDoesNothing()
    {
        var cache = _cluster.Cache(GatewayCluster.AlphaKey);
        await cache.PutAsync(new V1.PutRequest { Key = "e", Text = "v", Ttl = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) });
        _cluster.Time.Advance(TimeSpan.FromSeconds(2));

        var expired = await cache.TouchAsync(new V1.TouchRequest { Key = "e", Ttl = Duration.FromTimeSpan(TimeSpan.FromMinutes(1)) });
        var missing = await cache.TouchAsync(new V1.TouchRequest { Key = "never", Ttl = Duration.FromTimeSpan(TimeSpan.FromMinutes(1)) });

        Assert.False(expired.Touched);
        Assert.False(missing.Touched);
        Assert.False((await cache.GetAsync(new V1.GetRequest { Key = "e" })).Found);
    }

    [Fact]
    public async Task TouchWithoutATtlIsRefusedNamingTheField()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _cluster.Cache(GatewayCluster.AlphaKey).TouchAsync(new V1.TouchRequest { Key = "k" }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("ttl", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void OfTwoCopiesOfOneVersionTheOneThatExpiresLastIsNewest()
    {
        var version = new Cache.V1.Version { Timestamp = 100, Writer = "gw" };
        var live = new Entry { Key = "k", Version = version, ExpiresAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch.AddSeconds(20)) };
        var shorter = new Entry { Key = "k", Version = version, ExpiresAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch.AddSeconds(10)) };
        var expiredMarker = new Entry { Key = "k", Version = version, Tombstone = true };

        Assert.Same(live, Versions.Newer(expiredMarker, live));
        Assert.Same(live, Versions.Newer(live, expiredMarker));
        Assert.Same(live, Versions.Newer(shorter, live));
        Assert.Same(live, Versions.Newer(live, shorter));
    }

    public void Dispose() => _cluster.Dispose();
}
