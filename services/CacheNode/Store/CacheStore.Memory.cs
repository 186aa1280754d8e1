namespace Microservices.CacheNode.Store;

/// <summary>Memory accounting and eviction.</summary>
public sealed partial class CacheStore
{
    /// <summary>
    /// Fixed bytes per entry besides its key, value and version strings: the entry object (88), the dictionary
    /// node (48), the SIEVE node (48), the version object (40), the value array header (24) and two string
    /// headers, key and writer (2 x 22). Measured layouts of .NET 10 on x64.
    /// </summary>
    public const long EntryOverhead = 88 + 48 + 48 + 40 + 24 + 44;

    private int _evictionStart;

    /// <summary>Bytes accounted for <paramref name="write"/>.</summary>
    public static long SizeOf(EntryWrite write)
    {
        long size = EntryOverhead + (2L * write.Key.Length) + write.Value.Length + (2L * write.Version.Writer.Length);
        foreach (var counter in write.Version.Vector)
        {
            size += 40 + (2L * counter.Writer.Length);
        }

        return size;
    }

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
