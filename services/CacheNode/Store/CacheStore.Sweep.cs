namespace Microservices.CacheNode.Store;

/// <summary>
/// Expiry and the active sweep. The sweep does not drop an expired value: it turns it into its marker, a tombstone
/// at the value's version (the key's newest write has no value any more), kept for the tombstone grace period like
/// a delete's. So an older write that arrives later (a replay, a repair, a copy) is refused as stale, and reads
/// with tombstones report the marker, whose version outranks older values on other replicas. Unlike a delete's
/// tombstone, a marker stays in the eviction queue: under memory pressure it is evicted as a value would be (and
/// eviction takes an expired value whole), since a node out of memory must give up some versions either way.
/// </summary>
public sealed partial class CacheStore
{
    /// <summary>
    /// Turns into markers, in every shard, the expired values among the next <paramref name="batchPerShard"/> of its
    /// queue (the walk resumes where it stopped, so successive sweeps cover the whole store), and purges tombstones
    /// and markers older than the grace period. Each shard's lock is held for one bounded batch only. Returns the
    /// entries reclaimed.
    /// </summary>
    public int Sweep(int batchPerShard)
    {
        var reclaimed = 0;
        foreach (var shard in _shards)
        {
            lock (shard.Gate)
            {
                var now = NowMs;
                reclaimed += SweepExpiredLocked(shard, batchPerShard, now);
                reclaimed += PurgeTombstonesLocked(shard, now);
            }
        }

        return reclaimed;
    }

    private int SweepExpiredLocked(StoreShard shard, int batch, long now)
    {
        var reclaimed = 0;
        var node = shard.SweepCursor ?? shard.Sieve.Tail;
        for (var i = 0; i < batch && node is not null; i++)
        {
            var next = node.Newer;
            if (_map.TryGetValue(node.Key, out var entry) && entry.ExpiresAtMs <= now && ExpireLocked(shard, entry, now))
            {
                reclaimed++;
            }

            node = next;
        }

        shard.SweepCursor = node;
        return reclaimed;
    }

    // Replaces an expired value that is still the key's current entry by its marker, which keeps the value's place in
    // the eviction queue and is queued to be purged after the grace period. Returns false when a write replaced the
    // value meanwhile. The caller holds the shard's lock.
    private bool ExpireLocked(StoreShard shard, CacheEntry entry, long now)
    {
        // The marker covers the siblings too, so none of them comes back by a replay.
        var version = entry.Version;
        foreach (var sibling in entry.Siblings)
        {
            version = version.Join(sibling.Version);
        }

        var write = EntryWrite.Delete(entry.Key, version);
        var marker = new CacheEntry(write, entry.KeyHash, SizeOf(write), now, entry.Node);
        if (!_map.TryUpdate(entry.Key, marker, entry))
        {
            return false;
        }

        shard.Tombstones.Enqueue(marker);
        Count(entry, -1);
        Count(marker, +1);
        Release(entry.Size - marker.Size);
        Interlocked.Increment(ref _expirations);
        return true;
    }

    private int PurgeTombstonesLocked(StoreShard shard, long now)
    {
        var purged = 0;
        while (shard.Tombstones.TryPeek(out var tombstone) && tombstone.WrittenAtMs + _tombstoneGraceMs <= now)
        {
            shard.Tombstones.Dequeue();

            // A later write may have replaced it; only the current entry is removed.
            if (RemoveLocked(shard, tombstone))
            {
                purged++;
            }
        }

        return purged;
    }
}
