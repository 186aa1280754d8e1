using System.Globalization;
using System.Text;
using Microservices.LogCollector.Windows;
using Microservices.Logs.V1;
using Microservices.ServiceDefaults;
using Microservices.ServiceDefaults.LogShipping;

namespace Microservices.LogCollector.Ingest;

/// <summary>
/// Checks one log entry alone and turns it into what the windows keep. Rules (logs.proto): unset timestamp = receive
/// time; a timestamp must be a valid time; level must be set; response time from 0 to 24 h; at most the skew in the
/// future; not older than the retention; messages over 4 KiB counted; empty service = "unknown"; trace id empty or
/// 32 hex characters.
/// </summary>
internal static class EntryValidator
{
    /// <summary>Longest service name, in characters.</summary>
    public const int MaxServiceLength = 128;

    /// <summary>Service name for entries that name none.</summary>
    public const string UnknownService = "unknown";

    /// <summary>Checks <paramref name="entry"/>; on success fills <paramref name="accepted"/>, else returns the reason.</summary>
    /// <param name="entry">The entry as received.</param>
    /// <param name="now">Receive time.</param>
    /// <param name="retention">How far back entries may be.</param>
    /// <param name="maxFutureSkew">How far ahead entries may be.</param>
    /// <param name="accepted">What the windows keep.</param>
    /// <param name="truncated">True when the message is over <see cref="LogEntryLimits.MaxMessageBytes"/>.</param>
    public static EntryRejection? Check(
        LogEntry entry, DateTimeOffset now, TimeSpan retention, TimeSpan maxFutureSkew,
        out AcceptedEntry accepted, out bool truncated)
    {
        accepted = default;
        truncated = false;
        if (entry.Level is <= Level.Unspecified or > Level.Fatal)
        {
            return new(EntryRejection.LevelReason, string.Create(CultureInfo.InvariantCulture, $"level must be LEVEL_DEBUG (1) to LEVEL_FATAL (5), got {(int)entry.Level}"));
        }

        // NaN fails both comparisons, so it is rejected too.
        // The bound keeps every accepted value inside the latency histogram (LatencyScale) and every sum finite.
        if (!(entry.ResponseTimeMs is >= 0 and <= LogEntryLimits.MaxResponseTimeMs))
        {
            return new(EntryRejection.ResponseTimeReason, string.Create(CultureInfo.InvariantCulture,
                $"response_time_ms must be from 0 to {LogEntryLimits.MaxResponseTimeMs} ms (24 h), got {entry.ResponseTimeMs}"));
        }

        var at = now;
        if (entry.Timestamp is not null)
        {
            if (ProtoTime.TryToUnixMilliseconds(entry.Timestamp, "timestamp", out _) is { } invalid)
            {
                return new(EntryRejection.TimestampReason, invalid);
            }

            at = entry.Timestamp.ToDateTimeOffset();
            if (at - now > maxFutureSkew)
            {
                return new(EntryRejection.FutureReason, string.Create(CultureInfo.InvariantCulture,
                    $"timestamp is {(at - now).TotalSeconds:0.###} s in the future; at most {maxFutureSkew.TotalSeconds:0.###} s allowed"));
            }

            if (now.ToUnixTimeSeconds() - at.ToUnixTimeSeconds() >= (long)retention.TotalSeconds)
            {
                return new(EntryRejection.TooOldReason, string.Create(CultureInfo.InvariantCulture,
                    $"timestamp is {(now - at).TotalSeconds:0.###} s old; the retention is {retention.TotalSeconds:0} s"));
            }
        }

        var service = entry.Service.Length == 0 ? UnknownService : entry.Service;
        if (service.Length > MaxServiceLength)
        {
            return new(EntryRejection.ServiceReason,
                string.Create(CultureInfo.InvariantCulture, $"service must be at most {MaxServiceLength} characters, got {service.Length}"));
        }

        if (entry.TraceId.Length != 0 && !IsTraceId(entry.TraceId))
        {
            return new(EntryRejection.TraceIdReason, "trace_id must be 32 hexadecimal characters");
        }

        var message = entry.Message;
        truncated = message.Length > LogEntryLimits.MaxMessageBytes / 3
            && Encoding.UTF8.GetByteCount(message) > LogEntryLimits.MaxMessageBytes;
        var isError = entry.Level >= Level.Error;
        accepted = new AcceptedEntry(service, at.ToUnixTimeSeconds(), isError, entry.ResponseTimeMs, isError ? ErrorKey.Of(message) : null);
        return null;
    }

    private static bool IsTraceId(string value) => value.Length == 32 && value.All(char.IsAsciiHexDigit);
}

/// <summary>Why an entry was rejected: a short reason code (a metric tag) and the message for the client.</summary>
/// <param name="Code">Reason code.</param>
/// <param name="Message">Human-readable reason naming the field and the limit.</param>
internal sealed record EntryRejection(string Code, string Message)
{
    /// <summary>Level unset or unknown.</summary>
    public const string LevelReason = "level";

    /// <summary>Response time negative, above 24 h or not a number.</summary>
    public const string ResponseTimeReason = "response_time";

    /// <summary>Timestamp not a valid time.</summary>
    public const string TimestampReason = "timestamp";

    /// <summary>Timestamp too far in the future.</summary>
    public const string FutureReason = "future";

    /// <summary>Timestamp older than the retention.</summary>
    public const string TooOldReason = "too_old";

    /// <summary>No room in the windows' memory budget (LogCollector:MaxBytes).</summary>
    public const string OverBudgetReason = "over_budget";

    /// <summary>Service name too long.</summary>
    public const string ServiceReason = "service";

    /// <summary>Trace id malformed.</summary>
    public const string TraceIdReason = "trace_id";
}
