using System.Diagnostics.Metrics;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microservices.LogCollector.Otlp;
using Microservices.Logs.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using OtlpLogRecord = OpenTelemetry.Proto.Logs.V1.LogRecord;

namespace Microservices.LogCollector.Tests;

/// <summary>OTLP/gRPC LogsService/Export on the collector, called with the OTLP protos themselves.</summary>
public sealed class OtlpIngestTests : IDisposable
{
    private const string TraceHex = "0af7651916cd43dd8448eb211c80319c";

    private readonly CollectorApp _app = new();

    private LogsService.LogsServiceClient Otlp => new(_app.App.Channel);

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task RecordsCountLikeEntriesAndRejectionsComeBackAsPartialSuccess()
    {
        var meters = _app.App.Services.GetRequiredService<IMeterFactory>();
        using var rejected = new MetricCollector<long>(meters, "Microservices.LogCollector", "logcollector.entries.rejected");
        using var accepted = new MetricCollector<long>(meters, "Microservices.LogCollector", "logcollector.entries.accepted");
        var orders = Resource("orders",
            Record(SeverityNumber.Info, "GET /orders", Number(12)),
            Record(SeverityNumber.Error, "database down", new AnyValue { DoubleValue = 250.5 }),
            Record(SeverityNumber.Unspecified, "no severity"),
            Record(SeverityNumber.Warn, "slow", new AnyValue { StringValue = "fast" }),
            Record(SeverityNumber.Unspecified, "from text", text: "Warning"),
            Record(SeverityNumber.Info, "short trace id", traceId: ByteString.CopyFrom(1, 2, 3, 4, 5, 6, 7, 8)),
            Record(SeverityNumber.Info, "two hours old", at: _app.App.Time.GetUtcNow().AddHours(-2)));
        var request = new ExportLogsServiceRequest { ResourceLogs = { orders, Resource(null, Record(SeverityNumber.Fatal, "no service")) } };

        var response = await Otlp.ExportAsync(request);

        Assert.Equal(4, response.PartialSuccess.RejectedLogRecords);
        var message = response.PartialSuccess.ErrorMessage;
        Assert.StartsWith("4 of 8 log records rejected; record 2: level must be", message);
        Assert.Contains("; record 3: response_time_ms must be from 0 to 86400000 ms (24 h), got NaN", message);
        Assert.Contains("; record 5: trace_id must be 32 hexadecimal characters", message);
        Assert.Contains("; record 6: timestamp is 7200 s old; the retention is 3600 s", message);
        Assert.Equal(["level", "response_time", "trace_id", "too_old"], rejected.GetMeasurementSnapshot().Select(m => (string?)m.Tags["reason"]));
        Assert.Equal(4, accepted.GetMeasurementSnapshot().Sum(m => m.Value));

        var stats = await _app.Client.GetWindowStatsAsync(new GetWindowStatsRequest { Window = Duration.FromTimeSpan(TimeSpan.FromHours(1)) });
        var service = Assert.Single(stats.Services, s => s.Service == "orders");
        Assert.Equal((3UL, 1UL, 2UL), (service.Total, service.Errors, service.ResponseTime.Count));
        Assert.Equal(131.25, service.ResponseTime.AverageMs, 6);
        Assert.Equal("database down", Assert.Single(service.TopErrors).Message);
        Assert.Equal((1UL, 1UL), (stats.Services.Single(s => s.Service == "unknown").Total, stats.Services.Single(s => s.Service == "unknown").Errors));
    }

    [Fact]
    public async Task AWhollyAcceptedExportHasNoPartialSuccess()
    {
        var response = await Otlp.ExportAsync(Request(Resource("orders", Record(SeverityNumber.Info, "ok", Number(3)))));

        Assert.Null(response.PartialSuccess);
    }

    [Fact]
    public async Task ALongBodyIsAcceptedAndReportedAsAWarning()
    {
        var response = await Otlp.ExportAsync(Request(Resource("orders", Record(SeverityNumber.Error, new string('x', 5000)))));

        Assert.Equal(0, response.PartialSuccess.RejectedLogRecords);
        Assert.Equal("1 accepted records have a body over 4096 bytes (UTF-8), counted as truncated", response.PartialSuccess.ErrorMessage);
    }

    [Fact]
    public async Task AnExportOverTheBatchLimitIsRefusedWholeAndNothingIsApplied()
    {
        var first = Resource("orders", [.. Enumerable.Range(0, 600).Select(_ => Record(SeverityNumber.Info, "ok"))]);
        var second = Resource("billing", [.. Enumerable.Range(0, 401).Select(_ => Record(SeverityNumber.Info, "ok"))]);

        var error = await Assert.ThrowsAsync<RpcException>(() => Otlp.ExportAsync(Request(first, second)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("log_records must hold at most 1000 items, got 1001", error.Status.Detail);
        Assert.Equal(0UL, (await _app.Client.GetErrorRateAsync(new GetErrorRateRequest())).Total);
    }

    [Theory]
    [InlineData(1, "", Level.Debug)]
    [InlineData(8, "", Level.Debug)]
    [InlineData(9, "", Level.Info)]
    [InlineData(12, "", Level.Info)]
    [InlineData(13, "", Level.Warn)]
    [InlineData(17, "", Level.Error)]
    [InlineData(20, "", Level.Error)]
    [InlineData(24, "", Level.Fatal)]
    [InlineData(25, "Error", Level.Unspecified)]
    [InlineData(0, "critical", Level.Fatal)]
    [InlineData(0, "Information", Level.Info)]
    [InlineData(0, "notice", Level.Unspecified)]
    public void SeverityMapsByTheOtlpRangesOrElseByItsText(int number, string text, Level level) =>
        Assert.Equal(level, OtlpLogMapper.LevelOf(number, text));

    [Fact]
    public void TheTraceIdAndTheFirstTimeAreKept()
    {
        var record = Record(SeverityNumber.Info, "ok", traceId: ByteString.CopyFrom(Convert.FromHexString(TraceHex)));
        record.TimeUnixNano = 0;
        record.ObservedTimeUnixNano = 1_764_331_200_123_456_789;

        var entry = Assert.Single(OtlpLogMapper.ToEntries(Request(Resource("orders", record))));

        Assert.Equal(TraceHex, entry.TraceId);
        Assert.Equal(new Timestamp { Seconds = 1_764_331_200, Nanos = 123_456_789 }, entry.Timestamp);
    }

    internal static ExportLogsServiceRequest Request(params ResourceLogs[] resources) => new() { ResourceLogs = { resources } };

    internal static ResourceLogs Resource(string? service, params OtlpLogRecord[] records)
    {
        var resource = new Resource();
        if (service is not null)
        {
            resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } });
        }

        return new ResourceLogs { Resource = resource, ScopeLogs = { new ScopeLogs { LogRecords = { records } } } };
    }

    private static AnyValue Number(long value) => new() { IntValue = value };

    private OtlpLogRecord Record(
        SeverityNumber severity, string body, AnyValue? responseTime = null, string text = "", ByteString? traceId = null,
        DateTimeOffset? at = null)
    {
        var record = new OtlpLogRecord
        {
            TimeUnixNano = (ulong)(at ?? _app.App.Time.GetUtcNow()).ToUnixTimeMilliseconds() * 1_000_000,
            SeverityNumber = severity,
            SeverityText = text,
            Body = new AnyValue { StringValue = body },
            TraceId = traceId ?? ByteString.Empty,
        };
        if (responseTime is not null)
        {
            record.Attributes.Add(new KeyValue { Key = "response_time_ms", Value = responseTime });
        }

        return record;
    }
}
