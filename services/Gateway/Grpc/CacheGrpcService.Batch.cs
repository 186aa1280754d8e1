using System.Globalization;
using Grpc.Core;
using Microservices.Gateway.Security;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Grpc;

/// <summary>MultiGet and MultiPut.</summary>
internal sealed partial class CacheGrpcService
{
    public override async Task<MultiGetResponse> MultiGet(MultiGetRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckBatch(request.Keys.Count, "keys"));
        for (var i = 0; i < request.Keys.Count; i++)
        {
            RpcErrors.ThrowIfInvalid(RequestLimits.CheckKeyAt(request.Keys[i], "keys", i));
        }

        var level = RequestMapping.Level(request.Consistency);
        using var activity = GatewayTelemetry.Source.StartActivity("cache.multi_get");
        activity?.SetTag("cache.items", request.Keys.Count);
        var reads = await coordinator.ReadManyAsync(request.Keys.Select(caller.Namespaced).ToArray(), level, context.CancellationToken);

        var reply = new MultiGetResponse();
        for (var i = 0; i < reads.Length; i++)
        {
            if (!reads[i].Satisfied)
            {
                RpcErrors.Throw(StatusCode.Unavailable, string.Create(CultureInfo.InvariantCulture,
                    $"MultiGet at {level.ToString().ToUpperInvariant()} failed for keys[{i}]: {reads[i].Describe()}"));
            }

            reply.Items.Add(mapping.ToReply(reads[i].Newest));
        }

        telemetry.RecordRequest("multi_get", "ok");
        return reply;
    }

    public override async Task<MultiPutResponse> MultiPut(MultiPutRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckBatch(request.Items.Count, "items"));
        var level = RequestMapping.Level(request.Consistency);

        // The whole batch is checked before anything is written; then stamped, the origin, the replicas, as a Put.
        var keys = new string[request.Items.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = caller.Namespaced(request.Items[i].Key);
        }

        var entries = new Cache.V1.Entry[request.Items.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            var item = request.Items[i];
            RpcErrors.ThrowIfInvalid(mapping.TryToEntry(item, keys[i], $"items[{i}].", out var entry));
            entries[i] = entry!;
        }

        using var writing = origin.CacheAside?.BeginWrite(keys);
        foreach (var entry in entries)
        {
            entry.Version = coordinator.Stamp();
        }

        using var activity = GatewayTelemetry.Source.StartActivity("cache.multi_put");
        activity?.SetTag("cache.items", entries.Length);
        await WriteThroughAsync([.. request.Items.Select((item, i) => (item.Key, entries[i]))], caller, context.CancellationToken);
        var writes = await coordinator.WriteManyAsync(entries, level, context.CancellationToken);

        var reply = new MultiPutResponse();
        for (var i = 0; i < writes.Length; i++)
        {
            reply.Items.Add(writes[i].Satisfied
                ? new MultiPutResult { Ok = true, Response = new V1.PutResponse { AcknowledgedBy = { writes[i].AcknowledgedBy }, Version = entries[i].Version } }
                : new MultiPutResult { Ok = false, Error = WrittenThrough(writes[i].Describe()) });
        }

        telemetry.RecordRequest("multi_put", writes.All(w => w.Satisfied) ? "ok" : "partial");
        return reply;
    }
}
