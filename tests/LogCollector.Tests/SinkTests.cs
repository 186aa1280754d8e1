using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microservices.Logs.V1;
using static Microservices.LogCollector.Tests.CollectorApp;

namespace Microservices.LogCollector.Tests;

public sealed class SinkTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task FireAsync(CollectorApp app)
    {
        await app.WriteAsync([.. Enumerable.Range(0, 50).Select(i => Entry(i < 25 ? Level.Error : Level.Info, message: "disk full"))]);
        app.Alerts.Evaluate();
    }

    [Fact]
    public async Task TheWebhookGetsSlackCompatibleJsonAndIsRetriedAfterAFailure()
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        listener.Start();
        var bodies = new ConcurrentQueue<string>();
        var server = Task.Run(async () =>
        {
            for (var attempt = 0; attempt < 2; attempt++)
            {
                var context = await listener.GetContextAsync();
                using (var reader = new StreamReader(context.Request.InputStream))
                {
                    bodies.Enqueue(await reader.ReadToEndAsync());
                }

                // The first attempt fails; the sink must try again.
                context.Response.StatusCode = attempt == 0 ? 500 : 200;
                context.Response.Close();
            }
        });

        using var app = new CollectorApp(new()
        {
            ["Alerting:Rules:high-error-rate:Scope"] = "Services",
            ["Alerting:Webhook:Url"] = $"http://127.0.0.1:{port}/hook/",
            ["Alerting:Webhook:InitialBackoff"] = "00:00:00.050",
        });
        await FireAsync(app);
        await server.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, bodies.Count);
        using var json = JsonDocument.Parse(bodies.Last());
        var root = json.RootElement;
        Assert.StartsWith("ALERT [CRITICAL]: High error rate for api: 50.0 %", root.GetProperty("text").GetString());
        Assert.Equal("high-error-rate/api", root.GetProperty("id").GetString());
        Assert.Equal("FIRING", root.GetProperty("state").GetString());
        Assert.Equal(0.5, root.GetProperty("value").GetDouble());
        Assert.Equal(0.05, root.GetProperty("threshold").GetDouble());
    }

    [Fact]
    public async Task EveryFigureTheWebhookGetsIsFiniteWhateverTheResponseTimesSent()
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        listener.Start();
        var body = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            using var reader = new StreamReader(context.Request.InputStream);
            var text = await reader.ReadToEndAsync();
            context.Response.Close();
            return text;
        });

        using var app = new CollectorApp(new()
        {
            ["Alerting:Rules:slow:Metric"] = "AverageResponseTime",
            ["Alerting:Rules:slow:Threshold"] = "1000",
            ["Alerting:Rules:slow:Scope"] = "Services",
            ["Alerting:Webhook:Url"] = $"http://127.0.0.1:{port}/hook/",
        });
        var request = new WriteRequest();
        request.Entries.AddRange(Enumerable.Range(0, 20).Select(_ => Entry(Level.Info, ms: 1e308)));
        request.Entries.AddRange(Enumerable.Range(0, 20).Select(_ => Entry(Level.Info, ms: 86_400_000)));
        await app.Client.WriteAsync(request);
        app.Alerts.Evaluate();

        using var json = JsonDocument.Parse(await body.WaitAsync(TimeSpan.FromSeconds(10)));
        var root = json.RootElement;
        Assert.Equal(("slow/api", "SERVICE", 86_400_000.0, 1000.0),
            (root.GetProperty("id").GetString(), root.GetProperty("scope").GetString(), root.GetProperty("value").GetDouble(),
                root.GetProperty("threshold").GetDouble()));
    }

    [Fact]
    public async Task ASinkThatHangsNeitherBlocksEvaluationNorTheOtherSinks()
    {
        var port = FreePort();
        using var silent = new TcpListener(IPAddress.Loopback, port);
        silent.Start(); // accepts connections, never answers

        using var app = new CollectorApp(new()
        {
            ["Alerting:Webhook:Url"] = $"http://127.0.0.1:{port}/",
            ["Alerting:Webhook:Timeout"] = "00:00:30",
        });
        var evaluation = Task.Run(() => FireAsync(app));
        await evaluation.WaitAsync(TimeSpan.FromSeconds(5));
        await app.Sink.WaitForAsync(2);
        Assert.Contains(app.Sink.Received, n => n.Alert.Id == "high-error-rate/api");
    }

    [Fact]
    public async Task TheEmailSinkSendsThroughSmtp()
    {
        var port = FreePort();
        using var smtp = new TcpListener(IPAddress.Loopback, port);
        smtp.Start();
        var message = Task.Run(() => ReceiveOneMailAsync(smtp));

        using var app = new CollectorApp(new()
        {
            ["Alerting:Rules:high-error-rate:Scope"] = "Services",
            ["Alerting:Email:Host"] = "127.0.0.1",
            ["Alerting:Email:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Alerting:Email:Security"] = "None",
            ["Alerting:Email:From"] = "alerts@example.test",
            ["Alerting:Email:To:0"] = "oncall@example.test",
        });
        await FireAsync(app);
        var (recipients, data) = await message.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains("RCPT TO:<oncall@example.test>", recipients);
        Assert.Contains("Subject: ALERT [CRITICAL]: High error rate", data);
        Assert.Contains("ALERT [CRITICAL]: High error rate for api: 50.0 %", data);
        Assert.Contains("rule:      high-error-rate", data);
    }

    // Just enough SMTP for one message from MailKit: greeting, EHLO, MAIL, RCPT, DATA, QUIT.
    private static async Task<(string Recipients, string Data)> ReceiveOneMailAsync(TcpListener listener)
    {
        using var client = await listener.AcceptTcpClientAsync();
        using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        var recipients = new StringBuilder();
        var data = new StringBuilder();
        await writer.WriteLineAsync("220 test ESMTP");
        while (await reader.ReadLineAsync() is { } line)
        {
            var verb = line.Split(' ', ':')[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO" or "HELO":
                    await writer.WriteLineAsync("250 test");
                    break;
                case "RCPT":
                    recipients.AppendLine(line);
                    await writer.WriteLineAsync("250 ok");
                    break;
                case "DATA":
                    await writer.WriteLineAsync("354 go ahead");
                    while (await reader.ReadLineAsync() is { } body && body != ".")
                    {
                        data.AppendLine(body);
                    }

                    await writer.WriteLineAsync("250 queued");
                    break;
                case "QUIT":
                    await writer.WriteLineAsync("221 bye");
                    return (recipients.ToString(), data.ToString());
                default:
                    await writer.WriteLineAsync("250 ok");
                    break;
            }
        }

        return (recipients.ToString(), data.ToString());
    }
}
