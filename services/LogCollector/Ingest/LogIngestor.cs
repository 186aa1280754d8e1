using System.Buffers;
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

    // Rare (a batch whose second left the ring while it was being counted); one instance serves them all.
    private readonly EntryRejection _tooOld = new(EntryRejection.TooOldReason, string.Create(CultureInfo.InvariantCulture,
        $"timestamp is older than the retention ({options.Value.Retention.TotalSeconds:0} s)"));

    private readonly EntryRejection _overBudget = new(EntryRejection.OverBudgetReason, string.Create(CultureInfo.InvariantCulture,
        $"the collector's memory budget (LogCollector:MaxBytes = {options.Value.MaxBytes} bytes) has no room for this entry's second"));

    private readonly EntryRejection _newServiceOverBudget = new(EntryRejection.OverBudgetReason, string.Create(CultureInfo.InvariantCulture,
        $"new services are refused while the collector's memory budget (LogCollector:MaxBytes = {options.Value.MaxBytes} bytes) is nearly spent"));

    /// <summary>Returns why a whole batch is refused (too many entries or bytes), or null.</summary>
    public string? CheckBatch(RepeatedField<LogEntry> entries, int serializedBytes) =>
        CheckBatch("entries", entries.Count, serializedBytes);

    /// <summary>
    /// Returns why a whole batch of <paramref name="count"/> items in <paramref name="serializedBytes"/> is refused, or
    /// null; <paramref name="field"/> names the items in the message (OTLP requests call them log records).
    /// </summary>
    public string? CheckBatch(string field, int count, int serializedBytes)
    {
        if (count > RequestLimits.MaxBatchItems)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"{field} must hold at most {RequestLimits.MaxBatchItems} items, got {count}");
        }

        return serializedBytes > _options.MaxBatchBytes
            ? string.Create(CultureInfo.InvariantCulture,
                $"a batch must be at most {_options.MaxBatchBytes} bytes, got {serializedBytes}")
            : null;
    }

    /// <summary>
    /// Checks each entry alone and counts the good ones, the whole batch under one lock per window; every entry ends
    /// up in <paramref name="tally"/>, accepted or rejected with its reason.
    /// </summary>
    public void Ingest(RepeatedField<LogEntry> entries, IngestTally tally)
    {
        var now = time.GetUtcNow();
        var count = entries.Count;
        var accepted = ArrayPool<AcceptedEntry>.Shared.Rent(Math.Max(count, 1));
        var positions = ArrayPool<int>.Shared.Rent(Math.Max(count, 1));
        var truncatedAt = ArrayPool<bool>.Shared.Rent(Math.Max(count, 1));
        var refused = ArrayPool<EntryRefusal>.Shared.Rent(Math.Max(count, 1));
        try
        {
            var rejections = new List<(int Index, EntryRejection Rejection)>();
            var kept = 0;
            for (var i = 0; i < count; i++)
            {
                var rejection = EntryValidator.Check(
                    entries[i], now, _options.Retention, _options.MaxFutureSkew, out accepted[kept], out truncatedAt[kept]);
                if (rejection is null)
                {
                    positions[kept++] = i;
                }
                else
                {
                    rejections.Add((i, rejection));
                }
            }

            Array.Clear(refused, 0, kept);
            windows.AddBatch(accepted.AsSpan(0, kept), refused.AsSpan(0, kept));
            var truncated = 0;
            var refusedAny = false;
            for (var k = 0; k < kept; k++)
            {
                if (refused[k] != EntryRefusal.None)
                {
                    rejections.Add((positions[k], refused[k] switch
                    {
                        EntryRefusal.TooOld => _tooOld,
                        EntryRefusal.NewServiceOverBudget => _newServiceOverBudget,
                        _ => _overBudget,
                    }));
                    refusedAny = true;
                }
                else if (truncatedAt[k])
                {
                    truncated++;
                }
            }

            if (refusedAny)
            {
                rejections.Sort((a, b) => a.Index.CompareTo(b.Index));
            }

            tally.AddBatch(count, truncated, rejections);
            telemetry.RecordBatch(count - rejections.Count, truncated, rejections);
        }
        finally
        {
            ArrayPool<AcceptedEntry>.Shared.Return(accepted);
            ArrayPool<int>.Shared.Return(positions);
            ArrayPool<bool>.Shared.Return(truncatedAt);
            ArrayPool<EntryRefusal>.Shared.Return(refused);
        }
    }
}
