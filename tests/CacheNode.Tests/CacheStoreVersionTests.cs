using Microservices.CacheNode.Store;
using Microsoft.Extensions.Time.Testing;
using static Microservices.CacheNode.Tests.StoreFixtures;

namespace Microservices.CacheNode.Tests;

public sealed class CacheStoreVersionTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(20_000));
    private readonly CacheStore _store;

    public CacheStoreVersionTests() => _store = new CacheStore(_time, 1 << 20, TimeSpan.FromMinutes(10));

    [Fact]
    public void NewerVersionReplacesAndOlderIsIgnored()
    {
        Assert.Equal(WriteOutcome.Applied, _store.Put(Value("k", "v2", 200)).Outcome);

        var stale = _store.Put(Value("k", "v1", 100));
        Assert.Equal(WriteOutcome.Stale, stale.Outcome);
        Assert.False(stale.Applied);
        Assert.Equal(200, stale.Current!.Timestamp);
        Assert.Equal("v2", _store.Read("k"));

        Assert.Equal(WriteOutcome.Applied, _store.Put(Value("k", "v3", 300)).Outcome);
        Assert.Equal("v3", _store.Read("k"));
    }

    [Fact]
    public void EqualVersionIsAlreadyAppliedAndChangesNothing()
    {
        _store.Put(Value("k", "first", 100));
        var bytes = _store.Stats().Bytes;

        var replay = _store.Put(Value("k", "other", 100));
        Assert.Equal(WriteOutcome.AlreadyApplied, replay.Outcome);
        Assert.True(replay.Applied);
        Assert.Equal("first", _store.Read("k"));
        Assert.Equal(bytes, _store.Stats().Bytes);
    }

    [Fact]
    public void WriterBreaksTimestampTiesTheSameWayInAnyOrder()
    {
        var other = new CacheStore(_time, 1 << 20, TimeSpan.FromMinutes(10));
        _store.Put(Value("k", "from-a", 100, "gw-a"));
        _store.Put(Value("k", "from-b", 100, "gw-b"));
        other.Put(Value("k", "from-b", 100, "gw-b"));
        other.Put(Value("k", "from-a", 100, "gw-a"));

        Assert.Equal("from-b", _store.Read("k"));
        Assert.Equal("from-b", other.Read("k"));
    }

    [Fact]
    public void TombstoneBlocksAnOlderWrite()
    {
        _store.Put(Value("k", "v1", 100));
        Assert.Equal(WriteOutcome.Applied, _store.Put(EntryWrite.Delete("k", V(300))).Outcome);

        var late = _store.Put(Value("k", "v2", 200));
        Assert.Equal(WriteOutcome.Stale, late.Outcome);
        Assert.Null(_store.Read("k"));
        Assert.Equal(1, _store.Stats().Tombstones);
        Assert.Equal(0, _store.Stats().Entries);
    }

    [Fact]
    public void NewerWriteAfterADeleteStoresTheKeyAgain()
    {
        _store.Put(EntryWrite.Delete("k", V(300)));
        Assert.Equal(WriteOutcome.Applied, _store.Put(Value("k", "back", 400)).Outcome);
        Assert.Equal("back", _store.Read("k"));
        Assert.Equal(0, _store.Stats().Tombstones);
    }

    [Fact]
    public void TombstoneIsPurgedOnlyAfterTheGracePeriod()
    {
        _store.Put(Value("k", "v1", 100));
        _store.Put(EntryWrite.Delete("k", V(300)));

        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromMilliseconds(1));
        _store.Sweep(100);
        Assert.Equal(1, _store.Stats().Tombstones);
        Assert.Equal(WriteOutcome.Stale, _store.Put(Value("k", "late", 200)).Outcome);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        _store.Sweep(100);
        Assert.Equal(0, _store.Stats().Tombstones);
        Assert.Equal(0, _store.Stats().Bytes);
    }

    [Fact]
    public void SupersededTombstoneIsNotPurgedWithItsReplacement()
    {
        _store.Put(EntryWrite.Delete("k", V(100)));
        _store.Put(Value("k", "alive", 200));
        _time.Advance(TimeSpan.FromMinutes(11));
        _store.Sweep(100);
        Assert.Equal("alive", _store.Read("k"));
    }

    [Fact]
    public async Task ConcurrentWritersOfOneKeyEndWithTheNewestVersion()
    {
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var random = new Random(w);
            for (var i = 0; i < 20_000; i++)
            {
                var timestamp = random.Next(1, 1_000_000);
                _store.Put(Value("hot", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture), timestamp, $"gw-{w}"));
            }

            _store.Put(Value("hot", "final", 1_000_000 + w, $"gw-{w}"));
        }));
        await Task.WhenAll(writers);

        var entry = _store.Get("hot")!;
        Assert.Equal(1_000_003, entry.Version.Timestamp);
        Assert.Equal("final", _store.Read("hot"));
        Assert.Equal(1, _store.Stats().Entries);

        // The writers are concurrent (none has seen another's writes), so the winner's vector joins the losers'.
        Assert.Equal(CacheStore.SizeOf(Value("hot", "final", 1_000_003, "gw-3") with { Version = entry.Version }), _store.Stats().Bytes);
    }

    [Fact]
    public void ReadsCountHitsAndMisses()
    {
        _store.Put(Value("k", "v", 1));
        _store.Get("k");
        _store.Get("k");
        _store.Get("absent");

        var stats = _store.Stats();
        Assert.Equal(2, stats.Hits);
        Assert.Equal(1, stats.Misses);
    }
}
