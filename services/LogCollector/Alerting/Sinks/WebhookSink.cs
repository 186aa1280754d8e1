using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace Microservices.LogCollector.Alerting.Sinks;

/// <summary>
/// POSTs each notification as JSON: a Slack-compatible <c>text</c> field plus the alert's fields, so the same URL
/// works for a Slack incoming webhook and for a program that reads the fields.
/// </summary>
internal sealed class WebhookSink(HttpClient http, IOptions<AlertingOptions> options) : INotificationSink
{
    private readonly WebhookOptions _options = options.Value.Webhook;

    /// <inheritdoc />
    public string Name => "webhook";

    /// <inheritdoc />
    public bool Enabled => _options.Url.Length > 0;

    /// <inheritdoc />
    public SinkRetry Retry => new(_options.MaxAttempts, _options.Timeout, _options.InitialBackoff);

    /// <inheritdoc />
    public async Task SendAsync(AlertNotification notification, CancellationToken cancellationToken)
    {
        var alert = notification.Alert;
        var payload = new WebhookPayload(
            notification.Text, notification.Kind.ToString().ToUpperInvariant(), alert.Id, alert.Rule,
            alert.Scope.ToString().ToUpperInvariant(), alert.Service, notification.SeverityName, alert.State.ToString().ToUpperInvariant(), alert.Value, alert.Threshold, alert.Message,
            alert.StartedAt?.ToDateTimeOffset(), alert.ResolvedAt?.ToDateTimeOffset(), notification.At);
        using var response = await http.PostAsJsonAsync(_options.Url, payload, WebhookJson.Default.WebhookPayload, cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}

/// <summary>The webhook's JSON body.</summary>
internal sealed record WebhookPayload(
    string Text, string Kind, string Id, string Rule, string Scope, string Service, string Severity, string State, double Value,
    double Threshold, string Message, DateTimeOffset? StartedAt, DateTimeOffset? ResolvedAt, DateTimeOffset At);

/// <summary>Source-generated JSON for <see cref="WebhookPayload"/>, in camelCase.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(WebhookPayload))]
internal sealed partial class WebhookJson : JsonSerializerContext;
