using Microservices.ServiceDefaults;
using Microservices.ServiceDefaults.ClusterAuth;
using Microservices.ServiceDefaults.Http1;
using Microservices.ServiceDefaults.LogShipping;
using Microservices.ServiceDefaults.RequestParsing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Wiring every service shares, in the shape of the Aspire service-defaults template: OpenTelemetry traces,
/// metrics and logs; service discovery; gRPC with explicit message limits; grpc.health.v1; server reflection;
/// Kestrel endpoints that speak HTTP/2 only, so plaintext gRPC clients (grpcurl -plaintext) connect, except one
/// HTTP/1.1 port when configured (<see cref="Http1Endpoint"/>).
/// </summary>
public static class Extensions
{
    private const string HealthPathPrefix = "/grpc.health.v1.";
    private const string ReflectionPathPrefix = "/grpc.reflection.";

    // Log export to the collector: OpenTelemetry's exporter suppresses its client side, so the server side would be a
    // trace of its own for every batch.
    private const string OtlpLogsExportPath = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

    // IHttpClientFactory's loggers: four Information lines per outgoing call (the rate limiter, the nodes, log export).
    private const string HttpClientLogCategory = "System.Net.Http.HttpClient";

    /// <summary>Adds the shared defaults to a service.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();

        // Outgoing calls log warnings and errors only, unless Logging:LogLevel names the category (a rule from code
        // would otherwise override the configured one).
        if (builder.Configuration[$"Logging:LogLevel:{HttpClientLogCategory}"] is null)
        {
            builder.Logging.AddFilter(HttpClientLogCategory, LogLevel.Warning);
        }

        // Clients keep HTTP/2 connections open; a stop should not wait the default 30 s for them to go.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));

        // h2c, except the Http1:Port endpoint: a cleartext endpoint that also offers HTTP/1.1 refuses HTTP/2 with prior knowledge.
        Http1Endpoint.ConfigureProtocols(builder);

        builder.Services.AddGrpc(options =>
        {
            options.MaxReceiveMessageSize = GrpcLimits.MaxMessageBytes;
            options.MaxSendMessageSize = GrpcLimits.MaxMessageBytes;
            options.EnableDetailedErrors = builder.Environment.IsDevelopment();
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);

        // A request that does not parse is INVALID_ARGUMENT on every RPC (grpc-dotnet alone answers UNKNOWN).
        builder.Services.AddRequestParsingRule();

        // The cluster key every service sends to the internal ones (and the internal ones check: RequireClusterKey).
        builder.Services.AddOptions<ClusterAuthOptions>().BindConfiguration(ClusterAuthOptions.Section);

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http => http.AddServiceDiscovery());
        builder.AddLogShipping();
        return builder;
    }

    /// <summary>Maps grpc.health.v1, the HTTP probes /health and /alive, and gRPC server reflection.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapGrpcHealthChecksService();
        Http1Endpoint.MapHealthProbes(app);
        app.MapGrpcReflectionService();
        return app;
    }

    private static void ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(ServiceTelemetry.Prefix + "*"))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(ServiceTelemetry.Prefix + "*")
                .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = IsTraced)
                .AddGrpcClientInstrumentation()
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }
    }

    // Health probes, reflection and log export arrive every few seconds and would bury the request traces.
    private static bool IsTraced(HttpContext context)
    {
        var path = context.Request.Path.Value ?? string.Empty;
        return !path.StartsWith(HealthPathPrefix, StringComparison.Ordinal)
            && !path.StartsWith(ReflectionPathPrefix, StringComparison.Ordinal)
            && !path.Equals(OtlpLogsExportPath, StringComparison.Ordinal)
            && !Http1Endpoint.IsProbe(context);
    }
}
