using Microservices.Client;
using Microservices.Client.Grpc;
using CacheClient = Microservices.Gateway.V1.Cache.CacheClient;
using LogCollectorClient = Microservices.Logs.V1.LogCollector.LogCollectorClient;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the typed gRPC clients of the suite. Each is made by <c>AddGrpcClient</c> (one channel per service,
/// shared), with its <see cref="MicroservicesClientOptions"/>: a deadline on every unary call, retries of
/// UNAVAILABLE for the calls that are safe to repeat, the API key in <c>x-api-key</c>, and service discovery of
/// names such as <c>http://gateway</c>. Inject the client type (<c>Cache.CacheClient</c>, ...) where you need it.
/// Each method returns the <see cref="IHttpClientBuilder"/> for more configuration (handlers, interceptors).
/// </summary>
public static class MicroservicesClientServiceCollectionExtensions
{
    /// <summary>
    /// The gateway's Cache client (<c>Microservices.Gateway.V1.Cache.CacheClient</c>), options from
    /// <c>Microservices:Cache</c>, then <paramref name="configure"/>. Retried on UNAVAILABLE: Get, MultiGet,
    /// Invalidate, Touch.
    /// </summary>
    public static IHttpClientBuilder AddMicroservicesCache(this IServiceCollection services, Action<MicroservicesClientOptions>? configure = null) =>
        ClientRegistration.Add<CacheClient>(services, MicroservicesClients.Cache, RetryPolicies.Cache, configure);

    /// <summary>
    /// The RateLimiter client (<c>Microservices.RateLimit.V1.RateLimiter.RateLimiterClient</c>), options from
    /// <c>Microservices:RateLimiter</c>, then <paramref name="configure"/>. Retried on UNAVAILABLE: Peek.
    /// </summary>
    public static IHttpClientBuilder AddMicroservicesRateLimiter(this IServiceCollection services, Action<MicroservicesClientOptions>? configure = null) =>
        ClientRegistration.Add<RateLimiterClient>(services, MicroservicesClients.RateLimiter, RetryPolicies.RateLimiter, configure);

    /// <summary>
    /// The LogCollector client (<c>Microservices.Logs.V1.LogCollector.LogCollectorClient</c>), options from
    /// <c>Microservices:LogCollector</c>, then <paramref name="configure"/>. Retried on UNAVAILABLE: the queries
    /// (GetErrorRate, GetAverageResponseTime, GetTopErrors, GetWindowStats, ListAlerts); never Ingest or Write.
    /// </summary>
    public static IHttpClientBuilder AddMicroservicesLogCollector(this IServiceCollection services, Action<MicroservicesClientOptions>? configure = null) =>
        ClientRegistration.Add<LogCollectorClient>(services, MicroservicesClients.LogCollector, RetryPolicies.LogCollector, configure);
}
