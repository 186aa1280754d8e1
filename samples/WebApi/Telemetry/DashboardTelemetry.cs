using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microservices.Samples.WebApi.Telemetry;

/// <summary>Traces, metrics and logs to the Aspire dashboard, as the suite's own services send them.</summary>
internal static class DashboardTelemetry
{
    /// <summary>
    /// Traces of incoming requests (health probes left out), of the gRPC calls to the suite (whose W3C trace context the
    /// gateway and the rate limiter continue, so a request is one trace across them and the cache nodes) and of the
    /// database reads; ASP.NET Core, HttpClient and runtime metrics. Exported by OTLP to
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> when it is set, as the AppHost sets it. The exporters are signal by signal:
    /// OpenTelemetry's <c>UseOtlpExporter</c> cannot be combined with the log collector's exporter, a second
    /// <c>AddOtlpExporter</c> for logs.
    /// </summary>
    public static IHostApplicationBuilder AddDashboardTelemetry(this IHostApplicationBuilder builder)
    {
        var export = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            if (export)
            {
                logging.AddOtlpExporter();
            }
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddRuntimeInstrumentation();
                if (export)
                {
                    metrics.AddOtlpExporter();
                }
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(CatalogTelemetry.SourceName)
                    .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = context => !context.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal))
                    .AddGrpcClientInstrumentation()
                    .AddHttpClientInstrumentation();
                if (export)
                {
                    tracing.AddOtlpExporter();
                }
            });
        return builder;
    }
}
