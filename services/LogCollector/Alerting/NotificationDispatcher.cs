using System.Threading.Channels;
using Microservices.LogCollector.Alerting.Sinks;
using Microservices.LogCollector.Telemetry;
using Polly;
using Polly.Retry;

namespace Microservices.LogCollector.Alerting;

/// <summary>
/// Hands notifications to every enabled sink without ever blocking evaluation: each sink has its own bounded queue
/// (the oldest notification is dropped, and counted, when a sink falls behind) and its own loop with retries,
/// exponential backoff and a per-attempt timeout. Failures are counted and logged; the next notification goes on.
/// </summary>
internal sealed partial class NotificationDispatcher : BackgroundService
{
    private const int QueueCapacity = 256;

    private readonly List<(INotificationSink Sink, Channel<AlertNotification> Queue)> _sinks;
    private readonly LogCollectorTelemetry _telemetry;
    private readonly ILogger<NotificationDispatcher> _logger;

    public NotificationDispatcher(
        IEnumerable<INotificationSink> sinks, LogCollectorTelemetry telemetry, ILogger<NotificationDispatcher> logger)
    {
        _telemetry = telemetry;
        _logger = logger;
        _sinks = [.. sinks.Where(sink => sink.Enabled).Select(sink => (sink, Channel.CreateBounded<AlertNotification>(
            new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => telemetry.RecordNotification(sink.Name, "dropped"))))];
    }

    /// <summary>Names of the enabled sinks.</summary>
    public IReadOnlyList<string> SinkNames => [.. _sinks.Select(entry => entry.Sink.Name)];

    /// <summary>Queues a notification for every sink; never blocks.</summary>
    public void Enqueue(AlertNotification notification)
    {
        foreach (var (_, queue) in _sinks)
        {
            queue.Writer.TryWrite(notification);
        }
    }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_sinks.Select(entry => Task.Run(() => RunAsync(entry.Sink, entry.Queue.Reader, stoppingToken), stoppingToken)));

    private async Task RunAsync(INotificationSink sink, ChannelReader<AlertNotification> queue, CancellationToken stoppingToken)
    {
        var pipeline = BuildPipeline(sink.Retry);
        try
        {
            await foreach (var notification in queue.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await pipeline.ExecuteAsync(
                        static (state, token) => new ValueTask(state.sink.SendAsync(state.notification, token)),
                        (sink, notification), stoppingToken);
                    _telemetry.RecordNotification(sink.Name, "sent");
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    _telemetry.RecordNotification(sink.Name, "failed");
                    LogSinkFailed(_logger, ex, sink.Name, notification.Alert.Id, sink.Retry.MaxAttempts);
                }
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: a call cut short may end with its own error (gRPC: CANCELLED), not an OperationCanceledException.
        }
    }

    private static ResiliencePipeline BuildPipeline(SinkRetry retry)
    {
        var builder = new ResiliencePipelineBuilder();
        if (retry.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = retry.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                Delay = retry.InitialBackoff,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is not null && !args.Context.CancellationToken.IsCancellationRequested),
            });
        }

        return builder.AddTimeout(retry.Timeout).Build();
    }

    [LoggerMessage(LogLevel.Warning, "Alert sink {Sink} failed to deliver {AlertId} after {Attempts} attempts")]
    private static partial void LogSinkFailed(ILogger logger, Exception exception, string sink, string alertId, int attempts);
}
