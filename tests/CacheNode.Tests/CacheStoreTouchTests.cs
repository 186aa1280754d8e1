using Microservices.CacheNode.Store;
using Microsoft.Extensions.Time.Testing;
using static Microservices.CacheNode.Tests.StoreFixtures;

namespace Microservices.CacheNode.Tests;

/// <summary>Touch moves the expiry of exactly the version read, only later, and never revives or undoes anything.</summary>
public sealed class CacheStoreTouchTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(20_000));
    private readonly CacheStore _store;

    public CacheStoreTouchTests() => _store = new CacheStore(_time, 1 << 20, TimeSpan.FromMinutes(10));

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [Fact]
    public void TouchKeepsTheValueAliveBeyondItsFirstExpiry()
    {
        _store.Put(Value("k", "v", 100, expiresAtMs: NowMs + 10_000));
        _time.Advance(TimeSpan.FromSeconds(8));

        var touch = _store.Touch("k", V(100), NowMs + 10_000);
        _time.Advance(TimeSpan.FromSeconds(8));

        Assert.Equal(TouchOutcome.Extended, touch.Outcome);
        Assert.Equal("v", _store.Read("k"));
        Assert.Equal(100, _store.Get("k")!.Version.Timestamp);
    }

    [Fact]
    public void TouchOfAnOlderVersionLeavesTheNewerWriteAndItsExpiry()
    {
        _store.Put(Value("k", "old", 100, expiresAtMs: NowMs + 10_000));
        _store.Put(Value("k", "new", 200, expiresAtMs: NowMs + 5_000));

        var touch = _store.Touch("k", V(100), NowMs + 60_000);
        _time.Advance(TimeSpan.FromSeconds(6));

        Assert.Equal(TouchOutcome.VersionMismatch, touch.Outcome);
        Assert.Equal(200, touch.Current!.Timestamp);
        Assert.Null(_store.Read("k"));
    }

    [Fact]
    public void TouchDoesNotReviveAnExpiredValue()
    {
        _store.Put(Value("k", "v", 100, expiresAtMs: NowMs + 1_000));
        _time.Advance(TimeSpan.FromSeconds(2));

        var touch = _store.Touch("k", V(100), NowMs + 60_000);

        Assert.Equal(TouchOutcome.NotFound, touch.Outcome);
        Assert.Null(_store.Read("k"));
    }

    [Fact]
    public void TouchNeverMovesAnExpiryEarlier()
    {
        _store.Put(Value("k", "v", 100, expiresAtMs: NowMs + 60_000));

        var touch = _store.Touch("k", V(100), NowMs + 1_000);
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(TouchOutcome.Extended, touch.Outcome);
        Assert.Equal(NowMs - 2_000 + 60_000, touch.ExpiresAtMs);
        Assert.Equal("v", _store.Read("k"));
    }
}
