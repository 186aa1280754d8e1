using System.Collections.Concurrent;
using Microservices.LogCollector.Alerting;
using Microservices.LogCollector.Alerting.Sinks;
using Microservices.Logs.V1;
using Microservices.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Microservices.LogCollector.Tests;

/// <summary>The log collector in process with a fake clock, a client, and a sink that records notifications.</summary>
internal sealed class CollectorApp : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    public CollectorApp(Dictionary<string, string?>? settings = null, params INotificationSink[] sinks)
    {
        // Tests evaluate alerts themselves; the background round would race them.
        settings ??= [];
        settings.TryAdd("Alerting:EvaluationInterval", "1.00:00:00");
        App = new GrpcServiceApp<Program>(settings, Start, services =>
        {
            services.AddSingleton<INotificationSink>(Sink);
            foreach (var sink in sinks)
            {
                services.AddSingleton(sink);
            }
        });
        Client = new Logs.V1.LogCollector.LogCollectorClient(App.Channel);
    }

    public GrpcServiceApp<Program> App { get; }

    public Logs.V1.LogCollector.LogCollectorClient Client { get; }

    public RecordingSink Sink { get; } = new();

    public AlertManager Alerts => App.Services.GetRequiredService<AlertManager>();

    public static LogEntry Entry(Level level, string service = "api", double ms = 10, string message = "ok") =>
        new() { Level = level, Service = service, ResponseTimeMs = ms, Message = message };

    public async Task WriteAsync(params LogEntry[] entries)
    {
        var request = new WriteRequest();
        request.Entries.AddRange(entries);
        var summary = (await Client.WriteAsync(request)).Summary;
        Assert.Equal((ulong)entries.Length, summary.Accepted);
    }

    public void Dispose() => App.Dispose();
}

/// <summary>A sink that keeps what it is sent.</summary>
internal sealed class RecordingSink : INotificationSink
{
    private readonly ConcurrentQueue<AlertNotification> _received = new();

    public string Name => "recording";

    public bool Enabled => true;

    public SinkRetry Retry { get; } = new(1, TimeSpan.FromSeconds(5), TimeSpan.Zero);

    public IReadOnlyList<AlertNotification> Received => [.. _received];

    public Task SendAsync(AlertNotification notification, CancellationToken cancellationToken)
    {
        _received.Enqueue(notification);
        return Task.CompletedTask;
    }

    /// <summary>Waits until <paramref name="count"/> notifications in all have arrived.</summary>
    public async Task WaitForAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_received.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{_received.Count} of {count} notifications arrived");
            await Task.Delay(10);
        }
    }
}
