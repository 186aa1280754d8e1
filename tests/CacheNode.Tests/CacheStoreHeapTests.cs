using Microservices.CacheNode.Store;
using Microservices.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Microservices.CacheNode.Tests;

/// <summary>CacheNode:MaxBytes counts what the heap holds: the accounting of each entry covers its real bytes.</summary>
[Collection(HeapMeasuringTests.Name)]
public sealed class CacheStoreHeapTests
{
    [Theory]
    [InlineData(100)]
    [InlineData(1024)]
    public void TheAccountedBytesCoverWhatTheHeapHoldsPerEntry(int valueBytes)
    {
        const int entries = 100_000;
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        var before = LiveHeap.Bytes();
        var store = new CacheStore(time, 1L << 30, TimeSpan.FromMinutes(10));
        for (var i = 0; i < entries; i++)
        {
            // As the gRPC layer builds a write: its own key, writer and value array, and no vector.
            var version = new EntryVersion(i + 1, $"gateway-{i % 3}", []);
            store.Put(new EntryWrite($"key-{i:D8}", new byte[valueBytes + (i % 8)], EntryKind.Binary, version, long.MaxValue, Tombstone: false));
        }

        var heap = LiveHeap.Bytes() - before;
        var accounted = store.Stats().Bytes;
        GC.KeepAlive(store);

        Assert.True(accounted >= heap, $"accounted {accounted / entries} B per entry, heap {heap / entries} B per entry");
        Assert.True(accounted <= heap * 1.2, $"accounted {accounted / entries} B per entry, heap {heap / entries} B per entry");
    }
}

/// <summary>Tests that measure the heap run alone, with nothing else allocating beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasuringTests
{
    public const string Name = "Heap";
}
