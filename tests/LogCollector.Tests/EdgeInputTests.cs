using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microservices.Logs.V1;
using static Microservices.LogCollector.Tests.CollectorApp;

namespace Microservices.LogCollector.Tests;

/// <summary>Numbers, times and texts at the edges of what a client may send.</summary>
public sealed class EdgeInputTests : IDisposable
{
    private readonly CollectorApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task ResponseTimesAboveADayAreRejectedAndEveryFigureStaysFinite()
    {
        var request = new WriteRequest();
        request.Entries.Add(Entry(Level.Info, ms: 1e308));
        request.Entries.Add(Entry(Level.Info, ms: 1e10));
        request.Entries.Add(Entry(Level.Info, ms: 86_400_000.001));
        request.Entries.Add(Entry(Level.Info, ms: double.PositiveInfinity));
        request.Entries.AddRange(Enumerable.Range(0, 20).Select(_ => Entry(Level.Info, ms: 86_400_000)));

        var summary = (await _app.Client.WriteAsync(request)).Summary;

        Assert.Equal((20UL, 4UL), (summary.Accepted, summary.Rejected));
        Assert.Equal([0u, 1u, 2u, 3u], summary.Rejections.Select(r => r.Index));
        Assert.All(summary.Rejections, r => Assert.Contains("response_time_ms must be from 0 to 86400000 ms (24 h)", r.Reason));
        Assert.Contains("got 1E+308", summary.Rejections[0].Reason);
        foreach (var service in new[] { "api", string.Empty })
        {
            var stats = (await _app.Client.GetAverageResponseTimeAsync(new GetAverageResponseTimeRequest { Service = service })).Stats;
            Assert.Equal(20UL, stats.Count);
            Assert.Equal(86_400_000, stats.AverageMs);
            foreach (var percentile in new[] { stats.P50Ms, stats.P95Ms, stats.P99Ms })
            {
                Assert.InRange(percentile, 86_400_000 * (1 - (1 / 128.0)), 86_400_000 * (1 + (1 / 128.0)));
            }
        }
    }

    public static TheoryData<Duration, string> UnusableWindows => new()
    {
        { new Duration { Seconds = 1, Nanos = -1 }, "window must be a normalized duration (seconds within +-315576000000, nanos within +-999999999 and of the same sign as seconds), got seconds 1, nanos -1" },
        { new Duration { Seconds = -1, Nanos = 1 }, "window must be a normalized duration (seconds within +-315576000000, nanos within +-999999999 and of the same sign as seconds), got seconds -1, nanos 1" },
        { new Duration { Seconds = 5, Nanos = 1_000_000_000 }, "window must be a normalized duration (seconds within +-315576000000, nanos within +-999999999 and of the same sign as seconds), got seconds 5, nanos 1000000000" },
        { new Duration { Seconds = 315_576_000_001 }, "window must be a normalized duration (seconds within +-315576000000, nanos within +-999999999 and of the same sign as seconds), got seconds 315576000001, nanos 0" },
        { new Duration { Seconds = -315_576_000_001 }, "window must be a normalized duration" },
        { new Duration { Seconds = 315_576_000_000 }, "window must be from 1 s to the retention (3600 s)" },
        { new Duration { Nanos = 999_999_999 }, "window must be from 1 s to the retention (3600 s), got 0.999999999 s" },
    };

    [Theory]
    [MemberData(nameof(UnusableWindows))]
    public async Task EveryQueryRefusesAWindowItCannotUseNamingTheField(Duration window, string message)
    {
        var calls = new Func<Task>[]
        {
            () => _app.Client.GetErrorRateAsync(new GetErrorRateRequest { Window = window }).ResponseAsync,
            () => _app.Client.GetAverageResponseTimeAsync(new GetAverageResponseTimeRequest { Window = window }).ResponseAsync,
            () => _app.Client.GetTopErrorsAsync(new GetTopErrorsRequest { Window = window }).ResponseAsync,
            () => _app.Client.GetWindowStatsAsync(new GetWindowStatsRequest { Window = window }).ResponseAsync,
        };
        foreach (var call in calls)
        {
            var error = await Assert.ThrowsAsync<RpcException>(call);
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.Contains(message, error.Status.Detail);
        }
    }

    public static TheoryData<long, int> UnconvertibleTimestamps => new()
    {
        { 253_402_300_800, 0 },
        { -62_135_596_801, 0 },
        { long.MaxValue, 0 },
        { 1_800_000_000, -1 },
        { 1_800_000_000, 1_000_000_000 },
    };

    [Theory]
    [MemberData(nameof(UnconvertibleTimestamps))]
    public async Task AnEntryWithATimestampThatIsNotAValidTimeIsRejectedAloneNamingTheField(long seconds, int nanos)
    {
        var request = new WriteRequest();
        request.Entries.Add(Entry(Level.Info));
        request.Entries.Add(new LogEntry { Level = Level.Info, Timestamp = new Timestamp { Seconds = seconds, Nanos = nanos } });
        var ingest = new IngestRequest();
        ingest.Entries.Add(request.Entries);

        var written = (await _app.Client.WriteAsync(request)).Summary;
        using var call = _app.Client.Ingest();
        await call.RequestStream.WriteAsync(ingest);
        await call.RequestStream.CompleteAsync();
        var streamed = (await call).Summary;

        foreach (var summary in new[] { written, streamed })
        {
            Assert.Equal((1UL, 1UL), (summary.Accepted, summary.Rejected));
            var rejection = Assert.Single(summary.Rejections);
            Assert.Equal(1u, rejection.Index);
            Assert.Equal(string.Create(CultureInfo.InvariantCulture,
                $"timestamp must be a timestamp from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z (seconds -62135596800 to 253402300799, nanos 0 to 999999999), got seconds {seconds}, nanos {nanos}"),
                rejection.Reason);
        }
    }
}
