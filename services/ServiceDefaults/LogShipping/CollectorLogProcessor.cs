using Microservices.ServiceDefaults.ClusterAuth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;

namespace Microservices.ServiceDefaults.LogShipping;

/// <summary>
/// The log collector's share of the OpenTelemetry log records: the standard OTLP/gRPC exporter behind the standard
/// batch processor, given only request log records (<see cref="LogShippingInterceptor.Category"/>) and warnings and
/// errors of other categories, so the collector's windows count calls, not start-up chatter. The dashboard's exporter
/// (<c>UseOtlpExporter</c>) sees every record as before: a second exporter with its own endpoint and no dashboard
/// headers. A composite processor, because only processors added to the provider get its resource (service.name).
/// </summary>
public sealed class CollectorLogProcessor : CompositeProcessor<LogRecord>
{
    /// <summary>Name of the HTTP client the exporter sends through (service discovery and the cluster key).</summary>
    public const string HttpClientName = "logcollector-otlp";

    private CollectorLogProcessor(BaseProcessor<LogRecord> export)
        : base([export])
    {
    }

    /// <summary>Builds the exporter and its batch processor from <see cref="LogShippingOptions"/>.</summary>
    public static CollectorLogProcessor Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<LogShippingOptions>>().Value;
        var handler = services.GetRequiredService<CollectorExportHandler>();
        var exporter = new OtlpLogExporter(new OtlpExporterOptions
        {
            Endpoint = options.Address,
            Protocol = OtlpExportProtocol.Grpc,

            // The default options read OTEL_EXPORTER_OTLP_HEADERS, which Aspire sets for its dashboard.
            Headers = string.Empty,
            TimeoutMilliseconds = (int)options.ExportTimeout.TotalMilliseconds,
            HttpClientFactory = () => new HttpClient(handler, disposeHandler: false) { Timeout = options.ExportTimeout },
        });
        return new CollectorLogProcessor(new BatchLogRecordExportProcessor(
            exporter, options.QueueCapacity, (int)options.FlushInterval.TotalMilliseconds,
            (int)options.ExportTimeout.TotalMilliseconds, options.BatchSize));
    }

    /// <summary>True for the records the collector gets: request logs, and warnings and errors of other categories.</summary>
    public static bool IsForCollector(string? category, LogLevel level) =>
        category == LogShippingInterceptor.Category || (level >= LogLevel.Warning && level < LogLevel.None);

    /// <inheritdoc />
    public override void OnEnd(LogRecord data)
    {
        if (IsForCollector(data.CategoryName, data.LogLevel))
        {
            base.OnEnd(data);
        }
    }

    /// <summary>Adds the HTTP client the exporter sends through (the cluster key on every export) and its handler.</summary>
    internal static void AddHttpClient(IServiceCollection services)
    {
        services.AddHttpClient(HttpClientName).AddClusterKey();
        services.AddSingleton<CollectorExportHandler>();
        services.AddHostedService(sp => sp.GetRequiredService<CollectorExportHandler>());
    }
}
