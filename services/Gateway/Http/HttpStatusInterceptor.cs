using Grpc.Core;
using Grpc.Core.Interceptors;
using Microservices.Gateway.V1;
using Microservices.ServiceDefaults;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;

namespace Microservices.Gateway.Http;

/// <summary>
/// Gives HTTP/JSON callers what HTTP clients expect where gRPC's answer has no HTTP form: a Get that finds nothing is
/// NOT_FOUND (404), where a gRPC caller gets <c>found = false</c>; and a RESOURCE_EXHAUSTED carries its
/// <c>retry-after</c> trailer as the <c>Retry-After</c> header (seconds), since an HTTP/1.1 response has no trailers.
/// gRPC calls pass untouched.
/// </summary>
public sealed class HttpStatusInterceptor : Interceptor
{
    private const string RetryAfterTrailer = "retry-after";

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var http = context.GetHttpContext();
        return http.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is null
            ? continuation(request, context)
            : TranscodedAsync(request, context, continuation, http);
    }

    private static async Task<TResponse> TranscodedAsync<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation, HttpContext http)
        where TRequest : class
        where TResponse : class
    {
        TResponse response;
        try
        {
            response = await continuation(request, context).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted && ex.Trailers.GetValue(RetryAfterTrailer) is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds;
            throw;
        }

        if (response is GetResponse { Found: false } && request is GetRequest get)
        {
            RpcErrors.Throw(StatusCode.NotFound, $"key '{get.Key}' not found");
        }

        return response;
    }
}
