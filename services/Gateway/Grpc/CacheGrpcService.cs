using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Replication;
using Microservices.Gateway.Security;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Grpc;

/// <summary>Maps <c>microservices.gateway.v1.Cache</c> onto the replica coordinator, in the caller's namespace.</summary>
internal sealed partial class CacheGrpcService(ReplicaCoordinator coordinator, RequestMapping mapping, GatewayTelemetry telemetry)
    : V1.Cache.CacheBase
{
    public override async Task<V1.GetResponse> Get(V1.GetRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckKey(request.Key));
        var level = RequestMapping.Level(request.Consistency);
        var key = caller.Namespaced(request.Key);
        using var activity = Start("cache.get", key, level);

        var read = await coordinator.ReadAsync(key, level, context.CancellationToken);
        Record(activity, "get", read.Answered, read.Failures.Count);
        ThrowIfUnsatisfied("Get", level, read.Satisfied, read.Describe());
        var reply = mapping.ToReply(read.Newest);
        activity?.SetTag("cache.found", reply.Found);
        return reply;
    }

    public override async Task<V1.PutResponse> Put(V1.PutRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(mapping.TryToEntry(request, caller.Namespaced(request.Key), string.Empty, out var entry));
        var level = RequestMapping.Level(request.Consistency);
        using var activity = Start("cache.put", entry!.Key, level);

        entry.Version = coordinator.Stamp();
        var write = await coordinator.WriteAsync(entry, level, context.CancellationToken);
        Record(activity, "put", write.AcknowledgedBy.Count, write.Failures.Count);
        ThrowIfUnsatisfied("Put", level, write.Satisfied, write.Describe());
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
        ThrowIfUnsatisfied("Invalidate", level, write.Satisfied, write.Describe());
        return new InvalidateResponse { AcknowledgedBy = { write.AcknowledgedBy } };
    }

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

    private static void ThrowIfUnsatisfied(string operation, ConsistencyLevel level, bool satisfied, string description)
    {
        if (!satisfied)
        {
            RpcErrors.Throw(StatusCode.Unavailable, $"{operation} at {level.ToString().ToUpperInvariant()} failed: {description}");
        }
    }
}
