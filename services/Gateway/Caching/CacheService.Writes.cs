using Microservices.Cache.V1;
using Microservices.Gateway.Origin;
using Microservices.Gateway.Replication;

namespace Microservices.Gateway.Caching;

/// <summary>Put, Invalidate and Delete: stamped first, then the origin, then the replicas.</summary>
public sealed partial class CacheService
{
    /// <summary>
    /// Writes <paramref name="entry"/> (value, kind and expiry set; key and version are set here) as
    /// <paramref name="key"/> of <paramref name="tenant"/>. One rule for Put, MultiPut and Delete: stamp first, then
    /// the origin (applied only over an older version), then the replicas (likewise), so both keep the same last
    /// write whatever the interleaving; and no cache-aside load overlapping the write caches what it read.
    /// </summary>
    public async Task<ReplicaWrite> PutAsync(string tenant, string key, Entry entry, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        entry.Key = StoredKey(tenant, key);
        using var activity = Start("cache.put", entry.Key, level);
        using var writing = cacheAside?.BeginWrite([entry.Key]);
        entry.Version = coordinator.Stamp();
        await WriteThroughAsync(tenant, [(key, entry)], cancellationToken);
        var write = await coordinator.WriteAsync(entry, level, cancellationToken);
        Record(activity, "put", write.AcknowledgedBy.Count, write.Failures.Count);
        return write;
    }

    /// <summary>
    /// Removes <paramref name="key"/> of <paramref name="tenant"/> from the cache alone: a tombstone at
    /// <paramref name="level"/>.
    /// </summary>
    public async Task<ReplicaWrite> InvalidateAsync(string tenant, string key, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        var storedKey = StoredKey(tenant, key);
        using var activity = Start("cache.invalidate", storedKey, level);
        var tombstone = new Entry { Key = storedKey, Tombstone = true, Version = coordinator.Stamp() };
        var write = await coordinator.WriteAsync(tombstone, level, cancellationToken);
        Record(activity, "invalidate", write.AcknowledgedBy.Count, write.Failures.Count);
        return write;
    }

    /// <summary>
    /// Deletes <paramref name="key"/> of <paramref name="tenant"/> from the origin, then writes its tombstone at
    /// QUORUM. Stamped first, as a Put; if the origin fails, the cache is untouched and the caller can retry.
    /// FAILED_PRECONDITION without an origin database.
    /// </summary>
    public async Task<(bool Existed, ReplicaWrite Write)> DeleteAsync(string tenant, string key, CancellationToken cancellationToken)
    {
        var store = origin.Require("Delete");
        var storedKey = StoredKey(tenant, key);
        using var activity = Start("cache.delete", storedKey, ConsistencyLevel.Quorum);
        using var writing = cacheAside?.BeginWrite([storedKey]);
        var tombstone = new Entry { Key = storedKey, Tombstone = true, Version = coordinator.Stamp() };
        bool existed;
        try
        {
            existed = await store.DeleteAsync(tenant, key, ToOrigin(tombstone.Version), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw OriginAccess.Unavailable("Delete", ex);
        }

        var write = await coordinator.WriteAsync(tombstone, ConsistencyLevel.Quorum, cancellationToken);
        Record(activity, "delete", write.AcknowledgedBy.Count, write.Failures.Count);
        return (existed, write);
    }

    // WriteThrough: the origin before the cache, all rows in one transaction, each with the version it carries to
    // the replicas; on failure nothing reaches the cache.
    private async Task WriteThroughAsync(string tenant, IReadOnlyList<(string Key, Entry Entry)> items, CancellationToken cancellationToken)
    {
        if (!origin.WritesThrough)
        {
            return;
        }

        var now = time.GetUtcNow();
        var rows = items.Select(item => new OriginRow(
            tenant, item.Key, item.Entry.Kind == ValueKind.Text, item.Entry.Value.ToByteArray(), now, ToOrigin(item.Entry.Version))).ToArray();
        try
        {
            await origin.Store!.PutAsync(rows, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw OriginAccess.Unavailable("Put", ex);
        }
    }

    private static OriginVersion ToOrigin(Cache.V1.Version version) => new(version.Timestamp, version.Writer);
}
