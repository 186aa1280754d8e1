namespace Microservices.ServiceDefaults.LogShipping;

/// <summary>
/// Attribute names the log collector reads from an OTLP log record beyond the standard fields (severity, body,
/// trace id, the resource's <c>service.name</c>), and that our services' request logs carry.
/// </summary>
public static class LogRecordAttributes
{
    /// <summary>
    /// The handling time of the request the record describes, in milliseconds (a number: OTLP int or double), the
    /// OTLP form of <c>LogEntry.response_time_ms</c>. OpenTelemetry's semantic conventions have no log attribute for
    /// it (<c>http.server.request.duration</c> names a histogram metric in seconds), so the collector's own field name
    /// and unit are used as they are; a record without it is not a request (response time 0).
    /// </summary>
    public const string ResponseTimeMs = "response_time_ms";
}
