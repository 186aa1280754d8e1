using Microservices.CacheNode.Store;
using Microsoft.Extensions.Time.Testing;
using static Microservices.CacheNode.Tests.StoreFixtures;

namespace Microservices.CacheNode.Tests;

/// <summary>Expiry never lets an older version win: an expired value keeps its version as a marker.</summary>
public sealed class CacheStoreExpiryTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(10);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(20_000));
    private readonly CacheStore _store;

    public CacheStoreExpiryTests() => _store = new CacheStore(_time, 1 << 20, Grace);

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [Fact]
    public void AnExpiredValueIsReturnedWithItsVersionToReadsThatIncludeTombstones()
    {
        _store.Put(Value("k", "new", 200, expiresAtMs: NowMs + 1000));
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Null(_store.Get("k"));
        var expired = _store.Get("k", includeTombstone: true);
        Assert.NotNull(expired);
        Assert.Equal(200, expired.Version.Timestamp);
        Assert.False(expired.IsLive(NowMs));
    }

    [Fact]
    public void AnOlderWriteIsRefusedAfterTheNewerValueExpiredAndWasSwept()
    {
        _store.Put(Value("k", "new", 200, expiresAtMs: NowMs + 1000));
        _time.Advance(TimeSpan.FromSeconds(2));
        _store.Sweep(1000);

        var late = _store.Put(Value("k", "old", 100));

        Assert.Equal(WriteOutcome.Stale, late.Outcome);
        Assert.Equal(200, late.Current!.Timestamp);
        Assert.Null(_store.Read("k"));
        var marker = _store.Get("k", includeTombstone: true);
        Assert.True(marker!.Tombstone);
        Assert.Empty(marker.Value);
    }

    [Fact]
    public void ANewerWriteReplacesTheMarker()
    {
        _store.Put(Value("k", "first", 200, expiresAtMs: NowMs + 1000));
        _time.Advance(TimeSpan.FromSeconds(2));
        _store.Sweep(1000);

        Assert.Equal(WriteOutcome.Applied, _store.Put(Value("k", "second", 300)).Outcome);
        Assert.Equal("second", _store.Read("k"));
        var stats = _store.Stats();
        Assert.Equal((1, 0), (stats.Entries, stats.Tombstones));
    }

    [Fact]
    public void TheMarkerIsPurgedAfterTheGracePeriodAndGivesItsBytesBack()
    {
        _store.Put(Value("k", new string('v', 500), 200, expiresAtMs: NowMs + 1000));
        _time.Advance(TimeSpan.FromSeconds(2));
        _store.Sweep(1000);
        Assert.Equal(CacheStore.SizeOf(EntryWrite.Delete("k", V(200))), _store.Stats().Bytes);

        _time.Advance(Grace - TimeSpan.FromMilliseconds(1));
        _store.Sweep(1000);
        Assert.NotNull(_store.Get("k", includeTombstone: true));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        _store.Sweep(1000);
        Assert.Null(_store.Get("k", includeTombstone: true));
        var stats = _store.Stats();
        Assert.Equal((0, 0, 0L), (stats.Entries, stats.Tombstones, stats.Bytes));
    }

    [Fact]
    public void MarkersAreEvictedUnderMemoryPressureSoNewValuesStillFit()
    {
        var one = CacheStore.SizeOf(Value("k000", "v", 1));
        var store = new CacheStore(_time, one * 100, Grace);
        for (var i = 0; i < 100; i++)
        {
            store.Put(Value($"k{i:000}", "v", 1, expiresAtMs: NowMs + 1000));
        }

        _time.Advance(TimeSpan.FromSeconds(2));
        store.Sweep(1000);
        Assert.Equal(100, store.Stats().Tombstones);

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(WriteOutcome.Applied, store.Put(Value($"n{i:000}", "v", 2)).Outcome);
        }

        var stats = store.Stats();
        Assert.True(stats.Evictions > 0);
        Assert.True(stats.Bytes <= one * 100);
    }
}
