namespace Microservices.CacheNode.Store;

/// <summary>
/// One of the store's lock stripes: the writes of the keys that hash to it, their SIEVE queue, their tombstones
/// in write order, and the shard's read counters (kept apart so readers on different shards share no cache line).
/// </summary>
internal sealed class StoreShard
{
    public readonly Lock Gate = new();
    public readonly SieveQueue Sieve = new();
    public readonly Queue<CacheEntry> Tombstones = new();

    /// <summary>Where the expiry sweep resumes in <see cref="Sieve"/>; null = from the tail.</summary>
    public SieveNode? SweepCursor;

    public long Hits;
    public long Misses;
}
