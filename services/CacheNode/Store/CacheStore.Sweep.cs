namespace Microservices.CacheNode.Store;

/// <summary>The active sweep: expired values and tombstones past their grace period.</summary>
public sealed partial class CacheStore
{
    /// <summary>
    /// Reclaims, in every shard, expired values among the next <paramref name="batchPerShard"/> of its queue (the
    /// walk resumes where it stopped, so successive sweeps cover the whole store), and tombstones older than the
    /// grace period. Each shard's lock is held for one bounded batch only. Returns the entries reclaimed.
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
            if (_map.TryGetValue(node.Key, out var entry) && entry.ExpiresAtMs <= now && RemoveLocked(shard, entry))
            {
                Interlocked.Increment(ref _expirations);
                reclaimed++;
            }

            node = next;
        }

        shard.SweepCursor = node;
        return reclaimed;
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
