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
        var handlers = services.GetRequiredService<IHttpMessageHandlerFactory>();
        var exporter = new OtlpLogExporter(new OtlpExporterOptions
        {
            Endpoint = options.Address,
            Protocol = OtlpExportProtocol.Grpc,

            // The default options read OTEL_EXPORTER_OTLP_HEADERS, which Aspire sets for its dashboard.
            Headers = string.Empty,
            TimeoutMilliseconds = (int)options.ExportTimeout.TotalMilliseconds,

            // The exporter takes its client while the logger factory is being built: the handler chain is resolved at
            // the first export instead, when the HTTP client factory can have its loggers.
            HttpClientFactory = () => new HttpClient(new DeferredHandler(() => handlers.CreateHandler(HttpClientName)))
            {
                Timeout = options.ExportTimeout,
            },
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

    /// <summary>Adds the HTTP client the exporter sends through: the cluster key on every export.</summary>
    internal static void AddHttpClient(IServiceCollection services) =>
        services.AddHttpClient(HttpClientName).AddClusterKey();

    // Resolves the named client's handler chain per request, so it is built after the logger factory and rotates as
    // IHttpClientFactory rotates handlers.
    private sealed class DeferredHandler(Func<HttpMessageHandler> handler) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var invoker = new HttpMessageInvoker(handler(), disposeHandler: false);
            return invoker.SendAsync(request, cancellationToken);
        }
    }
}
