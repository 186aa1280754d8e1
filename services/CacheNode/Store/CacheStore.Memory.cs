namespace Microservices.CacheNode.Store;

/// <summary>Memory accounting and eviction.</summary>
public sealed partial class CacheStore
{
    /// <summary>
    /// Fixed bytes per entry besides its key, value and version strings and arrays: the entry object (96), the
    /// dictionary node (48) and its share of the dictionary's bucket array (48: the table doubles as soon as one lock
    /// stripe's share of it is full, which depends on the keys' string hashes, randomized per process; measured from
    /// 2 to 5 eight-byte slots per entry with 50,000 keys), the SIEVE node or tombstone
    /// queue slot (48), and the version object (40). Layouts of .NET 10 on x64 (8-byte alignment), checked against
    /// the heap by CacheStoreHeapTests: with the strings' and arrays' own headers, a 1 KiB value costs about 1.4 KiB.
    /// </summary>
    public const long EntryOverhead = 96 + 48 + 56 + 48 + 40;

    private int _evictionStart;

    /// <summary>
    /// Bytes accounted for <paramref name="write"/>: what the entry holds on the heap, its siblings included (each: the
    /// sibling object (40), its array slot (8), its value and version).
    /// </summary>
    public static long SizeOf(EntryWrite write)
    {
        var size = EntryOverhead + StringBytes(write.Key) + Align(24L + write.Value.Length) + VersionBytes(write.Version);
        if (write.Siblings.Count > 0)
        {
            size += 24;
            foreach (var sibling in write.Siblings)
            {
                size += 40 + 8 + 40 + Align(24L + sibling.Value.Length) + VersionBytes(sibling.Version);
            }
        }

        return size;
    }

    // The writer's string and the vector: an array of (writer, counter) pairs, 16 bytes each, and each writer's string.
    private static long VersionBytes(EntryVersion version)
    {
        var size = StringBytes(version.Writer);
        if (version.Vector.Count > 0)
        {
            size += Align(24L + (16L * version.Vector.Count));
            foreach (var counter in version.Vector)
            {
                size += StringBytes(counter.Writer);
            }
        }

        return size;
    }

    private static long StringBytes(string text) => Align(22L + (2L * text.Length));

    private static long Align(long bytes) => (bytes + 7) & ~7L;

    /// <summary>
    /// Evicts one value (or the marker of an expired one, see Sweep) if any can be, taking expired values and markers
    /// first. Returns false when only the tombstones of deletes remain.
    /// </summary>
    public bool EvictOne()
    {
        var start = Interlocked.Increment(ref _evictionStart);
        for (var i = 0; i < ShardCount; i++)
        {
            var shard = _shards[(start + i) & (ShardCount - 1)];
            if (TryEvictFrom(shard))
            {
                return true;
            }
        }

        return false;
    }

    // Takes `size` bytes of the budget, evicting until they fit; never lets the accounted bytes pass the limit.
    private bool Reserve(long size)
    {
        while (true)
        {
            var current = Volatile.Read(ref _bytes);
            if (current + size <= _maxBytes)
            {
                if (Interlocked.CompareExchange(ref _bytes, current + size, current) == current)
                {
                    return true;
                }

                continue;
            }

            if (!EvictOne())
            {
                return false;
            }
        }
    }

    private void Release(long size) => Interlocked.Add(ref _bytes, -size);

    private bool TryEvictFrom(StoreShard shard)
    {
        lock (shard.Gate)
        {
            var now = NowMs;
            while (shard.Sieve.NextVictim(node => IsExpiredOrMarker(node, now)) is { } victim)
            {
                if (!_map.TryGetValue(victim.Key, out var entry) || !ReferenceEquals(entry.Node, victim))
                {
                    // Cannot happen while writes keep queue and map in step under this lock; drop the stray node.
                    shard.Sieve.Remove(victim);
                    continue;
                }

                var expired = entry.ExpiresAtMs <= now;
                if (RemoveLocked(shard, entry))
                {
                    Interlocked.Increment(ref expired ? ref _expirations : ref _evictions);
                    return true;
                }
            }

            return false;
        }
    }

    // Taken whatever their mark: expired values, and the markers they leave (the only tombstones in the queue).
    private bool IsExpiredOrMarker(SieveNode node, long now) =>
        _map.TryGetValue(node.Key, out var entry) && (entry.Tombstone || entry.ExpiresAtMs <= now);
}
