using Grpc.Core;
using Microservices.CacheNode.Store;
using Microservices.CacheNode.Telemetry;
using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Grpc;

/// <summary>Touch: a later expiry for one version of a key (see <see cref="CacheStore.Touch"/>).</summary>
internal sealed partial class CacheNodeGrpcService
{
    public override Task<Cache.V1.TouchResponse> Touch(Cache.V1.TouchRequest request, ServerCallContext context)
    {
        using var activity = CacheNodeTelemetry.StartOperation("cache.touch", request.Key);
        var now = store.NowMs;
        EntryVersion? version = null;
        var expiresAtMs = 0L;
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckKey(request.Key, maxBytes: RequestLimits.MaxStoredKeyBytes)
            ?? _mapping.TryToVersion(request.Version, "version", now, out version)
            ?? (request.ExpiresAt is null
                ? "expires_at is required"
                : ProtoTime.TryToUnixMilliseconds(request.ExpiresAt, "expires_at", out expiresAtMs)));

        var result = store.Touch(request.Key, version!, expiresAtMs);
        activity?.SetTag("cache.outcome", result.Outcome.ToString());
        var reply = new Cache.V1.TouchResponse
        {
            Outcome = result.Outcome switch
            {
                Store.TouchOutcome.Extended => Cache.V1.TouchOutcome.Extended,
                Store.TouchOutcome.NotFound => Cache.V1.TouchOutcome.NotFound,
                _ => Cache.V1.TouchOutcome.VersionMismatch,
            },
            Current = EntryMapping.ToProto(result.Current),
        };
        if (result.Outcome == Store.TouchOutcome.Extended && result.ExpiresAtMs != long.MaxValue)
        {
            reply.ExpiresAt = ProtoTime.FromUnixMilliseconds(result.ExpiresAtMs);
        }

        return Task.FromResult(reply);
    }
}
