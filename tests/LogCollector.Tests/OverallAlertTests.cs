using Microservices.LogCollector.Alerting;
using Microservices.Logs.V1;
using static Microservices.LogCollector.Tests.CollectorApp;

namespace Microservices.LogCollector.Tests;

/// <summary>The overall alert: its own identity, and what evidence it needs (the shipped default rules).</summary>
public sealed class OverallAlertTests : IDisposable
{
    private readonly CollectorApp _app = new();

    public void Dispose() => _app.Dispose();

    private IReadOnlyList<Alert> Active() => _app.Alerts.List(includeResolved: false);

    private static LogEntry[] Many(int count, Level level, string service, string message = "ok") =>
        [.. Enumerable.Range(0, count).Select(_ => Entry(level, service, message: message))];

    [Fact]
    public async Task AServiceNamedOverallNeitherTakesNorResolvesTheOverallAlert()
    {
        await _app.WriteAsync(Many(30, Level.Info, "overall"));
        await _app.WriteAsync(Many(100, Level.Error, "payments", "card declined"));

        for (var round = 0; round < 5; round++)
        {
            _app.Alerts.Evaluate();
            _app.App.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var errors = Active().Where(a => a.Rule == "high-error-rate").ToList();
        Assert.Equal(["", "payments"], errors.Select(a => a.Service).Order());
        Assert.All(errors, a => Assert.Equal(AlertState.Firing, a.State));
        Assert.Equal(
            [("high-error-rate", AlertScope.Overall, ""), ("high-error-rate/payments", AlertScope.Service, "payments")],
            errors.Select(a => (a.Id, a.Scope, a.Service)).Order());
        await _app.Sink.WaitForAsync(2);
        await Task.Delay(100);
        Assert.Equal(
            [("", NotificationKind.Firing), ("payments", NotificationKind.Firing)],
            _app.Sink.Received.Where(n => n.Alert.Rule == "high-error-rate").Select(n => (n.Alert.Service, n.Kind)).Order());
    }

    [Fact]
    public async Task AQuietServicesFewErrorsDoNotPageThroughTheOtherServicesTraffic()
    {
        // The tour: the suite's own calls are in the window, then checkout's first errors arrive.
        await _app.WriteAsync([.. Many(8, Level.Info, "gateway"), .. Many(8, Level.Info, "ratelimiter"), .. Many(8, Level.Info, "cache-node-1")]);
        await _app.WriteAsync(Many(2, Level.Error, "checkout", "payment provider timeout"));
        _app.Alerts.Evaluate();
        Assert.Empty(Active());

        // Checkout reaches the minimum with half of its requests failing: it pages, and so does the overall figure.
        await _app.WriteAsync([.. Many(10, Level.Error, "checkout", "payment provider timeout"), .. Many(12, Level.Info, "checkout")]);
        _app.Alerts.Evaluate();
        Assert.Equal(["", "checkout"], Active().Where(a => a.Rule == "high-error-rate").Select(a => a.Service).Order());
    }

    [Fact]
    public async Task ManyQuietServicesFailingTogetherStillPageOverall()
    {
        await _app.WriteAsync([.. Enumerable.Range(0, 10).SelectMany(i => Many(5, Level.Error, $"svc-{i}", "db down"))]);
        _app.Alerts.Evaluate();
        var alert = Assert.Single(Active(), a => a.Rule == "high-error-rate");
        Assert.Equal(string.Empty, alert.Service);
    }
}
