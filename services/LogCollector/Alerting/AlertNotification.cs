using Microservices.Logs.V1;

namespace Microservices.LogCollector.Alerting;

/// <summary>One notification for the sinks: an alert that started firing, fires still (repeat), or resolved.</summary>
/// <param name="Alert">The alert after the change (a copy the sinks may keep).</param>
/// <param name="Kind">Why it is sent.</param>
/// <param name="At">When the change happened.</param>
internal sealed record AlertNotification(Alert Alert, NotificationKind Kind, DateTimeOffset At)
{
    /// <summary>The seed's line: <c>ALERT [severity]: message</c> (<c>RESOLVED [severity]: message</c> when resolved).</summary>
    public string Text => Kind switch
    {
        NotificationKind.Resolved => $"RESOLVED [{SeverityName}]: {Alert.Message}",
        NotificationKind.Repeat => $"ALERT [{SeverityName}]: {Alert.Message} (still firing)",
        _ => $"ALERT [{SeverityName}]: {Alert.Message}",
    };

    /// <summary>Severity in capitals: INFO, WARNING, CRITICAL.</summary>
    public string SeverityName => Alert.Severity switch
    {
        Severity.Critical => "CRITICAL",
        Severity.Warning => "WARNING",
        _ => "INFO",
    };
}

/// <summary>Why a notification is sent.</summary>
internal enum NotificationKind
{
    /// <summary>The alert started firing.</summary>
    Firing,

    /// <summary>The alert has been firing for a repeat interval.</summary>
    Repeat,

    /// <summary>The alert resolved.</summary>
    Resolved,
}
