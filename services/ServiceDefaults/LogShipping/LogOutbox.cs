using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microservices.Logs.V1;
using Microsoft.Extensions.Options;

namespace Microservices.ServiceDefaults.LogShipping;

/// <summary>
/// The bounded queue between request handling and the shipper. Adding never blocks and never fails a request:
/// when the queue is full (collector away or slow) the oldest entry is dropped and counted.
/// </summary>
public sealed class LogOutbox
{
    /// <summary>Name of the shipper's Meter.</summary>
    public static readonly string MeterName = ServiceTelemetry.NameOf("LogShipping");

    private readonly Channel<LogEntry> _channel;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _shipped;

    /// <summary>Creates the queue and the shipper's metrics.</summary>
    public LogOutbox(IOptions<LogShippingOptions> options, IMeterFactory meters, ShippedServiceName service)
    {
        Service = service.Name;
        var meter = meters.Create(MeterName);
        _dropped = meter.CreateCounter<long>(
            "logshipper.entries.dropped", "{entry}", "Log entries not shipped: queue_full or send_failed.");
        _shipped = meter.CreateCounter<long>("logshipper.entries.shipped", "{entry}", "Log entries sent to the collector.");
        _channel = Channel.CreateBounded<LogEntry>(
            new BoundedChannelOptions(options.Value.QueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => RecordDropped(1, "queue_full"));
    }

    /// <summary>The service name entries are shipped under.</summary>
    public string Service { get; }

    /// <summary>Entries for the shipper.</summary>
    public ChannelReader<LogEntry> Reader => _channel.Reader;

    /// <summary>Queues an entry; never blocks.</summary>
    public void Add(LogEntry entry) => _channel.Writer.TryWrite(entry);

    /// <summary>Counts entries that were lost.</summary>
    public void RecordDropped(int count, string reason) =>
        _dropped.Add(count, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Counts entries that were sent.</summary>
    public void RecordShipped(int count) => _shipped.Add(count);
}

/// <summary>The service name that shipped entries carry (the Aspire resource name when run by the AppHost).</summary>
/// <param name="Name">The name.</param>
public sealed record ShippedServiceName(string Name);
