using System.Collections.Concurrent;
using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Store;

/// <summary>
/// The versioned in-memory store of one cache node.
/// Reads are lock-free: a concurrent dictionary maps keys to immutable entries. A write replaces the entry it
/// checked the version of with a compare-and-swap, so it is applied only when its version is newer than the stored
/// one. Writes that add a key or turn a value into a tombstone (or back) also change per-shard queues, and take
/// one of <see cref="ShardCount"/> striped locks (chosen by key hash) for it; updates of a value take none.
/// Memory is reserved before a write takes its lock, evicting (SIEVE, per shard) as needed, so the accounted
/// bytes never exceed the limit and no thread holds two shard locks at once. A value that expires keeps its
/// version as a tombstone-like marker for the tombstone grace period (see the Sweep part), so expiry never lets an
/// older version back in.
/// </summary>
public sealed partial class CacheStore
{
    /// <summary>Lock stripes; a power of two.</summary>
    public const int ShardCount = 64;

    private readonly ConcurrentDictionary<string, CacheEntry> _map = new(StringComparer.Ordinal);
    private readonly StoreShard[] _shards = new StoreShard[ShardCount];
    private readonly TimeProvider _time;
    private readonly long _maxBytes;
    private readonly long _tombstoneGraceMs;
    private long _bytes;
    private long _entries;
    private long _tombstones;
    private long _evictions;
    private long _expirations;

    /// <summary>Creates a store holding at most <paramref name="maxBytes"/> accounted bytes.</summary>
    public CacheStore(TimeProvider time, long maxBytes, TimeSpan tombstoneGracePeriod)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        _time = time;
        _maxBytes = maxBytes;
        _tombstoneGraceMs = (long)tombstoneGracePeriod.TotalMilliseconds;
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new StoreShard();
        }
    }

    /// <summary>Current unix time in milliseconds, from the store's clock.</summary>
    public long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// The live entry of <paramref name="key"/>, or null when absent, deleted or expired. With
    /// <paramref name="includeTombstone"/>, a deleted key returns its tombstone, and an expired value is returned as
    /// well (still counted as a miss): its version outranks older writes until its marker is purged.
    /// </summary>
    public CacheEntry? Get(string key, bool includeTombstone = false) => Get(key, includeTombstone, NowMs);

    /// <summary>
    /// <see cref="Get(string, bool)"/> as of <paramref name="nowMs"/> (<see cref="NowMs"/> read once for a batch).
    /// </summary>
    public CacheEntry? Get(string key, bool includeTombstone, long nowMs)
    {
        var shard = CounterShard();
        if (_map.TryGetValue(key, out var entry))
        {
            if (entry.IsLive(nowMs))
            {
                if (entry.Node is { Visited: false } node)
                {
                    node.Visited = true;
                }

                Interlocked.Increment(ref shard.Hits);
                return entry;
            }

            if (includeTombstone)
            {
                Interlocked.Increment(ref shard.Misses);
                return entry;
            }
        }

        Interlocked.Increment(ref shard.Misses);
        return null;
    }

    /// <summary>
    /// Applies <paramref name="write"/> by how its version relates to the stored state (<see cref="VersionRelation"/>):
    /// a write that descends the stored versions replaces them; an older one, or the same one again, is ignored (the
    /// same one reported as already applied); a concurrent one is resolved by its policy (see the Conflicts part).
    /// Under last-writer-wins the newer by (timestamp, writer) is stored, exactly as without vectors. A value replaces
    /// a value or a tombstone; a tombstone replaces a value. A write whose precondition does not hold for the stored
    /// entry is refused first (<see cref="Refusal"/>); the plan is installed only over the entry it was made for.
    /// </summary>
    public WriteResult Put(EntryWrite write)
    {
        var keyHash = KeyHash.Of(write.Key);
        while (true)
        {
            _map.TryGetValue(write.Key, out var current);
            if (current is not null && Refusal(write, current) is { } refused)
            {
                return refused;
            }

            var plan = current is null ? new WritePlan(write, WriteOutcome.Applied) : Plan(write, current);
            if (plan.Install is not { } install)
            {
                CountConflict(plan);
                return new WriteResult(plan.Outcome, current!.Version, plan.Conflict, plan.ConcurrentWith);
            }

            var size = SizeOf(install);
            if (size > _maxBytes)
            {
                return NoRoom(write.Key);
            }

            if (!TryInstall(install, keyHash, size, current, out var installed))
            {
                continue;
            }

            if (installed is null)
            {
                return NoRoom(write.Key);
            }

            CountConflict(plan);
            return new WriteResult(plan.Outcome, installed.Version, plan.Conflict, plan.ConcurrentWith);
        }
    }

    /// <summary>Counters and sizes as of now.</summary>
    public StoreStats Stats()
    {
        long hits = 0, misses = 0;
        foreach (var shard in _shards)
        {
            hits += Volatile.Read(ref shard.Hits);
            misses += Volatile.Read(ref shard.Misses);
        }

        return new StoreStats(
            Volatile.Read(ref _entries), Volatile.Read(ref _bytes), _maxBytes, hits, misses,
            Volatile.Read(ref _evictions), Volatile.Read(ref _expirations), Volatile.Read(ref _tombstones));
    }

    /// <summary>
    /// Recounts sizes, values, tombstones, entries with a queue node (values and markers of expired values) and
    /// queued nodes, from the map and the queues (tests, when quiet).
    /// </summary>
    internal (long Bytes, long Entries, long Tombstones, long Evictable, long Queued) Recount()
    {
        long bytes = 0, entries = 0, tombstones = 0, evictable = 0, queued = 0;
        foreach (var (_, entry) in _map)
        {
            bytes += entry.Size;
            entries += entry.Tombstone ? 0 : 1;
            tombstones += entry.Tombstone ? 1 : 0;
            evictable += entry.Node is null ? 0 : 1;
        }

        foreach (var shard in _shards)
        {
            queued += shard.Sieve.Count;
        }

        return (bytes, entries, tombstones, evictable, queued);
    }

    // Read counters are striped by thread, so concurrent readers do not share a cache line.
    private StoreShard CounterShard() => _shards[Environment.CurrentManagedThreadId & (ShardCount - 1)];

    // Values keep their queue position across updates; tombstones leave the queue (they are not evicted).
    private static SieveNode? NodeFor(StoreShard shard, EntryWrite write, CacheEntry? current)
    {
        var node = current?.Node;
        if (write.Tombstone)
        {
            if (node is not null)
            {
                shard.Sieve.Remove(node);
            }

            return null;
        }

        return node ?? shard.Sieve.Add(write.Key);
    }

    private static void UndoNode(StoreShard shard, SieveNode? node, CacheEntry? current)
    {
        if (current?.Node is { } removed && node is null)
        {
            shard.Sieve.Restore(removed);
        }
        else if (node is not null && !ReferenceEquals(node, current?.Node))
        {
            shard.Sieve.Remove(node);
        }
    }

    private void Count(CacheEntry entry, int delta)
    {
        if (entry.Tombstone)
        {
            Interlocked.Add(ref _tombstones, delta);
        }
        else
        {
            Interlocked.Add(ref _entries, delta);
        }
    }

    // Removes an entry that is still the key's current one; the caller holds its shard's lock.
    private bool RemoveLocked(StoreShard shard, CacheEntry entry)
    {
        if (!_map.TryRemove(KeyValuePair.Create(entry.Key, entry)))
        {
            return false;
        }

        if (entry.Node is not null)
        {
            shard.Sieve.Remove(entry.Node);
        }

        Count(entry, -1);
        Release(entry.Size);
        return true;
    }
}
