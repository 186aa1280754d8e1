using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Microservices.Logs.V1;

namespace Microservices.LogCollector.Alerting.Sinks;

/// <summary>
/// The body Prometheus Alertmanager POSTs to a webhook receiver (webhook JSON version 4, as documented in
/// Alertmanager's configuration reference under &lt;webhook_config&gt;), so receivers written for Alertmanager read
/// our alerts unchanged. Each notification is one group holding one alert: group labels <c>alertname</c> (the rule) and
/// <c>service</c> (absent for the overall alert, which has <c>scope="overall"</c>), labels <c>severity</c> and
/// <c>scope</c> too; annotations <c>summary</c> (the alert's message), <c>value</c> and <c>threshold</c>.
/// </summary>
internal sealed record AlertmanagerPayload(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("groupKey")] string GroupKey,
    [property: JsonPropertyName("truncatedAlerts")] int TruncatedAlerts,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("receiver")] string Receiver,
    [property: JsonPropertyName("groupLabels")] SortedDictionary<string, string> GroupLabels,
    [property: JsonPropertyName("commonLabels")] SortedDictionary<string, string> CommonLabels,
    [property: JsonPropertyName("commonAnnotations")] SortedDictionary<string, string> CommonAnnotations,
    [property: JsonPropertyName("externalURL")] string ExternalUrl,
    [property: JsonPropertyName("alerts")] IReadOnlyList<AlertmanagerAlert> Alerts)
{
    // UTC times serialise with a Z, as Alertmanager's do.
    private static readonly DateTime ZeroTime = DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc);

    /// <summary>The payload for <paramref name="notification"/>, sent to <paramref name="receiver"/>.</summary>
    public static AlertmanagerPayload From(AlertNotification notification, string receiver, string externalUrl)
    {
        var alert = notification.Alert;
        var status = notification.Kind == NotificationKind.Resolved ? "resolved" : "firing";
        var groupLabels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = alert.Rule };
        if (alert.Scope != AlertScope.Overall)
        {
            groupLabels["service"] = alert.Service;
        }

        var labels = new SortedDictionary<string, string>(groupLabels, StringComparer.Ordinal)
        {
            ["severity"] = notification.SeverityName.ToLowerInvariant(),
            ["scope"] = alert.Scope == AlertScope.Overall ? "overall" : "service",
        };
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["summary"] = alert.Message,
            ["value"] = alert.Value.ToString("R", CultureInfo.InvariantCulture),
            ["threshold"] = alert.Threshold.ToString("R", CultureInfo.InvariantCulture),
        };
        var item = new AlertmanagerAlert(
            status, labels, annotations,
            (alert.StartedAt?.ToDateTimeOffset() ?? notification.At).UtcDateTime,

            // Alertmanager sends the zero time as endsAt of an alert that still fires.
            notification.Kind == NotificationKind.Resolved ? (alert.ResolvedAt?.ToDateTimeOffset() ?? notification.At).UtcDateTime : ZeroTime,
            externalUrl, Fingerprint(labels));
        return new AlertmanagerPayload(
            "4", KeyOf(groupLabels), 0, status, receiver, groupLabels, labels, annotations, externalUrl, [item]);
    }

    /// <summary>
    /// A label set's fingerprint as Alertmanager prints it: 64-bit FNV-1a over the labels sorted by name, each name and
    /// value followed by the byte 255, as 16 hex digits (prometheus/common, model/signature.go, labelSetToFingerprint).
    /// </summary>
    public static string Fingerprint(SortedDictionary<string, string> labels)
    {
        const ulong offset = 14695981039346656037;
        const ulong prime = 1099511628211;
        var hash = offset;
        foreach (var (name, value) in labels)
        {
            hash = Add(Add(hash, name), value);
        }

        return hash.ToString("x16", CultureInfo.InvariantCulture);

        static ulong Add(ulong hash, string text)
        {
            foreach (var b in Encoding.UTF8.GetBytes(text))
            {
                hash = (hash ^ b) * prime;
            }

            return (hash ^ 255) * prime;
        }
    }

    // Alertmanager's group key: the route's matchers (none here), then the group labels.
    private static string KeyOf(SortedDictionary<string, string> groupLabels) =>
        "{}:{" + string.Join(", ", groupLabels.Select(label => $"{label.Key}=\"{label.Value}\"")) + "}";
}

/// <summary>One alert of an <see cref="AlertmanagerPayload"/>.</summary>
internal sealed record AlertmanagerAlert(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("labels")] SortedDictionary<string, string> Labels,
    [property: JsonPropertyName("annotations")] SortedDictionary<string, string> Annotations,
    [property: JsonPropertyName("startsAt")] DateTime StartsAt,
    [property: JsonPropertyName("endsAt")] DateTime EndsAt,
    [property: JsonPropertyName("generatorURL")] string GeneratorUrl,
    [property: JsonPropertyName("fingerprint")] string Fingerprint);
