namespace Microservices.ServiceDefaults.LogShipping;

/// <summary>
/// Export of request logs and warnings to the log collector by OTLP, bound from <c>LogShipping</c>. On when the
/// service knows a <c>logcollector</c> (the AppHost's reference sets <c>services:logcollector:*</c>) or an address is
/// set. The batching, the bounded queue and (with <c>OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY=in_memory</c>, which the
/// AppHost sets) the retries are the OpenTelemetry exporter's; these are its settings for the collector's export.
/// </summary>
public sealed class LogShippingOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "LogShipping";

    /// <summary>False turns shipping off even when a collector is known.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The collector; the default is resolved by service discovery.</summary>
    public Uri Address { get; set; } = new("http://logcollector");

    /// <summary>Records waiting to be exported; when full, new records are dropped (the exporter counts them).</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// Most records per export request. 256 keeps a batch of error records with stack traces (attributes of about
    /// 10 KB each) under the collector's 4 MiB per request, which refuses a larger request whole.
    /// </summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>Longest wait before a partial batch is exported.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Time allowed for one export, retries included; then the batch is dropped. Longer than the exporter's 10 s
    /// default: a service's first export (connection, JIT on both sides) can take that long on a loaded machine.
    /// </summary>
    public TimeSpan ExportTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
