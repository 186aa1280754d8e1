using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microservices.Logs.V1;
using static Microservices.LogCollector.Tests.CollectorApp;

namespace Microservices.LogCollector.Tests;

public sealed class IngestTests : IDisposable
{
    private readonly CollectorApp _app = new();

    public void Dispose() => _app.Dispose();

    private Timestamp Ago(double seconds) => Timestamp.FromDateTimeOffset(_app.App.Time.GetUtcNow().AddSeconds(-seconds));

    [Fact]
    public async Task EachEntryIsCheckedAloneAndEveryOneIsAccountedFor()
    {
        var request = new WriteRequest();
        request.Entries.Add(Entry(Level.Info));
        request.Entries.Add(new LogEntry { Level = Level.Unspecified, Service = "api" });
        request.Entries.Add(Entry(Level.Error, ms: -1));
        request.Entries.Add(Entry(Level.Error, ms: double.NaN));
        request.Entries.Add(new LogEntry { Level = Level.Warn, Timestamp = Ago(-61) });
        request.Entries.Add(new LogEntry { Level = Level.Warn, Timestamp = Ago(3600) });
        request.Entries.Add(new LogEntry { Level = Level.Warn, TraceId = "not-a-trace" });
        request.Entries.Add(new LogEntry { Level = Level.Error, Message = new string('x', 5000) });
        request.Entries.Add(new LogEntry { Level = Level.Debug, Timestamp = Ago(-59) });
        request.Entries.Add(new LogEntry { Level = Level.Fatal, Timestamp = Ago(3599), TraceId = "0af7651916cd43dd8448eb211c80319c" });

        var summary = (await _app.Client.WriteAsync(request)).Summary;

        Assert.Equal(4UL, summary.Accepted);
        Assert.Equal(6UL, summary.Rejected);
        Assert.Equal(1UL, summary.Truncated);
        Assert.Equal([1u, 2u, 3u, 4u, 5u, 6u], summary.Rejections.Select(r => r.Index));
        Assert.Contains("level must be LEVEL_DEBUG (1) to LEVEL_FATAL (5), got 0", summary.Rejections[0].Reason);
        Assert.Contains("response_time_ms must be from 0 to 86400000 ms (24 h), got -1", summary.Rejections[1].Reason);
        Assert.Contains("response_time_ms", summary.Rejections[2].Reason);
        Assert.Contains("61 s in the future; at most 60 s allowed", summary.Rejections[3].Reason);
        Assert.Contains("the retention is 3600 s", summary.Rejections[4].Reason);
        Assert.Contains("trace_id must be 32 hexadecimal characters", summary.Rejections[5].Reason);

        // Entries without a service count as "unknown"; the one 59 s ahead counts when its second comes.
        var stats = await _app.Client.GetWindowStatsAsync(new GetWindowStatsRequest { Window = Duration.FromTimeSpan(TimeSpan.FromHours(1)) });
        Assert.Equal(["api", "unknown"], stats.Services.Select(s => s.Service));
        Assert.Equal(3UL, stats.Overall.Total);
        Assert.Equal(2UL, stats.Overall.Errors);
        Assert.Contains(stats.Overall.TopErrors, e => e.Message.Length == 256 && e.Message.All(c => c == 'x'));
    }

    [Fact]
    public async Task AnOversizedBatchIsRefusedWholeAndNothingIsApplied()
    {
        var request = new WriteRequest();
        request.Entries.AddRange(Enumerable.Range(0, 1001).Select(_ => Entry(Level.Info)));

        var error = await Assert.ThrowsAsync<RpcException>(() => _app.Client.WriteAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("entries must hold at most 1000 items, got 1001", error.Status.Detail);
        Assert.Equal(0UL, (await _app.Client.GetErrorRateAsync(new GetErrorRateRequest())).Total);
    }

    [Fact]
    public async Task IngestStreamsBatchesAndSummarisesTheWholeStream()
    {
        using var call = _app.Client.Ingest();
        for (var batch = 0; batch < 3; batch++)
        {
            var request = new IngestRequest();
            request.Entries.AddRange(Enumerable.Range(0, 100).Select(i => Entry(i % 10 == 0 ? Level.Error : Level.Info)));
            request.Entries.Add(new LogEntry());
            await call.RequestStream.WriteAsync(request);
        }

        await call.RequestStream.CompleteAsync();
        var summary = (await call).Summary;

        Assert.Equal((300UL, 3UL), (summary.Accepted, summary.Rejected));
        Assert.Equal([100u, 201u, 302u], summary.Rejections.Select(r => r.Index));
        var rate = await _app.Client.GetErrorRateAsync(new GetErrorRateRequest { Service = "api" });
        Assert.Equal((30UL, 300UL, 0.1), (rate.Errors, rate.Total, rate.Rate));
    }

    [Fact]
    public async Task ABadBatchInAStreamFailsTheCallAndSaysWhatWasApplied()
    {
        using var call = _app.Client.Ingest();
        var good = new IngestRequest();
        good.Entries.Add(Entry(Level.Info));
        await call.RequestStream.WriteAsync(good);
        var bad = new IngestRequest();
        bad.Entries.AddRange(Enumerable.Range(0, 1001).Select(_ => Entry(Level.Info)));
        await call.RequestStream.WriteAsync(bad);

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("batch 1: entries must hold at most 1000 items", error.Status.Detail);
        Assert.Contains("accepted 1, rejected 0", error.Status.Detail);
        Assert.Equal(1UL, (await _app.Client.GetErrorRateAsync(new GetErrorRateRequest())).Total);
    }

    [Fact]
    public async Task QueriesCoverTheAskedWindowOnly()
    {
        var old = Entry(Level.Error, ms: 900);
        old.Timestamp = Ago(30);
        await _app.WriteAsync(old, Entry(Level.Info, ms: 100), Entry(Level.Error, ms: 300, message: "db timeout"));

        var last10 = await _app.Client.GetErrorRateAsync(new GetErrorRateRequest { Window = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)) });
        Assert.Equal((1UL, 2UL, 0.5), (last10.Errors, last10.Total, last10.Rate));
        Assert.Equal(10, last10.Window.Seconds);

        var minute = await _app.Client.GetAverageResponseTimeAsync(new GetAverageResponseTimeRequest());
        Assert.Equal(60, minute.Window.Seconds);
        Assert.Equal((3UL, 433.333), (minute.Stats.Count, Math.Round(minute.Stats.AverageMs, 3)));
        Assert.InRange(minute.Stats.P50Ms, 297, 303);
        Assert.InRange(minute.Stats.P99Ms, 891, 909);

        var top = await _app.Client.GetTopErrorsAsync(new GetTopErrorsRequest { Limit = 1, Window = Duration.FromTimeSpan(TimeSpan.FromSeconds(5)) });
        Assert.Equal("db timeout", Assert.Single(top.Errors).Message);
        Assert.False(top.Approximate);

        // The window slides: a minute later nothing is left in it.
        _app.App.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(0UL, (await _app.Client.GetErrorRateAsync(new GetErrorRateRequest())).Total);
    }

    public static TheoryData<Duration, string> BadWindows => new()
    {
        { Duration.FromTimeSpan(TimeSpan.FromHours(2)), "window must be from 1 s to the retention (3600 s), got 7200 s" },
        { Duration.FromTimeSpan(TimeSpan.FromMilliseconds(500)), "got 0.5 s" },
        { new Duration { Seconds = -5 }, "got -5 s" },
        { new Duration { Seconds = 5, Nanos = -1 }, "window must be a normalized duration (seconds within +-315576000000, nanos within +-999999999 and of the same sign as seconds), got seconds 5, nanos -1" },
    };

    [Theory]
    [MemberData(nameof(BadWindows))]
    public async Task AWindowOutsideTheRetentionIsInvalid(Duration window, string message)
    {
        var error = await Assert.ThrowsAsync<RpcException>(
            () => _app.Client.GetErrorRateAsync(new GetErrorRateRequest { Window = window }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(message, error.Status.Detail);
    }

    [Fact]
    public async Task TopErrorsLimitIsChecked()
    {
        var error = await Assert.ThrowsAsync<RpcException>(
            () => _app.Client.GetTopErrorsAsync(new GetTopErrorsRequest { Limit = 101 }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("limit must be at most 100, got 101", error.Status.Detail);
    }
}
