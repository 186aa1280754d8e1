using System.Diagnostics.CodeAnalysis;
using Grpc.Core;

namespace Microservices.ServiceDefaults;

/// <summary>Throws gRPC errors with precise status codes.</summary>
public static class RpcErrors
{
    /// <summary>Throws an <see cref="RpcException"/> with <paramref name="code"/> and <paramref name="message"/>.</summary>
    [DoesNotReturn]
    public static void Throw(StatusCode code, string message) => throw new RpcException(new Status(code, message));

    /// <summary>Throws INVALID_ARGUMENT when <paramref name="error"/> is not null.</summary>
    public static void ThrowIfInvalid(string? error)
    {
        if (error is not null)
        {
            Throw(StatusCode.InvalidArgument, error);
        }
    }
}
