using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microservices.Logs.V1;
using Microservices.RateLimit.V1;
using Microservices.ServiceDefaults.LogShipping;
using Microservices.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;

namespace Microservices.LogCollector.Tests;

/// <summary>
/// Log export to the collector with the real OpenTelemetry .NET OTLP exporter: as any application would send it, and as
/// our services send it (ServiceDefaults: the request log interceptor and the collector's exporter).
/// </summary>
public sealed partial class LogShippingTests : IDisposable
{
    private const string ClusterKey = "cluster-key-for-tests";
    private const string ApplicationKey = "an-application-key";
    private const string AcquirePath = "/microservices.ratelimit.v1.RateLimiter/Acquire";

    // Real timestamps from the exporters: the collector's clock stands a little ahead, so every record is in its past.
    private readonly GrpcServiceApp<Program> _collector = new(new()
    {
        ["ClusterAuth:Key"] = ClusterKey,
        ["ClusterAuth:ApplicationKeys:0"] = ApplicationKey,
        ["Alerting:EvaluationInterval"] = "1.00:00:00",
    }, DateTimeOffset.UtcNow.AddSeconds(30));

    public void Dispose() => _collector.Dispose();

    [Theory]
    [InlineData(StatusCode.OK, LogLevel.Information)]
    [InlineData(StatusCode.InvalidArgument, LogLevel.Warning)]
    [InlineData(StatusCode.Unauthenticated, LogLevel.Warning)]
    [InlineData(StatusCode.ResourceExhausted, LogLevel.Warning)]
    [InlineData(StatusCode.NotFound, LogLevel.Warning)]
    [InlineData(StatusCode.Unavailable, LogLevel.Error)]
    [InlineData(StatusCode.DeadlineExceeded, LogLevel.Error)]
    [InlineData(StatusCode.Internal, LogLevel.Error)]
    [InlineData(StatusCode.Unknown, LogLevel.Error)]
    public void CallStatusesMapToLevels(StatusCode status, LogLevel level) =>
        Assert.Equal(level, LogShippingInterceptor.LevelOf(status));

    [Fact]
    public async Task ARequestLogIsCutBetweenCharactersToTheCollectorsLimitsOfTextAndTime()
    {
        using var logs = new FakeLoggerProvider();
        using var loggers = new LoggerFactory([logs]);
        var time = new FakeTimeProvider();
        var interceptor = new LogShippingInterceptor(loggers, time);
        var detail = string.Concat(Enumerable.Repeat("😀", 3000));

        await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "request", new FakeCallContext("/orders.v1.Orders/Place"), (_, _) =>
            {
                time.Advance(TimeSpan.FromHours(25)); // a stream, say, left open for a day
                throw new RpcException(new Status(StatusCode.InvalidArgument, detail));
            }));

        var record = logs.Collector.LatestRecord;
        Assert.Equal((LogShippingInterceptor.Category, LogLevel.Warning), (record.Category, record.Level));
        Assert.StartsWith("/orders.v1.Orders/Place InvalidArgument: 😀", record.Message);
        Assert.EndsWith("😀", record.Message);
        Assert.InRange(Encoding.UTF8.GetByteCount(record.Message), LogEntryLimits.MaxMessageBytes - 3, LogEntryLimits.MaxMessageBytes);
        Assert.Equal("86400000", record.GetStructuredStateValue(LogRecordAttributes.ResponseTimeMs));
    }

    [Fact]
    public async Task AnApplicationExportingWithTheStandardOtlpExporterIsCountedAndItsRejectsAccountedFor()
    {
        using var rejected = new MetricCollector<long>(
            _collector.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "Microservices.LogCollector", "logcollector.entries.rejected");
        using (var loggers = LoggerFactory.Create(logging => logging.AddOpenTelemetry(otel =>
        {
            otel.IncludeScopes = true;
            otel.IncludeFormattedMessage = true;
            otel.SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("checkout"));
            otel.AddOtlpExporter(otlp =>
            {
                otlp.Endpoint = _collector.Server.BaseAddress;
                otlp.Protocol = OtlpExportProtocol.Grpc;
                otlp.Headers = $"x-api-key={ApplicationKey}";
                otlp.HttpClientFactory = () => new HttpClient(_collector.Server.CreateHandler());
            });
        })))
        {
            var logger = loggers.CreateLogger("Checkout");
            LogTimed(logger, LogLevel.Information, "GET /cart", 12.5);
            LogTimed(logger, LogLevel.Error, "payment declined", 250);
            LogTimed(logger, LogLevel.Warning, "clock went backwards", -1);
        }

        // Disposing the logger factory flushed the exporter's batch.
        var stats = await StatsAsync("checkout", 2);
        Assert.Equal((2UL, 1UL, 131.25), (stats.Total, stats.Errors, stats.ResponseTime.AverageMs));
        Assert.Equal("payment declined", Assert.Single(stats.TopErrors).Message);
        Assert.Equal("response_time", (string?)Assert.Single(rejected.GetMeasurementSnapshot()).Tags["reason"]);
    }

    [Fact]
    public async Task AServiceExportsItsRequestLogsAndWarningsToTheCollectorWithTheClusterKey()
    {
        await using var service = await StartServiceAsync(_collector.Server.BaseAddress);
        var limiter = new RateLimiter.RateLimiterClient(service.Channel);
        await limiter.AcquireAsync(new AcquireRequest { Key = "a" });
        await limiter.AcquireAsync(new AcquireRequest { Key = "b" });
        await Assert.ThrowsAsync<RpcException>(() => limiter.AcquireAsync(new AcquireRequest { Key = "down" }).ResponseAsync);

        // Three calls and the handler's warning; its Information lines stay out of the collector's counts. Asked while
        // the service runs: its exporter sends every 50 ms. A flush at shutdown is not waited for (under load the
        // host's shutdown could end before the first export finished, and the entries were never sent).
        var stats = await StatsAsync("orders", 4);
        Assert.Equal((4UL, 1UL, 3UL), (stats.Total, stats.Errors, stats.ResponseTime.Count));
        Assert.Equal($"{AcquirePath} Unavailable: limiter store down", Assert.Single(stats.TopErrors).Message);
    }

    [Fact]
    public async Task AServiceWhoseCollectorIsAwayStillAnswersEveryCall()
    {
        await using var service = await StartServiceAsync(new Uri("http://127.0.0.1:1"), collectorHandler: false);
        var limiter = new RateLimiter.RateLimiterClient(service.Channel);

        for (var i = 0; i < 20; i++)
        {
            Assert.True((await limiter.AcquireAsync(new AcquireRequest { Key = "a" })).Allowed);
        }
    }

    private static void LogTimed(ILogger logger, LogLevel level, string message, double responseTimeMs)
    {
        // How an application attaches the response time without putting it into the message: a scope value.
        using (logger.BeginScope(new Dictionary<string, object> { [LogRecordAttributes.ResponseTimeMs] = responseTimeMs }))
        {
            LogText(logger, level, message);
        }
    }

    [LoggerMessage("{Text}")]
    private static partial void LogText(ILogger logger, LogLevel level, string text);

    private async Task<ServiceWindowStats> StatsAsync(string service, ulong expected)
    {
        var client = new Logs.V1.LogCollector.LogCollectorClient(_collector.Channel);
        var headers = new Metadata { { "x-cluster-key", ClusterKey } };
        var request = new GetWindowStatsRequest { Service = service, Window = Duration.FromTimeSpan(TimeSpan.FromHours(1)) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        ServiceWindowStats stats;
        do
        {
            stats = (await client.GetWindowStatsAsync(request, headers)).Services.Single();
            if (stats.Total >= expected)
            {
                break;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        return stats;
    }

    // A service built as ours are (AddServiceDefaults), named "orders", exporting to the collector at the address.
    private async Task<ServiceHost> StartServiceAsync(Uri collector, bool collectorHandler = true)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_SERVICE_NAME"] = "orders",
            ["ClusterAuth:Key"] = ClusterKey,
            ["LogShipping:Address"] = collector.ToString(),
            ["LogShipping:FlushInterval"] = "00:00:00.050",
        });
        builder.AddServiceDefaults();
        if (collectorHandler)
        {
            builder.Services.AddHttpClient(CollectorLogProcessor.HttpClientName)
                .ConfigurePrimaryHttpMessageHandler(() => _collector.Server.CreateHandler());
        }

        var app = builder.Build();
        app.MapGrpcService<FakeLimiter>();
        await app.StartAsync();
        return new ServiceHost(app);
    }

    private sealed class ServiceHost(WebApplication app) : IAsyncDisposable
    {
        public GrpcChannel Channel { get; } = GrpcChannel.ForAddress(
            app.GetTestServer().BaseAddress, new GrpcChannelOptions { HttpHandler = app.GetTestServer().CreateHandler() });

        public async ValueTask DisposeAsync()
        {
            Channel.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private sealed partial class FakeLimiter(ILogger<FakeLimiter> logger) : RateLimiter.RateLimiterBase
    {
        public override Task<AcquireResponse> Acquire(AcquireRequest request, ServerCallContext context)
        {
            LogAcquire(logger, request.Key);
            if (request.Key == "down")
            {
                LogStoreDown(logger);
                throw new RpcException(new Status(StatusCode.Unavailable, "limiter store down"));
            }

            return Task.FromResult(new AcquireResponse { Allowed = true });
        }

        [LoggerMessage(LogLevel.Information, "Acquire {Key}")]
        private static partial void LogAcquire(ILogger logger, string key);

        [LoggerMessage(LogLevel.Warning, "The bucket store does not answer")]
        private static partial void LogStoreDown(ILogger logger);
    }
}
