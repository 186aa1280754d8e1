using Microservices.CacheNode.Store;
using Microsoft.Extensions.Time.Testing;
using static Microservices.CacheNode.Tests.StoreFixtures;
using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Tests;

public sealed class CacheStoreScanTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(20_000));
    private readonly CacheStore _store;
    private readonly string[] _keys = Enumerable.Range(0, 3000).Select(i => $"key-{i}").ToArray();

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public CacheStoreScanTests()
    {
        _store = new CacheStore(_time, 64 << 20, TimeSpan.FromMinutes(10));
        foreach (var key in _keys)
        {
            _store.Put(Value(key, "v", 1));
        }
    }

    public static TheoryData<ulong, ulong> Ranges => new()
    {
        { ulong.MaxValue / 4, ulong.MaxValue / 2 },
        { ulong.MaxValue / 4 * 3, ulong.MaxValue / 8 },
        { 0, ulong.MaxValue / 3 },
        { 12345, 12345 },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public async Task ScanReturnsExactlyTheKeysInTheRangeWhileWritesContinue(ulong start, ulong end)
    {
        var range = new HashRange(start, end);
        var expected = _keys.Where(k => InArc(KeyHash.Of(k), start, end)).ToHashSet();

        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                _store.Put(Value($"new-{i++}", "v", 1));
                _store.Put(Value(_keys[i % _keys.Length], "updated", 2 + i));
            }
        });

        var seen = _store.Scan([range], liveOnly: false, NowMs).Select(e => e.Key).ToList();
        await stop.CancelAsync();
        await writer;

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.All(seen, key => Assert.True(range.Contains(KeyHash.Of(key))));
        Assert.Superset(expected, seen.Where(k => k.StartsWith("key-", StringComparison.Ordinal)).ToHashSet());
        Assert.Subset(expected, seen.Where(k => k.StartsWith("key-", StringComparison.Ordinal)).ToHashSet());
    }

    [Fact]
    public void WholeRingAndNoRangesReturnEverything()
    {
        Assert.Equal(_keys.Length, _store.Scan([new HashRange(7, 7)], liveOnly: false, NowMs).Count());
        Assert.Equal(_keys.Length, _store.Scan([], liveOnly: false, NowMs).Count());
    }

    [Fact]
    public void ScanStreamsTombstonesAndExpiredValuesUnlessLiveOnly()
    {
        // One expired value the sweep has turned into its marker, one expired since and not swept yet.
        _store.Put(EntryWrite.Delete("key-1", V(5)));
        _store.Put(Value("swept", "v", 8, expiresAtMs: NowMs + 5));
        _time.Advance(TimeSpan.FromSeconds(1));
        _store.Sweep(1_000_000);
        _store.Put(Value("lazy", "v", 7, expiresAtMs: NowMs + 5));
        _time.Advance(TimeSpan.FromSeconds(1));

        var all = _store.Scan([], liveOnly: false, NowMs).ToDictionary(e => e.Key);
        Assert.True(all["key-1"].Tombstone);
        Assert.Equal(8, all["swept"].Version.Timestamp);
        Assert.False(all["swept"].IsLive(NowMs));
        Assert.Equal(7, all["lazy"].Version.Timestamp);
        Assert.False(all["lazy"].IsLive(NowMs));

        var live = _store.Scan([], liveOnly: true, NowMs).Select(e => e.Key).ToList();
        Assert.DoesNotContain("key-1", live);
        Assert.DoesNotContain("lazy", live);
        Assert.DoesNotContain("swept", live);
    }

    [Fact]
    public void RangeBoundsAreExclusiveStartInclusiveEnd()
    {
        var range = new HashRange(10, 20);
        Assert.False(range.Contains(10));
        Assert.True(range.Contains(11));
        Assert.True(range.Contains(20));
        Assert.False(range.Contains(21));

        var wrap = new HashRange(ulong.MaxValue - 5, 3);
        Assert.True(wrap.Contains(ulong.MaxValue));
        Assert.True(wrap.Contains(0));
        Assert.True(wrap.Contains(3));
        Assert.False(wrap.Contains(4));
        Assert.False(wrap.Contains(ulong.MaxValue - 5));
    }

    // Written independently of HashRange.Contains, so the two check each other.
    private static bool InArc(ulong h, ulong start, ulong end)
    {
        if (start == end)
        {
            return true;
        }

        var distanceToHash = h - start;   // unsigned arithmetic wraps around the ring
        var arcLength = end - start;
        return distanceToHash != 0 && distanceToHash <= arcLength;
    }
}
