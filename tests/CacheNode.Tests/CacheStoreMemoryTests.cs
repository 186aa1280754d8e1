using Microservices.CacheNode.Store;
using Microsoft.Extensions.Time.Testing;
using static Microservices.CacheNode.Tests.StoreFixtures;
using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Tests;

public sealed class CacheStoreMemoryTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(20_000));

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [Fact]
    public void ExpiredEntryIsNeverReturnedAndTheSweepKeepsOnlyItsMarker()
    {
        var store = new CacheStore(_time, 1 << 20, TimeSpan.FromMinutes(10));
        store.Put(Value("k", new string('v', 1000), 1, expiresAtMs: NowMs + 1000));

        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.NotNull(store.Read("k"));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(store.Read("k"));
        Assert.Equal(1, store.Stats().Entries);

        store.Sweep(100);
        var stats = store.Stats();
        Assert.Equal(0, stats.Entries);
        Assert.Equal(1, stats.Expirations);
        Assert.Equal(1, stats.Tombstones);
        Assert.Equal(CacheStore.SizeOf(EntryWrite.Delete("k", V(1))), stats.Bytes);
    }

    [Fact]
    public void SweepCoversTheWholeStoreAcrossIntervals()
    {
        var store = new CacheStore(_time, 64 << 20, TimeSpan.FromMinutes(10));
        for (var i = 0; i < 5000; i++)
        {
            store.Put(Value($"k{i}", "v", 1, expiresAtMs: NowMs + 1000));
        }

        _time.Advance(TimeSpan.FromSeconds(2));
        var reclaimed = 0;
        for (var pass = 0; pass < 10; pass++)
        {
            reclaimed += store.Sweep(16);
        }

        Assert.Equal(5000, reclaimed);
        Assert.Equal(0, store.Stats().Entries);
    }

    [Fact]
    public async Task BytesStayUnderTheLimitDuringAWriteFlood()
    {
        const long limit = 256 * 1024;
        var store = new CacheStore(_time, limit, TimeSpan.FromMinutes(10));
        var overLimit = 0L;
        using var done = new CancellationTokenSource();
        var monitor = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                if (store.Stats().Bytes > limit)
                {
                    Interlocked.Increment(ref overLimit);
                }
            }
        });

        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var value = new string('x', 100 + (w * 37));
            for (var i = 0; i < 20_000; i++)
            {
                Assert.True(store.Put(Value($"w{w}-{i}", value, i + 1)).Applied);
            }
        }));
        await Task.WhenAll(writers);
        await done.CancelAsync();
        await monitor;

        var stats = store.Stats();
        Assert.Equal(0, Interlocked.Read(ref overLimit));
        Assert.InRange(stats.Bytes, limit / 2, limit);
        Assert.True(stats.Evictions > 70_000, $"expected most of 80,000 writes evicted, got {stats.Evictions}");
        Assert.Equal(80_000 - stats.Evictions, stats.Entries);
    }

    [Fact]
    public void SieveKeepsAReadEntryAndEvictsTheOldestUnread()
    {
        // SIEVE runs per lock stripe; keys of one stripe show its order exactly.
        var keys = Enumerable.Range(0, 100_000).Select(i => $"k{i:D6}")
            .Where(k => (KeyHash.Of(k) & (CacheStore.ShardCount - 1)) == 0).Take(5).ToArray();
        var one = CacheStore.SizeOf(Value(keys[0], "v", 1));
        var store = new CacheStore(_time, one * 4, TimeSpan.FromMinutes(10));
        for (var i = 0; i < 4; i++)
        {
            store.Put(Value(keys[i], "v", 1));
        }

        store.Get(keys[0]);
        store.Put(Value(keys[4], "v", 1));

        Assert.NotNull(store.Get(keys[0]));
        Assert.Null(store.Get(keys[1]));
        Assert.NotNull(store.Get(keys[4]));
        Assert.Equal(1, store.Stats().Evictions);
    }

    [Fact]
    public void EvictionPrefersExpiredEntriesAndCountsThemAsExpirations()
    {
        var one = CacheStore.SizeOf(Value("k0", "v", 1));
        var store = new CacheStore(_time, one * 2, TimeSpan.FromMinutes(10));
        store.Put(Value("k0", "v", 1));
        store.Put(Value("k1", "v", 1, expiresAtMs: NowMs + 10));
        store.Get("k0");
        store.Get("k1");
        _time.Advance(TimeSpan.FromSeconds(1));

        store.Put(Value("k2", "v", 1));

        Assert.NotNull(store.Get("k0"));
        Assert.Equal(1, store.Stats().Expirations);
        Assert.Equal(0, store.Stats().Evictions);
    }

    [Fact]
    public void WriteLargerThanTheLimitGetsNoRoom()
    {
        var store = new CacheStore(_time, 1000, TimeSpan.FromMinutes(10));
        var result = store.Put(Value("k", new string('x', 2000), 1));
        Assert.Equal(WriteOutcome.NoRoom, result.Outcome);
        Assert.Equal(0, store.Stats().Bytes);
    }

    [Fact]
    public void TombstonesAreNotEvictedSoAFullStoreOfThemRefusesWrites()
    {
        var one = CacheStore.SizeOf(EntryWrite.Delete("k0", V(1)));
        var store = new CacheStore(_time, one * 2, TimeSpan.FromMinutes(10));
        store.Put(EntryWrite.Delete("k0", V(1)));
        store.Put(EntryWrite.Delete("k1", V(1)));

        Assert.Equal(WriteOutcome.NoRoom, store.Put(Value("k2", "v", 1)).Outcome);
        Assert.Equal(2, store.Stats().Tombstones);

        _time.Advance(TimeSpan.FromMinutes(10));
        store.Sweep(10);
        Assert.Equal(WriteOutcome.Applied, store.Put(Value("k2", "v", 1)).Outcome);
    }

    [Fact]
    public void SizeCountsKeyValueVersionAndOverhead()
    {
        var write = new EntryWrite("abc", new byte[10], EntryKind.Binary,
            new EntryVersion(1, "gw", [new VersionCounter("gw", 3)]), long.MaxValue, Tombstone: false);
        // Each string and array as laid out on the heap: header, content, rounded up to 8 bytes. Key "abc" 32, value
        // 40, writer "gw" 32, the vector's array of one (writer, counter) pair 40, and its writer's string 32.
        Assert.Equal(CacheStore.EntryOverhead + 32 + 40 + 32 + 40 + 32, CacheStore.SizeOf(write));
    }

    [Fact]
    public async Task AccountingStaysExactUnderMixedConcurrentWritesDeletesEvictionsAndSweeps()
    {
        var store = new CacheStore(_time, 200 * 1024, TimeSpan.FromMilliseconds(5));
        var stamp = 0L;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var random = new Random(w);
            for (var i = 0; i < 30_000; i++)
            {
                var key = $"k{random.Next(400)}";
                var version = Interlocked.Increment(ref stamp) - random.Next(3);
                // Deletes, values that live through the run, and values that expire during it (sweeps turn them
                // into markers, evictions take them or their markers).
                var write = random.Next(4) switch
                {
                    0 => EntryWrite.Delete(key, V(version, $"gw-{w}")),
                    1 => Value(key, new string('v', random.Next(1, 300)), version, $"gw-{w}", NowMs + random.Next(1, 50)),
                    _ => Value(key, new string('v', random.Next(1, 300)), version, $"gw-{w}"),
                };
                store.Put(write);
                if (i % 1000 == 0)
                {
                    store.Sweep(32);
                }
            }
        }));
        var clock = Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                _time.Advance(TimeSpan.FromMilliseconds(1));
                Thread.Sleep(1);
            }
        });
        await Task.WhenAll(writers.Append(clock));

        var stats = store.Stats();
        var recount = store.Recount();
        Assert.Equal(recount.Bytes, stats.Bytes);
        Assert.Equal(recount.Entries, stats.Entries);
        Assert.Equal(recount.Tombstones, stats.Tombstones);
        Assert.Equal(recount.Evictable, recount.Queued);
        Assert.True(stats.Bytes <= 200 * 1024);
    }
}
