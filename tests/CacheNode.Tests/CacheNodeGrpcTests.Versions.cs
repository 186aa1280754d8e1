using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Tests;

/// <summary>Versions against the node's clock, and what an expired value leaves behind.</summary>
public sealed partial class CacheNodeGrpcTests
{
    [Fact]
    public async Task AVersionMoreThanTheMaximumClockOffsetAheadOfTheNodeIsRefused()
    {
        var nowMs = _app.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var limit = HybridTime.FromWallMilliseconds(nowMs + 500) + 65_535;
        var beyond = HybridTime.FromWallMilliseconds(nowMs + 501);
        var year2100 = HybridTime.FromWallMilliseconds(new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds());

        Assert.True((await _client.PutAsync(new PutRequest { Entry = TextEntry("k", "v", limit) })).Applied);
        foreach (var timestamp in new[] { beyond, year2100, long.MaxValue })
        {
            var put = await Assert.ThrowsAsync<RpcException>(() => _client.PutAsync(new PutRequest { Entry = TextEntry("k", "v", timestamp) }).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, put.StatusCode);
            Assert.Contains("entry.version.timestamp is ", put.Status.Detail, StringComparison.Ordinal);
            Assert.Contains("maximum clock offset of 500 ms (CacheNode:MaxClockOffset)", put.Status.Detail, StringComparison.Ordinal);

            var delete = await Assert.ThrowsAsync<RpcException>(() => _client.DeleteAsync(new DeleteRequest { Key = "k", Version = V(timestamp) }).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, delete.StatusCode);
            Assert.StartsWith("version.timestamp is ", delete.Status.Detail, StringComparison.Ordinal);
        }

        Assert.Equal(limit, (await _client.GetAsync(new GetRequest { Key = "k" })).Entry.Version.Timestamp);
    }

    [Fact]
    public async Task TheLastValidExpiryIsStoredAndEveryReadReturnsIt()
    {
        var last = new Timestamp { Seconds = 253402300799, Nanos = 999_999_999 };
        var entry = TextEntry("far", "v", 1);
        entry.ExpiresAt = last;
        Assert.True((await _client.PutAsync(new PutRequest { Entry = entry })).Applied);

        var get = await _client.GetAsync(new GetRequest { Key = "far" });
        Assert.Equal(new Timestamp { Seconds = 253402300799, Nanos = 999_000_000 }, get.Entry.ExpiresAt);
        Assert.True((await _client.MultiGetAsync(new MultiGetRequest { Keys = { "far" } })).Results[0].Found);
        using var scan = _client.Scan(new ScanRequest());
        Assert.True(await scan.ResponseStream.MoveNext());
        Assert.Equal(get.Entry, scan.ResponseStream.Current.Entries.Single());
    }

    [Fact]
    public async Task AnExpiredValueIsReportedAsATombstoneAtItsVersionAndOlderWritesStayOut()
    {
        var entry = TextEntry("k", "new", 200);
        entry.ExpiresAt = Timestamp.FromDateTimeOffset(_app.Time.GetUtcNow().AddSeconds(3));
        await _client.PutAsync(new PutRequest { Entry = entry });
        _app.Time.Advance(TimeSpan.FromSeconds(5));

        var plain = await _client.GetAsync(new GetRequest { Key = "k" });
        Assert.False(plain.Found);
        Assert.Null(plain.Entry);
        var withTombstone = await _client.GetAsync(new GetRequest { Key = "k", IncludeTombstone = true });
        Assert.False(withTombstone.Found);
        Assert.True(withTombstone.Entry.Tombstone);
        Assert.True(withTombstone.Entry.Value.IsEmpty);
        Assert.Null(withTombstone.Entry.ExpiresAt);
        Assert.Equal(200, withTombstone.Entry.Version.Timestamp);
        Assert.Equal(withTombstone, (await _client.MultiGetAsync(new MultiGetRequest { Keys = { "k" }, IncludeTombstone = true })).Results[0]);
        using (var scan = _client.Scan(new ScanRequest()))
        {
            Assert.True(await scan.ResponseStream.MoveNext());
            Assert.Equal(withTombstone.Entry, scan.ResponseStream.Current.Entries.Single());
        }

        var older = await _client.PutAsync(new PutRequest { Entry = TextEntry("k", "old", 100) });
        Assert.False(older.Applied);
        Assert.Equal(200, older.Current.Timestamp);
        Assert.False((await _client.GetAsync(new GetRequest { Key = "k" })).Found);
    }

    [Fact]
    public async Task AValueThatHasExpiredOnArrivalIsStoredAsATombstoneAtItsVersion()
    {
        var late = TextEntry("k", "new", 200);
        late.ExpiresAt = Timestamp.FromDateTimeOffset(_app.Time.GetUtcNow().AddSeconds(-1));

        Assert.True((await _client.PutAsync(new PutRequest { Entry = late })).Applied);
        var stored = await _client.GetAsync(new GetRequest { Key = "k", IncludeTombstone = true });
        Assert.True(stored.Entry.Tombstone);
        Assert.Equal(200, stored.Entry.Version.Timestamp);
        Assert.False((await _client.PutAsync(new PutRequest { Entry = TextEntry("k", "old", 100) })).Applied);
    }
}
