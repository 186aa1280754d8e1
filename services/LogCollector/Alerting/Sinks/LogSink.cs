using Microservices.Logs.V1;

namespace Microservices.LogCollector.Alerting.Sinks;

/// <summary>Writes each notification as a structured log line, <c>ALERT [severity]: message</c>, as the seed prints.</summary>
internal sealed partial class LogSink(ILogger<LogSink> logger) : INotificationSink
{
    /// <inheritdoc />
    public string Name => "log";

    /// <inheritdoc />
    public bool Enabled => true;

    /// <inheritdoc />
    public SinkRetry Retry { get; } = new(1, TimeSpan.FromSeconds(5), TimeSpan.Zero);

    /// <inheritdoc />
    public Task SendAsync(AlertNotification notification, CancellationToken cancellationToken)
    {
        var alert = notification.Alert;
        var level = notification.Kind == NotificationKind.Resolved ? LogLevel.Information
            : alert.Severity == Severity.Critical ? LogLevel.Error : LogLevel.Warning;

        // The line is the seed's; the alert's fields travel as a scope, so they are searchable in the dashboard.
        using (logger.BeginScope(new Dictionary<string, object>
        {
            ["AlertId"] = alert.Id,
            ["AlertRule"] = alert.Rule,
            ["AlertScope"] = alert.Scope.ToString(),
            ["AlertService"] = alert.Service,
            ["AlertState"] = alert.State.ToString(),
            ["AlertValue"] = alert.Value,
            ["AlertThreshold"] = alert.Threshold,
        }))
        {
            Log(logger, level, notification.Text);
        }

        return Task.CompletedTask;
    }

    [LoggerMessage("{Text}")]
    private static partial void Log(ILogger logger, LogLevel level, string text);
}
