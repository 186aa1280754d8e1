using Grpc.AspNetCore.Server;

namespace Microservices.Gateway.Http;

/// <summary>Registers HTTP/JSON for the Cache service: gRPC JSON transcoding of its <c>google.api.http</c> rules.</summary>
public static class HttpJsonExtensions
{
    /// <summary>
    /// Adds JSON transcoding and <see cref="HttpStatusInterceptor"/>. Call before the gateway's other interceptors,
    /// so it sees their errors (the rate limiter's RESOURCE_EXHAUSTED) as well as the handlers'.
    /// </summary>
    public static IServiceCollection AddHttpJson(this IServiceCollection services)
    {
        // Not services.AddGrpc(): that would register grpc-dotnet's method binder again, which ServiceDefaults has
        // replaced by its request-parsing one.
        new GrpcServerBuilder(services).AddJsonTranscoding();

        // One instance for every call (it keeps no state); grpc-dotnet would make one per call otherwise.
        services.AddSingleton<HttpStatusInterceptor>();
        services.Configure<GrpcServiceOptions>(grpc => grpc.Interceptors.Add<HttpStatusInterceptor>());
        return services;
    }

    private sealed class GrpcServerBuilder(IServiceCollection services) : IGrpcServerBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
