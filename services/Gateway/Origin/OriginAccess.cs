using Grpc.Core;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Origin;

/// <summary>What the cache service and the gRPC services need of the origin: the store when configured, and the policy.</summary>
public sealed class OriginAccess(IOptions<OriginOptions> options, IOriginStore? store = null)
{
    /// <summary>The origin database; null when none is configured.</summary>
    public IOriginStore? Store => store;

    /// <summary>The configured options.</summary>
    public OriginOptions Options => options.Value;

    /// <summary>True when Puts write the origin first.</summary>
    public bool WritesThrough => store is not null && options.Value.WritePolicy == WritePolicy.WriteThrough;

    /// <summary>True when Puts go to the write-back log, and from there to the origin.</summary>
    public bool WritesBack => store is not null && options.Value.WritePolicy == WritePolicy.WriteBack;

    /// <summary>The origin database, or FAILED_PRECONDITION naming what <paramref name="operation"/> needs.</summary>
    public IOriginStore Require(string operation)
    {
        if (store is null)
        {
            RpcErrors.Throw(StatusCode.FailedPrecondition,
                $"{operation} needs an origin database and this gateway has none (Origin:Path is empty); use Invalidate for the cache alone");
        }

        return store;
    }

    /// <summary>
    /// The gRPC error for a failed origin operation: UNAVAILABLE in every case (a database error, or no pooled
    /// connection free within the acquire timeout), since retrying later is the right response to both.
    /// </summary>
    public static RpcException Unavailable(string operation, Exception exception) => new(new Status(
        StatusCode.Unavailable,
        exception is ConnectionPoolTimeoutException
            ? $"origin database busy during {operation}: {exception.Message}"
            : $"origin database failed during {operation}: {exception.Message}"));
}
