using Microservices.TestSupport;
using Microservices.LogCollector.Alerting;
using Microservices.Logs.V1;
using static Microservices.LogCollector.Tests.CollectorApp;

namespace Microservices.LogCollector.Tests;

public sealed class AlertTests : IDisposable
{
    private readonly CollectorApp _app = new(new()
    {
        ["Alerting:RepeatInterval"] = "00:10:00",
        ["Alerting:Rules:pending-errors:Metric"] = "ErrorRate",
        ["Alerting:Rules:pending-errors:Threshold"] = "0.5",
        ["Alerting:Rules:pending-errors:For"] = "00:00:30",
        ["Alerting:Rules:pending-errors:Scope"] = "Services",
        ["Alerting:Rules:high-error-rate:Metric"] = "ErrorRate",
        ["Alerting:Rules:high-error-rate:Threshold"] = "0.05",
        ["Alerting:Rules:high-error-rate:Severity"] = "Critical",
        ["Alerting:Rules:high-error-rate:Scope"] = "Services",
        ["Alerting:Rules:slow-responses:Metric"] = "AverageResponseTime",
        ["Alerting:Rules:slow-responses:Threshold"] = "1000",
        ["Alerting:Rules:slow-responses:Scope"] = "Overall",
    });

    public void Dispose() => _app.Dispose();

    private Task WriteMixAsync(int total, int errors, string service = "api", double ms = 10) =>
        _app.WriteAsync([.. Enumerable.Range(0, total).Select(i => Entry(i < errors ? Level.Error : Level.Info, service, ms, i < errors ? "db timeout" : "ok"))]);

    private IReadOnlyList<Alert> Active() => _app.Alerts.List(includeResolved: false);

    [Fact]
    public async Task TheSeedsErrorRateAlertFiresOnceAndResolvesOnce()
    {
        await WriteMixAsync(100, 10);
        _app.Alerts.Evaluate();
        _app.Alerts.Evaluate();

        var alert = Assert.Single(Active(), a => a.Rule == "high-error-rate");
        Assert.Equal((AlertState.Firing, Severity.Critical, "api", 0.1, 0.05), (alert.State, alert.Severity, alert.Service, alert.Value, alert.Threshold));
        Assert.Equal("high-error-rate/api", alert.Id);
        await _app.Sink.WaitForAsync(1);
        var firing = Assert.Single(_app.Sink.Received);
        Assert.Equal("ALERT [CRITICAL]: High error rate for api: 10.0 % > 5.0 % over 60 s (10 of 100 entries)", firing.Text);

        // The errors leave the window: one resolved notification, and the alert stays listed as resolved.
        _app.App.Time.Advance(TimeSpan.FromSeconds(60));
        _app.Alerts.Evaluate();
        _app.Alerts.Evaluate();
        await _app.Sink.WaitForAsync(2);
        Assert.Equal([NotificationKind.Firing, NotificationKind.Resolved], _app.Sink.Received.Select(n => n.Kind));
        Assert.StartsWith("RESOLVED [CRITICAL]: High error rate for api", _app.Sink.Received[1].Text);
        Assert.DoesNotContain(Active(), a => a.Rule == "high-error-rate");
        var resolved = Assert.Single(_app.Alerts.List(includeResolved: true), a => a.Rule == "high-error-rate");
        Assert.Equal(AlertState.Resolved, resolved.State);
        Assert.NotNull(resolved.ResolvedAt);
    }

    [Fact]
    public async Task TooFewSamplesCannotPageAnyone()
    {
        await WriteMixAsync(3, 3);
        _app.Alerts.Evaluate();
        Assert.Empty(Active());

        await WriteMixAsync(17, 0);
        _app.Alerts.Evaluate();
        Assert.Contains(Active(), a => a.Rule == "high-error-rate" && a.State == AlertState.Firing);
    }

    [Fact]
    public async Task AnAlertIsPendingForItsForDurationThenFires()
    {
        await WriteMixAsync(40, 30, "billing");
        _app.Alerts.Evaluate();
        Assert.Equal(AlertState.Pending, Assert.Single(Active(), a => a.Rule == "pending-errors").State);

        _app.App.Time.Advance(TimeSpan.FromSeconds(29));
        _app.Alerts.Evaluate();
        Assert.Equal(AlertState.Pending, Assert.Single(Active(), a => a.Rule == "pending-errors").State);

        _app.App.Time.Advance(TimeSpan.FromSeconds(1));
        _app.Alerts.Evaluate();
        Assert.Equal(AlertState.Firing, Assert.Single(Active(), a => a.Rule == "pending-errors").State);
    }

    [Fact]
    public async Task APendingAlertThatClearsIsNeverNotified()
    {
        await WriteMixAsync(40, 30, "billing");
        _app.Alerts.Evaluate();
        await _app.Sink.WaitForAsync(1); // high-error-rate fires at once
        _app.App.Time.Advance(TimeSpan.FromSeconds(61));
        _app.Alerts.Evaluate();
        await _app.Sink.WaitForAsync(2);
        await Task.Delay(100);
        Assert.DoesNotContain(_app.Sink.Received, n => n.Alert.Rule == "pending-errors");
    }

    [Fact]
    public async Task AFiringAlertIsRepeatedAfterTheRepeatInterval()
    {
        for (var minute = 0; minute <= 10; minute++)
        {
            await WriteMixAsync(100, 50);
            _app.Alerts.Evaluate();
            _app.App.Time.Advance(TimeSpan.FromSeconds(60));
        }

        await _app.Sink.WaitForAsync(2);
        var errors = _app.Sink.Received.Where(n => n.Alert.Rule == "high-error-rate").Select(n => n.Kind).ToArray();
        Assert.Equal([NotificationKind.Firing, NotificationKind.Repeat], errors);
        Assert.EndsWith("(still firing)", _app.Sink.Received.Last(n => n.Alert.Rule == "high-error-rate").Text);
    }

    [Fact]
    public async Task SlowResponsesFireOnTheOverallAverage()
    {
        await _app.WriteAsync([.. Enumerable.Range(0, 20).Select(i => Entry(Level.Info, $"svc-{i % 4}", ms: 1500))]);
        _app.Alerts.Evaluate();

        var alert = Assert.Single(Active());
        Assert.Equal(("slow-responses", string.Empty, 1500.0), (alert.Rule, alert.Service, alert.Value));
        Assert.Equal("Slow responses for all services: average 1500 ms > 1000 ms over 60 s (20 requests)", alert.Message);
    }

    [Fact]
    public async Task WatchAlertsStreamsTheActiveAlertsThenChanges()
    {
        await WriteMixAsync(100, 10, "api");
        _app.Alerts.Evaluate();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var call = _app.Client.WatchAlerts(new WatchAlertsRequest { Service = "web" }, cancellationToken: timeout.Token);

        await WriteMixAsync(100, 60, "web");
        _app.Alerts.Evaluate();

        Assert.True(await call.ResponseStream.MoveNext(timeout.Token));
        var first = call.ResponseStream.Current.Alert;
        Assert.Equal("web", first.Service);
        var rules = new HashSet<(string, AlertState)> { (first.Rule, first.State) };
        Assert.True(await call.ResponseStream.MoveNext(timeout.Token));
        rules.Add((call.ResponseStream.Current.Alert.Rule, call.ResponseStream.Current.Alert.State));
        Assert.Equal([("high-error-rate", AlertState.Firing), ("pending-errors", AlertState.Pending)], rules.Order());

        var listed = await _app.Client.ListAlertsAsync(new ListAlertsRequest());
        Assert.Equal(3, listed.Alerts.Count);

        // The window empties: the watcher sees both of web's alerts resolve.
        _app.App.Time.Advance(TimeSpan.FromSeconds(60));
        _app.Alerts.Evaluate();
        var resolved = new HashSet<string>();
        for (var i = 0; i < 2; i++)
        {
            Assert.True(await call.ResponseStream.MoveNext(timeout.Token));
            Assert.Equal(AlertState.Resolved, call.ResponseStream.Current.Alert.State);
            resolved.Add(call.ResponseStream.Current.Alert.Rule);
        }

        Assert.Equal(["high-error-rate", "pending-errors"], resolved.Order());
    }

    [Fact]
    public async Task ListAlertsOverGrpcShowsResolvedOnlyWhenAsked()
    {
        await WriteMixAsync(100, 10);
        _app.Alerts.Evaluate();
        _app.App.Time.Advance(TimeSpan.FromSeconds(60));
        _app.Alerts.Evaluate();

        Assert.Empty((await _app.Client.ListAlertsAsync(new ListAlertsRequest())).Alerts);
        var all = await _app.Client.ListAlertsAsync(new ListAlertsRequest { IncludeResolved = true });
        Assert.Equal(AlertState.Resolved, Assert.Single(all.Alerts).State);
    }

    public static TheoryData<string, string, string> BadNumbers => new()
    {
        { "Alerting:Rules:bad:Threshold", "NaN", "Alerting:Rules:bad:Threshold must be from 0 to less than 1 (an error rate), got NaN" },
        { "Alerting:Rules:bad:Threshold", "Infinity", "got Infinity" },
        { "Alerting:Rules:bad:Threshold", "1.5", "got 1.5" },
        { "Alerting:Rules:bad:Threshold", "-0.1", "got -0.1" },
        { "Alerting:Rules:bad/x:Threshold", "0.1", "Alerting:Rules:bad/x: a rule name must not contain '/'" },
        { "Alerting:EvaluationInterval", "60.00:00:00", "Alerting:EvaluationInterval must be from 100 ms to 24 h" },
        { "Alerting:Webhook:Timeout", "00:00:00", "Alerting:Webhook:Timeout must be from 10 ms to 24 h" },
        { "Alerting:Email:InitialBackoff", "-00:00:01", "Alerting:Email:InitialBackoff must be from 0 to 24 h" },
        { "Alerting:Email:Port", "70000", "Alerting:Email:Port must be from 1 to 65535" },
        { "LogCollector:MaxFutureSkew", "10.00:00:00", "LogCollector:MaxFutureSkew must be from 0 to 1 h" },
        { "LogCollector:MaxBytes", "1000", "LogCollector:MaxBytes must be at least 65536 (64 KiB), got 1000" },
    };

    [Theory]
    [MemberData(nameof(BadNumbers))]
    public void ANumberNoTimerOrRuleCanUseStopsTheServiceAtStart(string setting, string value, string message)
    {
        var error = Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(StartupFailure.Of(() => new CollectorApp(new() { [setting] = value }).Dispose()));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void ASlowRulesThresholdIsInMillisecondsUpToADay()
    {
        var error = Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(StartupFailure.Of(() => new CollectorApp(new()
        {
            ["Alerting:Rules:slow:Metric"] = "P99ResponseTime",
            ["Alerting:Rules:slow:Threshold"] = "1e9",
        }).Dispose()));
        Assert.Contains("Alerting:Rules:slow:Threshold must be from 0 to less than 86400000 (ms), got 1000000000", error.Message);
    }

    [Fact]
    public void InvalidRulesStopTheServiceAtStart()
    {
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            new CollectorApp(new() { ["Alerting:Rules:bad:Window"] = "02:00:00", ["Alerting:Rules:bad:MinSamples"] = "0" }).Dispose());
        Assert.Contains("Alerting:Rules:bad:Window must be from 1 s to the retention", error.Message);
        Assert.Contains("MinSamples at least 1", error.Message);
    }
}
