using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Microservices.ServiceDefaults.ClusterAuth;

/// <summary>
/// The check of every call to an internal service: the cluster key in <c>x-cluster-key</c>, or, where the service
/// takes them (the rate limiter, the log collector), an application key in <c>x-api-key</c>. Anything else is
/// UNAUTHENTICATED: "... needs the cluster key" when no key was sent, "unknown ... key" when a wrong one was.
/// grpc.health.v1 and server reflection stay open (probes and tools need them; they say nothing about the data).
/// Keys are compared in constant time. With no key configured (Development, or
/// <see cref="ClusterAuthOptions.AllowAnonymous"/>) every call passes.
/// </summary>
internal sealed class ClusterKeyInterceptor : Interceptor
{
    private const string HealthPrefix = "/grpc.health.v1.";
    private const string ReflectionPrefix = "/grpc.reflection.";

    private readonly bool _open;
    private readonly byte[]? _clusterKey;
    private readonly byte[][] _applicationKeys;
    private readonly string _missing;

    /// <summary>Reads the keys; <paramref name="acceptsApplicationKeys"/> says whether this service takes application keys.</summary>
    public ClusterKeyInterceptor(IOptions<ClusterAuthOptions> options, bool acceptsApplicationKeys)
    {
        var auth = options.Value;
        _open = ClusterAuthOptionsValidator.IsOpen(auth, acceptsApplicationKeys);
        _clusterKey = string.IsNullOrEmpty(auth.Key) ? null : Encoding.UTF8.GetBytes(auth.Key);
        _applicationKeys = acceptsApplicationKeys ? [.. auth.ApplicationKeys.Select(Encoding.UTF8.GetBytes)] : [];
        _missing = acceptsApplicationKeys
            ? $"this internal service needs the cluster key in the {ClusterAuthOptions.ClusterKeyHeader} metadata, or an application key in {ClusterAuthOptions.ApplicationKeyHeader}"
            : $"this internal service needs the cluster key in the {ClusterAuthOptions.ClusterKeyHeader} metadata";
    }

    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    /// <inheritdoc />
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }

    /// <inheritdoc />
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    /// <inheritdoc />
    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (_open || context.Method.StartsWith(HealthPrefix, StringComparison.Ordinal)
            || context.Method.StartsWith(ReflectionPrefix, StringComparison.Ordinal))
        {
            return;
        }

        // The request's headers as Kestrel holds them: no Metadata collection built per call.
        var headers = context.GetHttpContext().Request.Headers;
        if (headers.TryGetValue(ClusterAuthOptions.ClusterKeyHeader, out var clusterKey))
        {
            if (_clusterKey is null || !Matches(clusterKey, _clusterKey))
            {
                RpcErrors.Throw(StatusCode.Unauthenticated, $"unknown cluster key: the {ClusterAuthOptions.ClusterKeyHeader} metadata is not this cluster's key");
            }

            return;
        }

        if (_applicationKeys.Length > 0 && headers.TryGetValue(ClusterAuthOptions.ApplicationKeyHeader, out var applicationKey))
        {
            var known = false;
            foreach (var key in _applicationKeys)
            {
                known |= Matches(applicationKey, key); // every key compared: the time does not say which one matched
            }

            if (!known)
            {
                RpcErrors.Throw(StatusCode.Unauthenticated, $"unknown application key: the {ClusterAuthOptions.ApplicationKeyHeader} metadata holds no configured application key");
            }

            return;
        }

        RpcErrors.Throw(StatusCode.Unauthenticated, _missing);
    }

    // Constant time in the key's content; a length that differs fails at once (the length is no secret).
    private static bool Matches(StringValues presented, byte[] expected)
    {
        if (presented.Count != 1 || presented[0] is not { Length: > 0 and <= ClusterAuthOptions.MaxKeyLength } value)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(value.Length)];
        var length = Encoding.UTF8.GetBytes(value, bytes);
        return CryptographicOperations.FixedTimeEquals(bytes[..length], expected);
    }
}
