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
        var session = mapping.ReadSession(request.SessionToken);
        var atLeast = request.SessionToken.IsEmpty ? null : request.Keys.Select(key => session.SeenOf(caller.Tenant!, key)).ToArray();
        var reads = await cache.GetManyAsync(caller.Tenant!, request.Keys, level, atLeast, context.CancellationToken);

        var reply = new MultiGetResponse();
        for (var i = 0; i < reads.Length; i++)
        {
            if (!reads[i].Satisfied)
            {
                RpcErrors.Throw(StatusCode.Unavailable, string.Create(CultureInfo.InvariantCulture,
                    $"MultiGet at {level.ToString().ToUpperInvariant()} failed for keys[{i}]: {reads[i].Describe()}"));
            }

            reply.Items.Add(mapping.ToReply(reads[i].Newest));
            session.Saw(caller.Tenant!, request.Keys[i], reads[i].Newest?.Version);
        }

        reply.SessionToken = session.Encode();
        return reply;
    }

    public override async Task<MultiPutResponse> MultiPut(MultiPutRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckBatch(request.Items.Count, "items"));
        var level = RequestMapping.Level(request.Consistency);

        // The whole batch is checked before anything is written.
        var items = new (string Key, Cache.V1.Entry Entry)[request.Items.Count];
        for (var i = 0; i < items.Length; i++)
        {
            var item = request.Items[i];
            RpcErrors.ThrowIfInvalid(mapping.TryToEntry(item, $"items[{i}].", out var entry) ?? NotPerItem(item, i));
            items[i] = (item.Key, entry!);
        }

        var session = mapping.ReadSession(request.SessionToken);

        var writes = await cache.PutManyAsync(caller.Tenant!, items, level, context.CancellationToken);
        var reply = new MultiPutResponse();
        for (var i = 0; i < writes.Length; i++)
        {
            if (writes[i].Satisfied)
            {
                session.Saw(caller.Tenant!, items[i].Key, items[i].Entry.Version);
            }

            reply.Items.Add(writes[i].Satisfied
                ? new MultiPutResult { Ok = true, Response = new V1.PutResponse { AcknowledgedBy = { writes[i].AcknowledgedBy }, Version = items[i].Entry.Version } }
                : new MultiPutResult { Ok = false, Error = WrittenThrough(writes[i].Describe()) });
        }

        reply.SessionToken = session.Encode();
        return reply;
    }

    // Conditions and session tokens belong to a whole request: a MultiPut item carries neither.
    private static string? NotPerItem(V1.PutRequest item, int index) =>
        !item.IfVersion.IsEmpty || item.IfAbsent
            ? string.Create(CultureInfo.InvariantCulture, $"items[{index}]: if_version and if_absent are not supported in MultiPut; use Put")
            : !item.SessionToken.IsEmpty
                ? string.Create(CultureInfo.InvariantCulture, $"items[{index}].session_token: send the session token as MultiPutRequest.session_token")
                : null;
}
