using Grpc.Core;
using Microservices.Client;
using Microservices.Client.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Trace;
using CacheClient = Microservices.Gateway.V1.Cache.CacheClient;
using LogCollectorClient = Microservices.Logs.V1.LogCollector.LogCollectorClient;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Aspire client integrations: register a client of the suite on an <see cref="IHostApplicationBuilder"/> for the
/// resource <c>connectionName</c> of the AppHost (<c>builder.AddMicroservicesCacheClient("gateway")</c> in a project
/// that the AppHost gives <c>.WithReference(gateway)</c>), with a health check and tracing, in the conventions of
/// Aspire's integrations.
/// </summary>
/// <remarks>
/// Settings, each overriding the one before: the client's section <c>Microservices:&lt;Cache|RateLimiter|LogCollector&gt;</c>,
/// then <c>Aspire:Microservices:&lt;...&gt;</c>, then the address: <c>ConnectionStrings:&lt;connectionName&gt;</c> when
/// set (a URI), else <c>http://&lt;connectionName&gt;</c> for service discovery (which Aspire's WithReference
/// configures), then <c>configure</c>. Health check: the service's grpc.health.v1 over the client's connection,
/// named <c>microservices-&lt;connectionName&gt;</c>, unless <see cref="MicroservicesClientOptions.DisableHealthChecks"/>.
/// Tracing: every call as a client span (OpenTelemetry.Instrumentation.GrpcNetClient), unless
/// <see cref="MicroservicesClientOptions.DisableTracing"/>; the exporter is the application's (Aspire's service
/// defaults add OTLP). Each method returns the client's <c>IHttpClientBuilder</c>.
/// </remarks>
public static class MicroservicesClientHostingExtensions
{
    /// <summary>The gateway's Cache client for the AppHost resource <paramref name="connectionName"/> (default "gateway").</summary>
    public static IHttpClientBuilder AddMicroservicesCacheClient(
        this IHostApplicationBuilder builder, string connectionName = "gateway", Action<MicroservicesClientOptions>? configure = null) =>
        builder.AddClient(MicroservicesClients.Cache, connectionName, configure,
            (services, c) => services.AddMicroservicesCache(c), sp => sp.GetRequiredService<CacheClient>().Invoker);

    /// <summary>The RateLimiter client for the AppHost resource <paramref name="connectionName"/> (default "ratelimiter").</summary>
    public static IHttpClientBuilder AddMicroservicesRateLimiterClient(
        this IHostApplicationBuilder builder, string connectionName = "ratelimiter", Action<MicroservicesClientOptions>? configure = null) =>
        builder.AddClient(MicroservicesClients.RateLimiter, connectionName, configure,
            (services, c) => services.AddMicroservicesRateLimiter(c), sp => sp.GetRequiredService<RateLimiterClient>().Invoker);

    /// <summary>The LogCollector client for the AppHost resource <paramref name="connectionName"/> (default "logcollector").</summary>
    public static IHttpClientBuilder AddMicroservicesLogCollectorClient(
        this IHostApplicationBuilder builder, string connectionName = "logcollector", Action<MicroservicesClientOptions>? configure = null) =>
        builder.AddClient(MicroservicesClients.LogCollector, connectionName, configure,
            (services, c) => services.AddMicroservicesLogCollector(c), sp => sp.GetRequiredService<LogCollectorClient>().Invoker);

    private static IHttpClientBuilder AddClient(
        this IHostApplicationBuilder builder, string name, string connectionName,
        Action<MicroservicesClientOptions>? configure, Func<IServiceCollection, Action<MicroservicesClientOptions>, IHttpClientBuilder> register,
        Func<IServiceProvider, CallInvoker> invoker)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionName);
        var configuration = builder.Configuration;
        var client = register(builder.Services, options =>
        {
            configuration.GetSection($"Aspire:{MicroservicesClients.SectionOf(name)}").Bind(options);
            options.Address = configuration.GetConnectionString(connectionName) is { Length: > 0 } connectionString
                ? new Uri(connectionString)
                : new Uri($"http://{connectionName}");
            configure?.Invoke(options);
        });

        // Read once at registration, as Aspire's integrations do: these two decide what is registered.
        var settings = new MicroservicesClientOptions();
        configuration.GetSection(MicroservicesClients.SectionOf(name)).Bind(settings);
        configuration.GetSection($"Aspire:{MicroservicesClients.SectionOf(name)}").Bind(settings);
        configure?.Invoke(settings);

        if (!settings.DisableHealthChecks)
        {
            builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
                $"microservices-{connectionName}",
                sp => new GrpcServiceHealthCheck(invoker(sp)),
                HealthStatus.Unhealthy, ["live"]));
        }

        if (!settings.DisableTracing)
        {
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddGrpcClientInstrumentation());
        }

        return client;
    }
}
