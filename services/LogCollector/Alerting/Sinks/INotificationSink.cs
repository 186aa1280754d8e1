namespace Microservices.LogCollector.Alerting.Sinks;

/// <summary>A destination for alert notifications. The dispatcher retries, times out and counts; sinks just send.</summary>
internal interface INotificationSink
{
    /// <summary>Short name, used in metrics and logs.</summary>
    string Name { get; }

    /// <summary>False when the sink is not configured.</summary>
    bool Enabled { get; }

    /// <summary>Attempts, per-attempt timeout and first backoff.</summary>
    SinkRetry Retry { get; }

    /// <summary>Sends one notification; throws on failure.</summary>
    Task SendAsync(AlertNotification notification, CancellationToken cancellationToken);
}

/// <summary>How a sink is retried.</summary>
/// <param name="MaxAttempts">Attempts per notification.</param>
/// <param name="Timeout">Timeout of one attempt.</param>
/// <param name="InitialBackoff">First pause between attempts; it doubles.</param>
internal sealed record SinkRetry(int MaxAttempts, TimeSpan Timeout, TimeSpan InitialBackoff);
