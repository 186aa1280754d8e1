using Grpc.Core;
using Microservices.Gateway.Caching;
using Microservices.Gateway.Replication;
using Microservices.Gateway.Security;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Grpc;

/// <summary>Maps <c>microservices.gateway.v1.Cache</c> onto the cache service, in the caller's namespace.</summary>
internal sealed partial class CacheGrpcService(CacheService cache, RequestMapping mapping) : V1.Cache.CacheBase
{
    public override async Task<V1.GetResponse> Get(V1.GetRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckKey(request.Key));
        var level = RequestMapping.Level(request.Consistency);
        var (read, value, fromOrigin) = await cache.GetAsync(caller.Tenant!, request.Key, level, context.CancellationToken);
        if (!read.Satisfied)
        {
            ThrowUnsatisfied("Get", level, read.Describe());
        }

        return mapping.ToReply(value, fromOrigin ? ValueSource.Origin : ValueSource.Cache);
    }

    public override async Task<V1.PutResponse> Put(V1.PutRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(mapping.TryToEntry(request, string.Empty, out var entry));
        RpcErrors.ThrowIfInvalid(CausalContext.TryDecode(request.Context, "context", out var causal));
        var level = RequestMapping.Level(request.Consistency);
        var policy = RequestMapping.Policy(request.ConflictPolicy, caller.ConflictPolicy);
        var write = await cache.PutAsync(caller.Tenant!, request.Key, entry!, level, context.CancellationToken, causal, policy);
        if (!write.Satisfied)
        {
            ThrowUnsatisfied("Put", level, WrittenThrough(write.Describe()), FailureOf(write));
        }

        return new V1.PutResponse { AcknowledgedBy = { write.AcknowledgedBy }, Version = entry!.Version, Context = CausalContext.Of(entry.Version).Encode() };
    }

    public override async Task<InvalidateResponse> Invalidate(InvalidateRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckKey(request.Key));
        var level = RequestMapping.Level(request.Consistency);
        var write = await cache.InvalidateAsync(caller.Tenant!, request.Key, level, context.CancellationToken);
        if (!write.Satisfied)
        {
            ThrowUnsatisfied("Invalidate", level, write.Describe(), FailureOf(write));
        }

        return new InvalidateResponse { AcknowledgedBy = { write.AcknowledgedBy } };
    }

    public override async Task<V1.DeleteResponse> Delete(V1.DeleteRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckKey(request.Key));
        var (existed, write) = await cache.DeleteAsync(caller.Tenant!, request.Key, context.CancellationToken);
        if (!write.Satisfied)
        {
            ThrowUnsatisfied("Delete", ConsistencyLevel.Quorum,
                cache.WritesBack
                    ? $"the delete is in the write-back log and will reach the origin database, but the cache was not invalidated: {write.Describe()}"
                    : $"the row was deleted from the origin database, but the cache was not invalidated: {write.Describe()}",
                FailureOf(write));
        }

        return new V1.DeleteResponse { Existed = existed, AcknowledgedBy = { write.AcknowledgedBy } };
    }

    private string WrittenThrough(string description) =>
        cache.WritesThrough ? $"{description}; the origin database was written"
        : cache.WritesBack ? $"{description}; the write is in the write-back log and will reach the origin database"
        : description;

    // For a level not met (the description is built only then). UNAVAILABLE: too few replicas answered (or took the
    // write); ABORTED: a write lost to a newer version already held by enough replicas (last writer wins), which a
    // retry, stamped after it, wins.
    private static void ThrowUnsatisfied(
        string operation, ConsistencyLevel level, string description, StatusCode status = StatusCode.Unavailable) =>
        RpcErrors.Throw(status, $"{operation} at {level.ToString().ToUpperInvariant()} failed: {description}");

    private static StatusCode FailureOf(ReplicaWrite write) => write.LostToNewerWrite ? StatusCode.Aborted : StatusCode.Unavailable;
}
