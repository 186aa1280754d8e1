using System.Diagnostics.CodeAnalysis;
using Grpc.Core;

namespace Microservices.RateLimiter.Grpc;

/// <summary>Throws gRPC errors with precise status codes.</summary>
internal static class RpcErrors
{
    [DoesNotReturn]
    public static void Throw(StatusCode code, string message) => throw new RpcException(new Status(code, message));
}
