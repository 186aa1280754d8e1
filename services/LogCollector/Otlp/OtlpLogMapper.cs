using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using Microservices.Logs.V1;
using Microservices.ServiceDefaults.LogShipping;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OtlpLogRecord = OpenTelemetry.Proto.Logs.V1.LogRecord;

namespace Microservices.LogCollector.Otlp;

/// <summary>
/// Turns the log records of an OTLP export request into log entries, one for one and in request order (resource by
/// resource, scope by scope), so the ingest path checks and counts them as it does <c>Write</c> batches. The mapping
/// only translates: every rule about what is accepted stays in <c>EntryValidator</c>, so a record the mapping cannot
/// express becomes an entry that the validator rejects with the field's name (level, response_time_ms, trace_id).
/// <list type="bullet">
/// <item>level from <c>severity_number</c> by the OTLP ranges: 1-8 (TRACE, DEBUG) DEBUG, 9-12 INFO, 13-16 WARN,
/// 17-20 ERROR, 21-24 FATAL; when unspecified, from a <c>severity_text</c> that names a level (Trace, Debug, Info,
/// Information, Warn, Warning, Error, Fatal, Critical; any case); otherwise unspecified, which is rejected.</item>
/// <item>service from the resource attribute <c>service.name</c> (a string); none = "unknown".</item>
/// <item>message from the body: a string as it is; a number or bool as invariant text; bytes as base64; an array or
/// map as its protobuf JSON.</item>
/// <item>response time from the record attribute <see cref="LogRecordAttributes.ResponseTimeMs"/> (int or double,
/// milliseconds); any other type is NaN, which is rejected; absent = 0 (not a request).</item>
/// <item>timestamp from <c>time_unix_nano</c>, else <c>observed_time_unix_nano</c>, else unset (receive time).</item>
/// <item>trace id as 32 lower-case hex characters; an all-zero (invalid) id as none.</item>
/// </list>
/// </summary>
internal static class OtlpLogMapper
{
    /// <summary>The resource attribute that names the service (OpenTelemetry semantic conventions).</summary>
    public const string ServiceNameAttribute = "service.name";

    private const ulong NanosPerSecond = 1_000_000_000;

    /// <summary>Number of log records in <paramref name="request"/>.</summary>
    public static int CountRecords(ExportLogsServiceRequest request)
    {
        var count = 0;
        foreach (var resource in request.ResourceLogs)
        {
            foreach (var scope in resource.ScopeLogs)
            {
                count += scope.LogRecords.Count;
            }
        }

        return count;
    }

    /// <summary>One entry per log record of <paramref name="request"/>, in request order.</summary>
    public static RepeatedField<LogEntry> ToEntries(ExportLogsServiceRequest request)
    {
        var entries = new RepeatedField<LogEntry>();
        foreach (var resource in request.ResourceLogs)
        {
            var service = ServiceName(resource.Resource?.Attributes);
            foreach (var scope in resource.ScopeLogs)
            {
                foreach (var record in scope.LogRecords)
                {
                    entries.Add(ToEntry(record, service));
                }
            }
        }

        return entries;
    }

    private static LogEntry ToEntry(OtlpLogRecord record, string service) => new()
    {
        Timestamp = TimestampOf(record.TimeUnixNano != 0 ? record.TimeUnixNano : record.ObservedTimeUnixNano),
        Level = LevelOf((int)record.SeverityNumber, record.SeverityText),
        Service = service,
        Message = Text(record.Body),
        ResponseTimeMs = ResponseTime(record.Attributes),
        TraceId = TraceId(record.TraceId),
    };

    /// <summary>The level of an OTLP severity number (1-24), else of a severity text that names one.</summary>
    public static Level LevelOf(int severityNumber, string severityText) => severityNumber switch
    {
        >= 1 and <= 8 => Level.Debug,
        >= 9 and <= 12 => Level.Info,
        >= 13 and <= 16 => Level.Warn,
        >= 17 and <= 20 => Level.Error,
        >= 21 and <= 24 => Level.Fatal,
        0 => severityText.ToUpperInvariant() switch
        {
            "TRACE" or "DEBUG" => Level.Debug,
            "INFO" or "INFORMATION" => Level.Info,
            "WARN" or "WARNING" => Level.Warn,
            "ERROR" => Level.Error,
            "FATAL" or "CRITICAL" => Level.Fatal,
            _ => Level.Unspecified,
        },
        _ => Level.Unspecified,
    };

    private static string ServiceName(RepeatedField<KeyValue>? attributes)
    {
        if (attributes is not null)
        {
            foreach (var attribute in attributes)
            {
                if (attribute.Key == ServiceNameAttribute && attribute.Value?.ValueCase == AnyValue.ValueOneofCase.StringValue)
                {
                    return attribute.Value.StringValue;
                }
            }
        }

        return string.Empty;
    }

    private static double ResponseTime(RepeatedField<KeyValue> attributes)
    {
        foreach (var attribute in attributes)
        {
            if (attribute.Key == LogRecordAttributes.ResponseTimeMs)
            {
                return attribute.Value?.ValueCase switch
                {
                    AnyValue.ValueOneofCase.IntValue => attribute.Value.IntValue,
                    AnyValue.ValueOneofCase.DoubleValue => attribute.Value.DoubleValue,
                    _ => double.NaN,
                };
            }
        }

        return 0;
    }

    private static string Text(AnyValue? body) => body?.ValueCase switch
    {
        null or AnyValue.ValueOneofCase.None => string.Empty,
        AnyValue.ValueOneofCase.StringValue => body.StringValue,
        AnyValue.ValueOneofCase.BoolValue => body.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => body.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => body.DoubleValue.ToString("R", CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BytesValue => body.BytesValue.ToBase64(),
        _ => JsonFormatter.Default.Format(body),
    };

    // Every fixed64 time is a valid Timestamp (2^64 ns is about the year 2554); the validator judges its range.
    private static Timestamp? TimestampOf(ulong unixNanos) => unixNanos == 0
        ? null
        : new Timestamp { Seconds = (long)(unixNanos / NanosPerSecond), Nanos = (int)(unixNanos % NanosPerSecond) };

    // A 16-byte id becomes the 32 hex characters the validator expects; any other length stays wrong and is rejected.
    private static string TraceId(ByteString id) =>
        id.IsEmpty || id.Span.IndexOfAnyExcept((byte)0) < 0 ? string.Empty : Convert.ToHexStringLower(id.Span);
}
