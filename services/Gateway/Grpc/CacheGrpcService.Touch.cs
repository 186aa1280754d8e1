using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microservices.Gateway.Security;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Grpc;

/// <summary>Touch: sliding expiration, a later expiry for the value a key holds now (see the proto's comment).</summary>
internal sealed partial class CacheGrpcService
{
    private static readonly TimeSpan MinTouchTtl = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxTouchTtl = TimeSpan.FromDays(30);

    public override async Task<V1.TouchResponse> Touch(V1.TouchRequest request, ServerCallContext context)
    {
        var caller = GatewayInterceptor.CallerOf(context);
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckKey(request.Key));
        RpcErrors.ThrowIfInvalid(CheckTouchTtl(request.Ttl, out var ttl));
        var level = RequestMapping.Level(request.Consistency);
        var session = mapping.ReadSession(request.SessionToken);
        var (read, value, touch) = await cache.TouchAsync(
            caller.Tenant!, request.Key, ttl, level, session.SeenOf(caller.Tenant!, request.Key), context.CancellationToken);
        if (!read.Satisfied)
        {
            ThrowUnsatisfied("Touch", level, read.Describe());
        }

        session.Saw(caller.Tenant!, request.Key, read.Newest?.Version);
        if (value is null || touch is null)
        {
            return new V1.TouchResponse { Touched = false, SessionToken = session.Encode() };
        }

        if (!touch.Satisfied)
        {
            ThrowUnsatisfied("Touch", level, touch.Describe());
        }

        var reply = new V1.TouchResponse
        {
            Touched = touch.Touched, Version = value.Version, AcknowledgedBy = { touch.ExtendedBy }, SessionToken = session.Encode(),
        };
        if (touch.Touched && touch.ExpiresAtMs > 0)
        {
            reply.TtlRemaining = mapping.Remaining(touch.ExpiresAtMs);
        }

        return reply;
    }

    private static string? CheckTouchTtl(Duration? value, out TimeSpan ttl)
    {
        ttl = TimeSpan.Zero;
        if (value is null)
        {
            return "ttl is required";
        }

        return ProtoTime.TryToTimeSpan(value, "ttl", out ttl)
            ?? (ttl < MinTouchTtl || ttl > MaxTouchTtl
                ? string.Create(CultureInfo.InvariantCulture, $"ttl must be between 1 s and 30 days, got {ttl.TotalSeconds} s")
                : null);
    }
}
