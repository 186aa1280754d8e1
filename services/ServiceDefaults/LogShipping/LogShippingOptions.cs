namespace Microservices.ServiceDefaults.LogShipping;

/// <summary>
/// Shipping of request logs and warnings to the log collector, bound from <c>LogShipping</c>. On when the service
/// knows a <c>logcollector</c> (the AppHost's reference sets <c>services:logcollector:*</c>) or an address is set.
/// </summary>
public sealed class LogShippingOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "LogShipping";

    /// <summary>False turns shipping off even when a collector is known.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The collector; the default is resolved by service discovery.</summary>
    public Uri Address { get; set; } = new("http://logcollector");

    /// <summary>Entries waiting to be shipped; when full the oldest is dropped (and counted).</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Most entries per batch.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Longest wait before a partial batch is sent.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>An Ingest stream is completed (and its summary read) after this long, then a new one opens.</summary>
    public TimeSpan StreamLifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Reconnect backoff: starts here and doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest reconnect backoff.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);
}
