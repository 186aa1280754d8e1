using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Origin;
using Microservices.Gateway.Replication;
using Microservices.Gateway.Security;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Grpc;

/// <summary>Maps <c>microservices.gateway.v1.Cache</c> onto the replica coordinator, in the caller's namespace.</summary>
internal sealed partial class CacheGrpcService(
    ReplicaCoordinator coordinator, RequestMapping mapping, GatewayTelemetry telemetry, OriginAccess origin, TimeProvider time)
    : V1.Cache.CacheBase
{
    public override async Task<V1.GetResponse> Get(V1.GetRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckKey(request.Key));
        var level = RequestMapping.Level(request.Consistency);
        var key = caller.Namespaced(request.Key);
        using var activity = Start("cache.get", key, level);

        var writes = origin.CacheAside?.Observe(key) ?? default;
        var read = await coordinator.ReadAsync(key, level, context.CancellationToken);
        Record(activity, "get", read.Answered, read.Failures.Count);
        ThrowIfUnsatisfied("Get", level, read.Satisfied, read.Describe());
        var reply = mapping.ToReply(read.Newest);
        if (!reply.Found && origin.CacheAside is { } cacheAside)
        {
            // Cache-aside: a miss is loaded from the origin (one query per key in flight) and written to the replicas.
            Entry? loaded;
            try
            {
                loaded = await cacheAside.LoadAsync(caller.Tenant!, request.Key, key, level, writes, context.CancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw OriginAccess.Unavailable("Get", ex);
            }

            if (loaded is not null)
            {
                reply = mapping.ToReply(loaded, ValueSource.Origin);
            }
        }

        var lookup = !reply.Found ? "miss" : reply.Source == ValueSource.Origin ? "origin" : "hit";
        telemetry.RecordLookup(lookup);
        activity?.SetTag("cache.found", reply.Found);
        activity?.SetTag("cache.source", reply.Found ? reply.Source.ToString() : "none");
        return reply;
    }

    public override async Task<V1.PutResponse> Put(V1.PutRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(mapping.TryToEntry(request, caller.Namespaced(request.Key), string.Empty, out var entry));
        var level = RequestMapping.Level(request.Consistency);
        using var activity = Start("cache.put", entry!.Key, level);

        // One rule for Put, MultiPut and Delete: stamp first, then the origin (applied only over an older
        // version), then the replicas (likewise), so both keep the same last write whatever the interleaving;
        // and no cache-aside load overlapping the write caches what it read.
        using var writing = origin.CacheAside?.BeginWrite([entry.Key]);
        entry.Version = coordinator.Stamp();
        await WriteThroughAsync([(request.Key, entry)], caller, context.CancellationToken);
        var write = await coordinator.WriteAsync(entry, level, context.CancellationToken);
        Record(activity, "put", write.AcknowledgedBy.Count, write.Failures.Count);
        ThrowIfUnsatisfied("Put", level, write.Satisfied, WrittenThrough(write.Describe()), FailureOf(write));
        return new V1.PutResponse { AcknowledgedBy = { write.AcknowledgedBy }, Version = entry.Version };
    }

    public override async Task<InvalidateResponse> Invalidate(InvalidateRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckKey(request.Key));
        var level = RequestMapping.Level(request.Consistency);
        var key = caller.Namespaced(request.Key);
        using var activity = Start("cache.invalidate", key, level);

        var tombstone = new Entry { Key = key, Tombstone = true, Version = coordinator.Stamp() };
        var write = await coordinator.WriteAsync(tombstone, level, context.CancellationToken);
        Record(activity, "invalidate", write.AcknowledgedBy.Count, write.Failures.Count);
        ThrowIfUnsatisfied("Invalidate", level, write.Satisfied, write.Describe(), FailureOf(write));
        return new InvalidateResponse { AcknowledgedBy = { write.AcknowledgedBy } };
    }

    public override async Task<V1.DeleteResponse> Delete(V1.DeleteRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckKey(request.Key));
        var store = origin.Require("Delete");
        var key = caller.Namespaced(request.Key);
        using var activity = Start("cache.delete", key, ConsistencyLevel.Quorum);

        // Stamped first, as a Put; then the origin: if it fails, the cache is untouched and the caller can retry.
        using var writing = origin.CacheAside?.BeginWrite([key]);
        var tombstone = new Entry { Key = key, Tombstone = true, Version = coordinator.Stamp() };
        bool existed;
        try
        {
            existed = await store.DeleteAsync(caller.Tenant!, request.Key, ToOrigin(tombstone.Version), context.CancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw OriginAccess.Unavailable("Delete", ex);
        }

        var write = await coordinator.WriteAsync(tombstone, ConsistencyLevel.Quorum, context.CancellationToken);
        Record(activity, "delete", write.AcknowledgedBy.Count, write.Failures.Count);
        ThrowIfUnsatisfied("Delete", ConsistencyLevel.Quorum, write.Satisfied,
            $"the row was deleted from the origin database, but the cache was not invalidated: {write.Describe()}",
            FailureOf(write));
        return new V1.DeleteResponse { Existed = existed, AcknowledgedBy = { write.AcknowledgedBy } };
    }

    // WriteThrough: the origin before the cache, all rows in one transaction, each with the version it carries to
    // the replicas; on failure nothing reaches the cache.
    private async Task WriteThroughAsync(IReadOnlyList<(string UserKey, Entry Entry)> items, Caller caller, CancellationToken cancellationToken)
    {
        if (!origin.WritesThrough)
        {
            return;
        }

        var now = time.GetUtcNow();
        var rows = items.Select(item => new OriginRow(
            caller.Tenant!, item.UserKey, item.Entry.Kind == ValueKind.Text, item.Entry.Value.ToByteArray(), now, ToOrigin(item.Entry.Version))).ToArray();
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

    private string WrittenThrough(string description) =>
        origin.WritesThrough ? $"{description}; the origin database was written" : description;

    private static System.Diagnostics.Activity? Start(string operation, string storedKey, ConsistencyLevel level)
    {
        var activity = GatewayTelemetry.Source.StartActivity(operation);
        if (activity is not null)
        {
            activity.SetTag("cache.key_hash", KeyHash.Of(storedKey).ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag("cache.consistency", level.ToString());
        }

        return activity;
    }

    private void Record(System.Diagnostics.Activity? activity, string operation, int answered, int failed)
    {
        activity?.SetTag("cache.replicas_answered", answered);
        activity?.SetTag("cache.replicas_failed", failed);
        telemetry.RecordReplicaErrors(failed);
        telemetry.RecordRequest(operation, failed == 0 ? "ok" : "degraded");
    }

    // UNAVAILABLE: too few replicas answered (or took the write); ABORTED: a write lost to a newer version already
    // held by enough replicas (last writer wins), which a retry, stamped after it, wins.
    private static void ThrowIfUnsatisfied(
        string operation, ConsistencyLevel level, bool satisfied, string description, StatusCode status = StatusCode.Unavailable)
    {
        if (!satisfied)
        {
            RpcErrors.Throw(status, $"{operation} at {level.ToString().ToUpperInvariant()} failed: {description}");
        }
    }

    private static StatusCode FailureOf(ReplicaWrite write) => write.LostToNewerWrite ? StatusCode.Aborted : StatusCode.Unavailable;
}
