using Google.Protobuf.WellKnownTypes;
using Microservices.Logs.V1;

namespace Microservices.LogCollector.Tests;

/// <summary>
/// The seed's test_log_processing: a 10 s window, 100 entries spread over 15 s, every figure checked against a
/// brute-force computation over the same entries.
/// </summary>
public sealed class SeedScenarioTests : IDisposable
{
    private readonly CollectorApp _app = new(new() { ["LogCollector:WindowSize"] = "00:00:10" });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task WindowFiguresMatchABruteForceReference()
    {
        var now = _app.App.Time.GetUtcNow();
        var random = new Random(2026);
        string[] services = ["api", "auth", "billing"];
        string[] errors = ["db timeout", "db timeout", "db timeout", "null reference", "null reference", "upstream 502"];
        var entries = Enumerable.Range(0, 100).Select(i =>
        {
            var isError = random.NextDouble() < 0.3;
            return new LogEntry
            {
                // Spread over the last 15 s: about a third fall outside the 10 s window.
                Timestamp = Timestamp.FromDateTimeOffset(now.AddMilliseconds(-random.Next(15_000))),
                Level = isError ? (random.Next(4) == 0 ? Level.Fatal : Level.Error) : (random.Next(2) == 0 ? Level.Info : Level.Warn),
                Service = services[random.Next(services.Length)],
                Message = isError ? errors[random.Next(errors.Length)] : "handled",
                ResponseTimeMs = Math.Round(5 + (random.NextDouble() * 1500), 1),
            };
        }).ToList();
        await _app.WriteAsync([.. entries]);

        var firstSecond = now.ToUnixTimeSeconds() - 9;
        var inWindow = entries.Where(e => e.Timestamp.ToDateTimeOffset().ToUnixTimeSeconds() >= firstSecond).ToList();
        Assert.InRange(inWindow.Count, 50, 80);

        foreach (var service in services.Append(string.Empty))
        {
            var expected = inWindow.Where(e => service.Length == 0 || e.Service == service).ToList();
            var expectedErrors = expected.Where(e => e.Level >= Level.Error).ToList();

            var rate = await _app.Client.GetErrorRateAsync(new GetErrorRateRequest { Service = service });
            Assert.Equal(((ulong)expected.Count, (ulong)expectedErrors.Count), (rate.Total, rate.Errors));
            Assert.Equal((double)expectedErrors.Count / expected.Count, rate.Rate, 12);
            Assert.Equal(10, rate.Window.Seconds);

            var times = (await _app.Client.GetAverageResponseTimeAsync(new GetAverageResponseTimeRequest { Service = service })).Stats;
            Assert.Equal(expected.Average(e => e.ResponseTimeMs), times.AverageMs, 9);
            var sorted = expected.Select(e => e.ResponseTimeMs).Order().ToArray();
            foreach (var (q, actual) in new[] { (0.5, times.P50Ms), (0.95, times.P95Ms), (0.99, times.P99Ms) })
            {
                var exact = sorted[(int)Math.Ceiling(q * sorted.Length) - 1];
                Assert.InRange(actual, exact * 0.99, exact * 1.01);
            }

            var top = await _app.Client.GetTopErrorsAsync(new GetTopErrorsRequest { Service = service, Limit = 10 });
            var reference = expectedErrors.GroupBy(e => e.Message)
                .Select(g => (g.Key, (ulong)g.Count()))
                .OrderByDescending(p => p.Item2).ThenBy(p => p.Key, StringComparer.Ordinal);
            Assert.Equal(reference, top.Errors.Select(e => (e.Message, e.Count)));
            Assert.False(top.Approximate);
        }
    }
}
