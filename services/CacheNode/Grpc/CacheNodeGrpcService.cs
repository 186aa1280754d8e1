using System.Globalization;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.CacheNode.Store;
using Microservices.CacheNode.Telemetry;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Microservices.CacheNode.Grpc;

/// <summary>Maps <c>microservices.cache.v1.CacheNode</c> onto the <see cref="CacheStore"/>.</summary>
internal sealed partial class CacheNodeGrpcService(
    CacheStore store, IOptions<CacheStoreOptions> options, NodeInstance instance, Cluster.ClusterConfigRegister clusterConfig)
    : Cache.V1.CacheNode.CacheNodeBase
{
    private const int DefaultPageSize = 256;
    private readonly EntryMapping _mapping = new(options.Value.MaxValueBytes, options.Value.MaxClockOffset);

    public override Task<GetResponse> Get(GetRequest request, ServerCallContext context)
    {
        using var activity = CacheNodeTelemetry.StartOperation("cache.get", request.Key);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckKey(request.Key, maxBytes: RequestLimits.MaxStoredKeyBytes));
        var reply = Read(request.Key, request.IncludeTombstone, store.NowMs);
        activity?.SetTag("cache.hit", reply.Found);
        return Task.FromResult(reply);
    }

    public override Task<PutResponse> Put(PutRequest request, ServerCallContext context)
    {
        using var activity = CacheNodeTelemetry.StartOperation("cache.put", request.Entry?.Key);
        RpcErrors.ThrowIfInvalid(_mapping.TryToWrite(request.Entry, "entry", store.NowMs, out var write));
        var result = store.Put(write!);
        activity?.SetTag("cache.outcome", result.Outcome.ToString());
        if (result.Conflict != Store.ConflictOutcome.None)
        {
            activity?.SetTag("cache.conflict", result.Conflict.ToString());
            activity?.SetTag("cache.concurrent_with", result.ConcurrentWith?.ToString());
        }

        ThrowIfNoRoom(result, write!);
        return Task.FromResult(ToReply(result));
    }

    public override Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        using var activity = CacheNodeTelemetry.StartOperation("cache.delete", request.Key);
        EntryVersion? version = null;
        WriteCondition? condition = null;
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckKey(request.Key, maxBytes: RequestLimits.MaxStoredKeyBytes)
            ?? _mapping.TryToVersion(request.Version, "version", store.NowMs, out version)
            ?? (request.Precondition is null ? null : EntryMapping.TryToCondition(request.Precondition, "precondition", out condition)));
        var write = EntryWrite.Delete(request.Key, version!) with { Condition = condition };
        var result = store.Put(write);
        activity?.SetTag("cache.outcome", result.Outcome.ToString());
        ThrowIfNoRoom(result, write);
        return Task.FromResult(new DeleteResponse
        {
            Applied = result.Applied,
            Current = EntryMapping.ToProto(result.Current),
            PreconditionFailed = result.Outcome == WriteOutcome.ConditionFailed,
        });
    }

    public override Task<MultiGetResponse> MultiGet(MultiGetRequest request, ServerCallContext context)
    {
        using var activity = CacheNodeTelemetry.StartOperation("cache.multi_get", items: request.Keys.Count);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckBatch(request.Keys.Count, "keys"));
        for (var i = 0; i < request.Keys.Count; i++)
        {
            RpcErrors.ThrowIfInvalid(RequestLimits.CheckKeyAt(request.Keys[i], "keys", i, RequestLimits.MaxStoredKeyBytes));
        }

        var reply = new MultiGetResponse();
        var now = store.NowMs;
        foreach (var key in request.Keys)
        {
            reply.Results.Add(Read(key, request.IncludeTombstone, now));
        }

        return Task.FromResult(reply);
    }

    public override Task<MultiPutResponse> MultiPut(MultiPutRequest request, ServerCallContext context)
    {
        using var activity = CacheNodeTelemetry.StartOperation("cache.multi_put", items: request.Entries.Count);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckBatch(request.Entries.Count, "entries"));

        // The entries are independent writes (coalesced requests, hints, copies): an invalid one is refused on its
        // own, in its result, and the others are written. Sizes are checked before anything is written.
        var now = store.NowMs;
        var writes = new EntryWrite?[request.Entries.Count];
        var errors = new string?[writes.Length];
        for (var i = 0; i < writes.Length; i++)
        {
            var field = string.Create(CultureInfo.InvariantCulture, $"entries[{i}]");
            errors[i] = _mapping.TryToWrite(request.Entries[i], field, now, out writes[i]);
            if (writes[i] is { } write)
            {
                ThrowIfLargerThanMemory(write, field);
            }
        }

        var reply = new MultiPutResponse();
        for (var i = 0; i < writes.Length; i++)
        {
            reply.Results.Add(writes[i] is { } write ? ToReply(store.Put(write)) : new PutResponse { Error = errors[i] });
        }

        return Task.FromResult(reply);
    }

    public override Task<GetStatsResponse> GetStats(GetStatsRequest request, ServerCallContext context)
    {
        var stats = store.Stats();
        return Task.FromResult(new GetStatsResponse
        {
            Node = options.Value.NodeName,
            Entries = (ulong)stats.Entries,
            Bytes = (ulong)stats.Bytes,
            MaxBytes = (ulong)stats.MaxBytes,
            Hits = (ulong)stats.Hits,
            Misses = (ulong)stats.Misses,
            Evictions = (ulong)stats.Evictions,
            Expirations = (ulong)stats.Expirations,
            Tombstones = (ulong)stats.Tombstones,
            InstanceId = instance.Id,
        });
    }

    private GetResponse Read(string key, bool includeTombstone, long nowMs) => store.Get(key, includeTombstone, nowMs) is { } entry
        ? new GetResponse { Found = entry.IsLive(nowMs), Entry = EntryMapping.ToProto(entry, nowMs) }
        : new GetResponse { Found = false };

    private static PutResponse ToReply(WriteResult result) => new()
    {
        Applied = result.Applied,
        Current = EntryMapping.ToProto(result.Current),
        NoRoom = result.Outcome == WriteOutcome.NoRoom,
        Conflict = result.Conflict switch
        {
            Store.ConflictOutcome.Won => Cache.V1.ConflictOutcome.Won,
            Store.ConflictOutcome.Lost => Cache.V1.ConflictOutcome.Lost,
            Store.ConflictOutcome.Sibling => Cache.V1.ConflictOutcome.Sibling,
            _ => Cache.V1.ConflictOutcome.Unspecified,
        },
        ConcurrentWith = EntryMapping.ToProto(result.ConcurrentWith),
        PreconditionFailed = result.Outcome == WriteOutcome.ConditionFailed,
    };

    private void ThrowIfLargerThanMemory(EntryWrite write, string field)
    {
        var size = CacheStore.SizeOf(write);
        if (size > options.Value.MaxBytes)
        {
            RpcErrors.Throw(StatusCode.ResourceExhausted, string.Create(CultureInfo.InvariantCulture,
                $"{field} needs {size} bytes, more than the node's memory limit of {options.Value.MaxBytes} bytes (CacheNode:MaxBytes)"));
        }
    }

    private void ThrowIfNoRoom(WriteResult result, EntryWrite write)
    {
        if (result.Outcome == WriteOutcome.NoRoom)
        {
            ThrowIfLargerThanMemory(write, "entry");
            RpcErrors.Throw(StatusCode.ResourceExhausted, string.Create(CultureInfo.InvariantCulture,
                $"entry does not fit under the memory limit of {options.Value.MaxBytes} bytes (CacheNode:MaxBytes): only tombstones are left, and they are kept for their grace period"));
        }
    }
}
