using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace Microservices.LogCollector.Alerting.Sinks;

/// <summary>
/// POSTs each notification as JSON, in the configured <see cref="WebhookOptions.Format"/>: <c>Slack</c>, a
/// Slack-compatible <c>text</c> field plus the alert's fields (a Slack incoming webhook, or a program that reads the
/// fields); or <c>Alertmanager</c>, Prometheus Alertmanager's webhook JSON version 4 (<see cref="AlertmanagerPayload"/>).
/// The body is serialised first and sent with a Content-Length, not chunked: some receivers refuse chunked bodies.
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
        using var content = new ByteArrayContent(Serialize(notification));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        using var response = await http.PostAsync(_options.Url, content, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private byte[] Serialize(AlertNotification notification)
    {
        if (_options.Format == WebhookFormat.Alertmanager)
        {
            return JsonSerializer.SerializeToUtf8Bytes(
                AlertmanagerPayload.From(notification, _options.Receiver, _options.ExternalUrl), WebhookJson.Default.AlertmanagerPayload);
        }

        var alert = notification.Alert;
        var payload = new WebhookPayload(
            notification.Text, notification.Kind.ToString().ToUpperInvariant(), alert.Id, alert.Rule,
            alert.Scope.ToString().ToUpperInvariant(), alert.Service, notification.SeverityName, alert.State.ToString().ToUpperInvariant(), alert.Value, alert.Threshold, alert.Message,
            alert.StartedAt?.ToDateTimeOffset(), alert.ResolvedAt?.ToDateTimeOffset(), notification.At);
        return JsonSerializer.SerializeToUtf8Bytes(payload, WebhookJson.Default.WebhookPayload);
    }
}

/// <summary>The webhook's JSON body.</summary>
internal sealed record WebhookPayload(
    string Text, string Kind, string Id, string Rule, string Scope, string Service, string Severity, string State, double Value,
    double Threshold, string Message, DateTimeOffset? StartedAt, DateTimeOffset? ResolvedAt, DateTimeOffset At);

/// <summary>Source-generated JSON for the webhook bodies, in camelCase.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(WebhookPayload))]
[JsonSerializable(typeof(AlertmanagerPayload))]
internal sealed partial class WebhookJson : JsonSerializerContext;
