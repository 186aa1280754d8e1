namespace Microservices.CacheNode.Store;

/// <summary>Installing a planned write: a compare-and-swap for a value over a value, else under the shard's lock.</summary>
public sealed partial class CacheStore
{
    private WriteResult NoRoom(string key) =>
        new(WriteOutcome.NoRoom, _map.TryGetValue(key, out var stored) ? stored.Version : null);

    // Stores `install` in place of `current` (null: the key absent). False when the key changed since it was read;
    // the caller then reads it again. True with `installed` null when there is no room.
    private bool TryInstall(EntryWrite install, ulong keyHash, long size, CacheEntry? current, out CacheEntry? installed)
    {
        installed = null;

        // A value replacing a value keeps its queue node, so no shard state changes: a compare-and-swap on the map
        // entry is enough, and the plan holds for exactly the entry replaced. Only the growth is reserved (usually
        // nothing), so the common update touches no shared counter.
        if (current is not null && !install.Tombstone && !current.Tombstone)
        {
            var growth = size - current.Size;
            if (growth > 0 && !Reserve(growth))
            {
                return true;
            }

            var entry = new CacheEntry(install, keyHash, size, 0, current.Node);
            if (_map.TryUpdate(install.Key, entry, current))
            {
                if (growth < 0)
                {
                    Release(-growth);
                }

                installed = entry;
                return true;
            }

            if (growth > 0)
            {
                Release(growth);
            }

            return false;
        }

        // Reserved before the shard lock is taken: eviction takes shard locks, never while holding one.
        if (!Reserve(size))
        {
            return true;
        }

        installed = PutLocked(install, keyHash, size, current);
        return installed is not null;
    }

    // Writes that add a key or change between value and tombstone also change the shard's queues, under its lock.
    // Returns null when the key no longer holds `current` (null: absent); the caller then reads it again.
    private CacheEntry? PutLocked(EntryWrite write, ulong keyHash, long size, CacheEntry? current)
    {
        var shard = _shards[keyHash & (ShardCount - 1)];
        lock (shard.Gate)
        {
            if (!ReferenceEquals(_map.GetValueOrDefault(write.Key), current))
            {
                Release(size);
                return null;
            }

            var node = NodeFor(shard, write, current);
            var entry = new CacheEntry(write, keyHash, size, write.Tombstone ? NowMs : 0, node);
            var stored = current is null ? _map.TryAdd(write.Key, entry) : _map.TryUpdate(write.Key, entry, current);
            if (!stored)
            {
                // A lock-free value update won the race; undo the queue change and read the key again.
                UndoNode(shard, node, current);
                Release(size);
                return null;
            }

            if (write.Tombstone)
            {
                shard.Tombstones.Enqueue(entry);
            }

            Count(entry, +1);
            if (current is not null)
            {
                Count(current, -1);
                Release(current.Size);
            }

            return entry;
        }
    }
}
