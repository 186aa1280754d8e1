using Microservices.CacheNode.Store;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.Time.Testing;
using static Microservices.CacheNode.Tests.StoreFixtures;

namespace Microservices.CacheNode.Tests;

/// <summary>Range digests: equal contents give equal digests, and a difference shows in its own sub-range only.</summary>
public sealed class CacheStoreDigestTests
{
    private static readonly HashRange WholeRing = new(0, 0);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    private CacheStore NewStore() => new(_time, 64L * 1024 * 1024, TimeSpan.FromMinutes(10));

    private long Now => HybridTime.FromWallMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds());

    private static RangeDigest[] DigestOf(CacheStore store, int splits = 16, params HashRange[] ranges) =>
        store.Digest(ranges.Length == 0 ? [WholeRing] : ranges, splits, store.NowMs, CancellationToken.None);

    [Fact]
    public void ReplicasHoldingTheSameWritesInAnyOrderHaveEqualDigests()
    {
        var (a, b) = (NewStore(), NewStore());
        var writes = Enumerable.Range(0, 500).Select(i => Value($"key-{i}", $"value-{i}", Now + i)).ToList();
        foreach (var write in writes)
        {
            a.Put(write);
        }

        // In reverse, and b also first held older versions of some keys that the newer writes replaced.
        for (var i = 0; i < 100; i++)
        {
            b.Put(Value($"key-{i}", "older", Now - 1000));
        }

        foreach (var write in Enumerable.Reverse(writes))
        {
            b.Put(write);
        }

        Assert.Equal(DigestOf(a), DigestOf(b));
        Assert.Equal(500, DigestOf(a).Sum(d => d.Entries));
    }

    [Fact]
    public void AnEntryThatDiffersChangesOnlyTheSubRangeItHashesTo()
    {
        var (a, b) = (NewStore(), NewStore());
        for (var i = 0; i < 300; i++)
        {
            a.Put(Value($"key-{i}", "v", Now));
            b.Put(Value($"key-{i}", "v", Now));
        }

        var newer = Value("key-7", "v2", Now + 1);
        b.Put(newer);
        var (before, after) = (DigestOf(a), DigestOf(b));

        var differing = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        var length = RingSplit.Length(0, 0);
        Assert.Equal([RingSplit.SubRangeOf(0, length, 16, KeyHash.Of("key-7"))], differing);
        Assert.Equal(before[differing[0]].Entries, after[differing[0]].Entries);
    }

    [Fact]
    public void TombstonesAndMissingKeysShowAsDifferences()
    {
        var (a, b, c) = (NewStore(), NewStore(), NewStore());
        foreach (var store in new[] { a, b, c })
        {
            store.Put(Value("kept", "v", Now));
        }

        a.Put(Value("gone", "v", Now));
        b.Put(Value("gone", "v", Now));
        b.Put(EntryWrite.Delete("gone", V(Now + 1)));

        // Missing on c, a value on a, a tombstone on b: three different digests.
        Assert.Equal(3, new[] { DigestOf(a, 1), DigestOf(b, 1), DigestOf(c, 1) }.Select(d => d[0]).Distinct().Count());
    }

    [Fact]
    public void TombstonesOlderThanHalfTheGracePeriodAreLeftOut()
    {
        var (a, b) = (NewStore(), NewStore());
        a.Put(Value("kept", "v", Now));
        b.Put(Value("kept", "v", Now));
        b.Put(EntryWrite.Delete("deleted", V(Now)));
        Assert.NotEqual(DigestOf(a, 1), DigestOf(b, 1));

        // One replica purges it at the end of its grace period, another later: both look alike well before either.
        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromMilliseconds(1));
        Assert.Equal(DigestOf(a, 1), DigestOf(b, 1));
    }

    [Fact]
    public void EachRangeIsCutIntoItsOwnSubRangesInRequestOrder()
    {
        var store = NewStore();
        for (var i = 0; i < 1000; i++)
        {
            store.Put(Value($"key-{i}", "v", Now));
        }

        // Two ranges, the second wrapping past the top of the ring, in that order.
        HashRange[] ranges = [new(1UL << 62, 3UL << 62), new(3UL << 62, 1UL << 62)];
        var digests = DigestOf(store, 4, ranges);

        Assert.Equal(8, digests.Length);
        for (var r = 0; r < ranges.Length; r++)
        {
            var length = RingSplit.Length(ranges[r].Start, ranges[r].End);
            for (var i = 0; i < 4; i++)
            {
                var sub = new HashRange(RingSplit.Bound(ranges[r].Start, length, 4, i), RingSplit.Bound(ranges[r].Start, length, 4, i + 1));
                var expected = Enumerable.Range(0, 1000).Count(k => sub.Contains(KeyHash.Of($"key-{k}")));
                Assert.Equal(expected, digests[(r * 4) + i].Entries);
            }
        }
    }
}
