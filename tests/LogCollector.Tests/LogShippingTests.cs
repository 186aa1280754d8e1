using System.Diagnostics.Metrics;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Microservices.Logs.V1;
using Microservices.ServiceDefaults.LogShipping;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Microservices.LogCollector.Tests;

public sealed class LogShippingTests : IDisposable
{
    private readonly ServiceProvider _provider = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public void Dispose() => _provider.Dispose();

    private LogOutbox Outbox(int capacity = 10_000) => new(
        Options.Create(new LogShippingOptions { QueueCapacity = capacity }), _provider.GetRequiredService<IMeterFactory>(),
        new ShippedServiceName("orders"));

    private static LogShipper Shipper(LogOutbox outbox, GrpcChannel channel) => new(
        outbox, new Logs.V1.LogCollector.LogCollectorClient(channel),
        Options.Create(new LogShippingOptions
        {
            FlushInterval = TimeSpan.FromMilliseconds(50),
            StreamLifetime = TimeSpan.FromMilliseconds(300),
            InitialBackoff = TimeSpan.FromMilliseconds(50),
        }),
        TimeProvider.System, NullLogger<LogShipper>.Instance);

    [Theory]
    [InlineData(StatusCode.OK, Level.Info)]
    [InlineData(StatusCode.InvalidArgument, Level.Warn)]
    [InlineData(StatusCode.Unauthenticated, Level.Warn)]
    [InlineData(StatusCode.ResourceExhausted, Level.Warn)]
    [InlineData(StatusCode.NotFound, Level.Warn)]
    [InlineData(StatusCode.Unavailable, Level.Error)]
    [InlineData(StatusCode.DeadlineExceeded, Level.Error)]
    [InlineData(StatusCode.Internal, Level.Error)]
    [InlineData(StatusCode.Unknown, Level.Error)]
    public void CallStatusesMapToLevels(StatusCode status, Level level) =>
        Assert.Equal(level, LogShippingInterceptor.LevelOf(status));

    [Fact]
    public async Task AShippedCallIsCutBetweenCharactersToTheCollectorsLimitsOfTextAndTime()
    {
        var outbox = Outbox();
        var time = new FakeTimeProvider();
        var interceptor = new LogShippingInterceptor(outbox, time);
        var detail = string.Concat(Enumerable.Repeat("😀", 3000));

        await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "request", new FakeCallContext("/orders.v1.Orders/Place"), (_, _) =>
            {
                time.Advance(TimeSpan.FromHours(25)); // a stream, say, left open for a day
                throw new RpcException(new Status(StatusCode.InvalidArgument, detail));
            }));

        Assert.True(outbox.Reader.TryRead(out var entry));
        Assert.StartsWith("/orders.v1.Orders/Place InvalidArgument: 😀", entry.Message);
        Assert.EndsWith("😀", entry.Message);
        Assert.InRange(Encoding.UTF8.GetByteCount(entry.Message), LogEntryLimits.MaxMessageBytes - 3, LogEntryLimits.MaxMessageBytes);
        Assert.Equal(LogEntryLimits.MaxResponseTimeMs, entry.ResponseTimeMs);
    }

    [Fact]
    public void AShippedLogLineIsCutBetweenCharactersToTheCollectorsLimit()
    {
        var outbox = Outbox();
        using var provider = new ShippingLoggerProvider(outbox, TimeProvider.System);

        provider.CreateLogger("Orders").Log(LogLevel.Error, default, new string('é', 5000), null, (text, _) => text);

        Assert.True(outbox.Reader.TryRead(out var entry));
        Assert.Equal(new string('é', LogEntryLimits.MaxMessageBytes / 2), entry.Message);
    }

    [Fact]
    public async Task QueuedEntriesReachTheCollectorInBatches()
    {
        // Real time here: the shipper waits on real timers.
        using var collector = new Microservices.TestSupport.GrpcServiceApp<Program>(start: DateTimeOffset.UtcNow);
        var client = new Logs.V1.LogCollector.LogCollectorClient(collector.Channel);
        var outbox = Outbox();
        using var shipper = Shipper(outbox, collector.Channel);
        await shipper.StartAsync(CancellationToken.None);
        for (var i = 0; i < 1200; i++)
        {
            outbox.Add(new LogEntry { Level = i % 4 == 0 ? Level.Error : Level.Info, Service = "orders", ResponseTimeMs = 5, Message = "GET /orders" });
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        GetErrorRateResponse rate;
        do
        {
            await Task.Delay(50);
            rate = await client.GetErrorRateAsync(new GetErrorRateRequest { Service = "orders" });
        }
        while (rate.Total < 1200 && DateTime.UtcNow < deadline);

        await shipper.StopAsync(CancellationToken.None);
        Assert.Equal((1200UL, 300UL), (rate.Total, rate.Errors));
    }

    [Fact]
    public async Task WhileTheCollectorIsAwayTheOldestEntriesAreDroppedAndCounted()
    {
        using var dropped = new MetricCollector<long>(_provider.GetRequiredService<IMeterFactory>(), LogOutbox.MeterName, "logshipper.entries.dropped");
        using var nowhere = GrpcChannel.ForAddress("http://127.0.0.1:1");
        var outbox = Outbox(capacity: 100);
        using var shipper = Shipper(outbox, nowhere);
        await shipper.StartAsync(CancellationToken.None);

        for (var i = 0; i < 1000; i++)
        {
            outbox.Add(new LogEntry { Level = Level.Info, Message = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        // Adding never blocked; the shipper keeps trying and never throws.
        await Task.Delay(300);
        Assert.False(shipper.ExecuteTask!.IsCompleted);
        await shipper.StopAsync(CancellationToken.None);

        var total = dropped.GetMeasurementSnapshot().Sum(m => m.Value);
        Assert.InRange(total, 900, 1000);
        Assert.Contains(dropped.GetMeasurementSnapshot(), m => (string?)m.Tags["reason"] == "queue_full");
    }
}
