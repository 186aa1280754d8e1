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
        var session = mapping.ReadSession(request.SessionToken);
        var (read, value, fromOrigin) = await cache.GetAsync(
            caller.Tenant!, request.Key, level, session.SeenOf(caller.Tenant!, request.Key), context.CancellationToken);
        if (!read.Satisfied)
        {
            ThrowUnsatisfied("Get", level, read.Describe());
        }

        // A miss still answers the version of a delete or an expired value, as its context and for the session.
        var reply = mapping.ToReply(value ?? read.Newest, fromOrigin ? ValueSource.Origin : ValueSource.Cache);
        session.Saw(caller.Tenant!, request.Key, (value ?? read.Newest)?.Version);
        reply.SessionToken = session.Encode();
        return reply;
    }

    public override async Task<V1.PutResponse> Put(V1.PutRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(mapping.TryToEntry(request, string.Empty, out var entry));
        RpcErrors.ThrowIfInvalid(CausalContext.TryDecode(request.Context, "context", out var causal));
        var level = RequestMapping.Level(request.Consistency);
        var condition = RequestMapping.Condition(request.IfVersion, request.IfAbsent);
        var session = mapping.ReadSession(request.SessionToken);
        var policy = RequestMapping.Policy(request.ConflictPolicy, caller.ConflictPolicy);
        var write = await cache.PutAsync(caller.Tenant!, request.Key, entry!, level, condition, context.CancellationToken, causal, policy);
        if (!write.Satisfied || write.FailedPrecondition)
        {
            ThrowUnsatisfied("Put", level, write, WrittenThrough(write.Describe()));
        }

        var version = write.Written ?? entry!.Version;
        session.Saw(caller.Tenant!, request.Key, version);
        return new V1.PutResponse
        {
            AcknowledgedBy = { write.AcknowledgedBy }, Version = version, Context = CausalContext.EncodeOf(version), SessionToken = session.Encode(),
        };
    }

    public override async Task<InvalidateResponse> Invalidate(InvalidateRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckKey(request.Key));
        var level = RequestMapping.Level(request.Consistency);
        var condition = RequestMapping.Condition(request.IfVersion, ifAbsent: false);
        var session = mapping.ReadSession(request.SessionToken);
        var write = await cache.InvalidateAsync(caller.Tenant!, request.Key, level, condition, context.CancellationToken);
        if (!write.Satisfied || write.FailedPrecondition)
        {
            ThrowUnsatisfied("Invalidate", level, write, write.Describe());
        }

        session.Saw(caller.Tenant!, request.Key, write.Written);
        return new InvalidateResponse { AcknowledgedBy = { write.AcknowledgedBy }, SessionToken = session.Encode() };
    }

    public override async Task<V1.DeleteResponse> Delete(V1.DeleteRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckKey(request.Key));
        var condition = RequestMapping.Condition(request.IfVersion, ifAbsent: false);
        var session = mapping.ReadSession(request.SessionToken);
        var (existed, write) = await cache.DeleteAsync(caller.Tenant!, request.Key, condition, context.CancellationToken);
        if (!write.Satisfied || write.FailedPrecondition)
        {
            ThrowUnsatisfied("Delete", ConsistencyLevel.Quorum, write,
                cache.WritesBack
                    ? $"the delete is in the write-back log and will reach the origin database, but the cache was not invalidated: {write.Describe()}"
                    : $"the row was deleted from the origin database, but the cache was not invalidated: {write.Describe()}");
        }

        session.Saw(caller.Tenant!, request.Key, write.Written);
        return new V1.DeleteResponse { Existed = existed, AcknowledgedBy = { write.AcknowledgedBy }, SessionToken = session.Encode() };
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

    // A conditional write that replicas refused is FAILED_PRECONDITION with the version they hold; else as above.
    private static void ThrowUnsatisfied(string operation, ConsistencyLevel level, ReplicaWrite write, string description)
    {
        if (write.FailedPrecondition)
        {
            throw WriteCondition.Refused($"{operation} at {level.ToString().ToUpperInvariant()}", write.Current!, description);
        }

        ThrowUnsatisfied(operation, level, description, write.LostToNewerWrite ? StatusCode.Aborted : StatusCode.Unavailable);
    }
}
