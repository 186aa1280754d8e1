using System.Diagnostics.Metrics;

namespace Microservices.Gateway.WriteBack;

/// <summary>Metrics of the write-back log and its flusher, on the gateway's meter.</summary>
public sealed class WriteBackTelemetry
{
    private readonly Meter _meter;
    private readonly Histogram<long> _batch;
    private readonly Histogram<long> _group;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _refused;

    /// <summary>Creates the instruments.</summary>
    public WriteBackTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(GatewayTelemetry.Name);
        _batch = _meter.CreateHistogram<long>(
            "gateway.origin.writeback.batch.size", "{write}", "Log records written to the origin per transaction (before coalescing by key).");
        _group = _meter.CreateHistogram<long>(
            "gateway.origin.writeback.sync.size", "{write}", "Writes made durable by one fsync of the log (group commit).");
        _errors = _meter.CreateCounter<long>(
            "gateway.origin.writeback.flush.errors", "{error}", "Batches that failed to reach the origin (each is retried with backoff).");
        _refused = _meter.CreateCounter<long>(
            "gateway.origin.writeback.refused", "{write}", "Writes refused because the log was full (RESOURCE_EXHAUSTED).");
    }

    /// <summary>Publishes the log's gauges, read when collected.</summary>
    public void ObserveLog(WriteBackLog log)
    {
        _meter.CreateObservableGauge("gateway.origin.writeback.depth", () => log.Depth, "{write}", "Writes in the log not yet in the origin.");
        _meter.CreateObservableGauge("gateway.origin.writeback.bytes", () => log.Bytes, "By", "Bytes of log records not yet in the origin.");
        _meter.CreateObservableGauge("gateway.origin.writeback.lag", () => log.Lag.TotalSeconds, "s", "Age of the oldest write not yet in the origin (flush lag).");
    }

    /// <summary>Records one batch written to the origin.</summary>
    public void RecordBatch(int records) => _batch.Record(records);

    /// <summary>Records one fsync of the log and the writes it made durable.</summary>
    public void RecordSync(int writes) => _group.Record(writes);

    /// <summary>Counts a failed batch.</summary>
    public void RecordFlushError() => _errors.Add(1);

    /// <summary>Counts writes refused by a full log.</summary>
    public void RecordRefused(int writes) => _refused.Add(writes);
}
