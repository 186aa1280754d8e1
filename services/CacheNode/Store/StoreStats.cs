namespace Microservices.CacheNode.Store;

/// <summary>The store's counters.</summary>
/// <param name="Entries">Values stored (tombstones excluded; expired values count until reclaimed).</param>
/// <param name="Bytes">Bytes accounted against the memory limit.</param>
/// <param name="MaxBytes">The memory limit.</param>
/// <param name="Hits">Reads that found a live value.</param>
/// <param name="Misses">Reads that found nothing live.</param>
/// <param name="Evictions">Values evicted to stay under the limit.</param>
/// <param name="Expirations">Values reclaimed after their TTL.</param>
/// <param name="Tombstones">Tombstones kept.</param>
public readonly record struct StoreStats(
    long Entries, long Bytes, long MaxBytes, long Hits, long Misses, long Evictions, long Expirations, long Tombstones);
