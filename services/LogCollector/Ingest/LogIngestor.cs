using System.Globalization;
using Google.Protobuf.Collections;
using Microservices.LogCollector.Telemetry;
using Microservices.LogCollector.Windows;
using Microservices.Logs.V1;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Microservices.LogCollector.Ingest;

/// <summary>Validates batches entry by entry and counts the accepted entries into the windows.</summary>
internal sealed class LogIngestor(
    WindowRegistry windows, TimeProvider time, IOptions<LogCollectorOptions> options, LogCollectorTelemetry telemetry)
{
    private readonly LogCollectorOptions _options = options.Value;

    /// <summary>Returns why a whole batch is refused (too many entries or bytes), or null.</summary>
    public string? CheckBatch(RepeatedField<LogEntry> entries, int serializedBytes)
    {
        if (entries.Count > RequestLimits.MaxBatchItems)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"entries must hold at most {RequestLimits.MaxBatchItems} items, got {entries.Count}");
        }

        return serializedBytes > _options.MaxBatchBytes
            ? string.Create(CultureInfo.InvariantCulture,
                $"a batch must be at most {_options.MaxBatchBytes} bytes, got {serializedBytes}")
            : null;
    }

    /// <summary>Checks each entry alone and counts the good ones; every entry ends up in <paramref name="tally"/>.</summary>
    public void Ingest(RepeatedField<LogEntry> entries, IngestTally tally)
    {
        var now = time.GetUtcNow();
        foreach (var entry in entries)
        {
            var rejection = EntryValidator.Check(entry, now, _options.Retention, _options.MaxFutureSkew, out var accepted, out var truncated)
                ?? (windows.Add(accepted) ? null : TooOld);
            if (rejection is null)
            {
                tally.Accept(truncated);
                telemetry.RecordAccepted(truncated);
            }
            else
            {
                tally.Reject(rejection.Message);
                telemetry.RecordRejected(rejection.Code);
            }
        }
    }

    private EntryRejection TooOld => new(EntryRejection.TooOldReason, string.Create(CultureInfo.InvariantCulture,
        $"timestamp is older than the retention ({_options.Retention.TotalSeconds:0} s)"));
}
