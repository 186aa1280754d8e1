using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microservices.Logs.V1;
using static Microservices.LogCollector.Tests.CollectorApp;

namespace Microservices.LogCollector.Tests;

public sealed class AlertmanagerWebhookTests
{
    [Fact]
    public async Task AnAlertmanagerWebhookGetsVersion4JsonWithAContentLengthWhenAnAlertFiresAndResolves()
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/alerts/");
        listener.Start();
        var received = new ConcurrentQueue<(long Length, string? TransferEncoding, string? ContentType, string Body)>();
        var server = Task.Run(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                var context = await listener.GetContextAsync();
                using (var reader = new StreamReader(context.Request.InputStream))
                {
                    var request = context.Request;
                    received.Enqueue((request.ContentLength64, request.Headers["Transfer-Encoding"], request.ContentType, await reader.ReadToEndAsync()));
                }

                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        using var app = new CollectorApp(new()
        {
            ["Alerting:Rules:high-error-rate:Scope"] = "Services",
            ["Alerting:Webhook:Url"] = $"http://127.0.0.1:{port}/alerts/",
            ["Alerting:Webhook:Format"] = "Alertmanager",
            ["Alerting:Webhook:Receiver"] = "team-api",
            ["Alerting:Webhook:ExternalUrl"] = "http://dashboard.example.test",
        });
        await app.WriteAsync([.. Enumerable.Range(0, 50).Select(i => Entry(i < 25 ? Level.Error : Level.Info, message: "disk full"))]);
        app.Alerts.Evaluate();
        await WaitForAsync(received, 1);
        app.App.Time.Advance(TimeSpan.FromSeconds(61));
        app.Alerts.Evaluate();
        await server.WaitAsync(TimeSpan.FromSeconds(10));

        var posts = received.ToArray();
        foreach (var (length, transferEncoding, contentType, body) in posts)
        {
            Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(body), length);
            Assert.Null(transferEncoding);
            Assert.Equal("application/json; charset=utf-8", contentType);
        }

        using var firing = JsonDocument.Parse(posts[0].Body);
        var root = firing.RootElement;
        Assert.Equal(
            ["version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "alerts"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("4", root.GetProperty("version").GetString());
        Assert.Equal("{}:{alertname=\"high-error-rate\", service=\"api\"}", root.GetProperty("groupKey").GetString());
        Assert.Equal(0, root.GetProperty("truncatedAlerts").GetInt32());
        Assert.Equal("firing", root.GetProperty("status").GetString());
        Assert.Equal("team-api", root.GetProperty("receiver").GetString());
        Assert.Equal("""{"alertname":"high-error-rate","service":"api"}""", root.GetProperty("groupLabels").GetRawText());
        Assert.Equal(
            """{"alertname":"high-error-rate","scope":"service","service":"api","severity":"critical"}""",
            root.GetProperty("commonLabels").GetRawText());
        Assert.Equal("0.5", root.GetProperty("commonAnnotations").GetProperty("value").GetString());
        Assert.StartsWith("High error rate for api", root.GetProperty("commonAnnotations").GetProperty("summary").GetString());
        Assert.Equal("http://dashboard.example.test", root.GetProperty("externalURL").GetString());

        var alert = Assert.Single(root.GetProperty("alerts").EnumerateArray());
        Assert.Equal(
            ["status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"],
            alert.EnumerateObject().Select(p => p.Name));
        Assert.Equal("firing", alert.GetProperty("status").GetString());
        Assert.Equal(root.GetProperty("commonLabels").GetRawText(), alert.GetProperty("labels").GetRawText());
        Assert.Equal(Start.UtcDateTime, DateTime.Parse(alert.GetProperty("startsAt").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal));
        Assert.Equal("0001-01-01T00:00:00Z", alert.GetProperty("endsAt").GetString());
        Assert.Matches("^[0-9a-f]{16}$", alert.GetProperty("fingerprint").GetString());

        using var resolvedJson = JsonDocument.Parse(posts[1].Body);
        var resolved = resolvedJson.RootElement.GetProperty("alerts")[0];
        Assert.Equal("resolved", resolvedJson.RootElement.GetProperty("status").GetString());
        Assert.Equal("resolved", resolved.GetProperty("status").GetString());
        Assert.EndsWith("Z", resolved.GetProperty("endsAt").GetString());
        Assert.NotEqual("0001-01-01T00:00:00Z", resolved.GetProperty("endsAt").GetString());
        Assert.Equal(alert.GetProperty("fingerprint").GetString(), resolved.GetProperty("fingerprint").GetString());
    }

    [Fact]
    public void FingerprintsAreAlertmanagersForTheSameLabels()
    {
        // The vector of prometheus/common's TestMetricToFingerprint: 5799056148416392346.
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["name"] = "garland, briggs",
            ["fear"] = "love is not enough",
        };

        Assert.Equal("507a62d79ee76c9a", Alerting.Sinks.AlertmanagerPayload.Fingerprint(labels));
    }

    private static async Task WaitForAsync<T>(ConcurrentQueue<T> queue, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (queue.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{queue.Count} of {count} posts arrived");
            await Task.Delay(10);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
