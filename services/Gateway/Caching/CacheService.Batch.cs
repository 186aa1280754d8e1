using Microservices.Cache.V1;
using Microservices.Gateway.Replication;

namespace Microservices.Gateway.Caching;

/// <summary>MultiGet and MultiPut.</summary>
public sealed partial class CacheService
{
    /// <summary>
    /// Reads <paramref name="keys"/> of <paramref name="tenant"/> at <paramref name="level"/>; one read per key, in
    /// order. No cache-aside. <paramref name="atLeast"/>, when given, holds per key the timestamp of the newest version
    /// the client's session has seen (0 = none): a key whose replicas answered older is read again until one has caught
    /// up (<see cref="ReplicaCoordinator.CatchUpAsync"/>).
    /// </summary>
    public async Task<ReplicaRead[]> GetManyAsync(
        string tenant, IReadOnlyList<string> keys, ConsistencyLevel level, IReadOnlyList<long>? atLeast, CancellationToken cancellationToken)
    {
        using var activity = GatewayTelemetry.Source.StartActivity("cache.multi_get");
        activity?.SetTag("cache.items", keys.Count);
        var storedKeys = new string[keys.Count];
        for (var i = 0; i < storedKeys.Length; i++)
        {
            storedKeys[i] = StoredKey(tenant, keys[i]);
        }

        var reads = await coordinator.ReadManyAsync(storedKeys, level, cancellationToken);
        for (var i = 0; atLeast is not null && i < reads.Length; i++)
        {
            reads[i] = await coordinator.CatchUpAsync(storedKeys[i], level, reads[i], atLeast[i], cancellationToken);
        }

        if (Array.TrueForAll(reads, read => read.Satisfied))
        {
            telemetry.RecordRequest("multi_get", "ok");
        }

        return reads;
    }

    /// <summary>
    /// Writes <paramref name="items"/> (entries with value, kind and expiry; key and version are set here) under the
    /// rules of a Put: all stamped, then the origin in one transaction (WriteThrough) or the write-back log in one
    /// append (WriteBack), then the replicas. One outcome per item, in order.
    /// </summary>
    public async Task<ReplicaWrite[]> PutManyAsync(
        string tenant, IReadOnlyList<(string Key, Entry Entry)> items, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        var entries = new Entry[items.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = items[i].Entry;
            entries[i].Key = StoredKey(tenant, items[i].Key);
        }

        using var writing = cacheAside?.BeginWrite(entries.Select(entry => entry.Key));
        foreach (var entry in entries)
        {
            entry.Version = coordinator.Stamp();
        }

        using var activity = GatewayTelemetry.Source.StartActivity("cache.multi_put");
        activity?.SetTag("cache.items", entries.Length);
        await WriteOriginAsync(tenant, items, cancellationToken);
        var writes = await coordinator.WriteManyAsync(entries, level, cancellationToken);
        telemetry.RecordRequest("multi_put", Array.TrueForAll(writes, write => write.Satisfied) ? "ok" : "partial");
        return writes;
    }
}
