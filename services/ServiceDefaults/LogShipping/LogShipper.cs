using Microservices.Logs.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;

namespace Microservices.ServiceDefaults.LogShipping;

/// <summary>
/// Sends queued entries to the collector in batches over a client-streaming Ingest call, completed and reopened
/// every <see cref="LogShippingOptions.StreamLifetime"/> (and only while there is something to send). When the
/// collector is away the batch in hand is dropped and counted, and the shipper reconnects with exponential
/// backoff; meanwhile the queue keeps the newest entries. Its calls are kept out of traces.
/// </summary>
public sealed partial class LogShipper(
    LogOutbox queue, LogCollector.LogCollectorClient client, IOptions<LogShippingOptions> options, TimeProvider time,
    ILogger<LogShipper> logger) : BackgroundService
{
    private readonly LogShippingOptions _options = options.Value;
    private readonly List<LogEntry> _batch = [];

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Shipping is not part of any request: no spans for these calls, or every call would make a second trace.
        using var suppress = SuppressInstrumentationScope.Begin();
        var backoff = _options.InitialBackoff;
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ShipOneStreamAsync(stoppingToken);
                backoff = _options.InitialBackoff;
                failing = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                queue.RecordDropped(_batch.Count, "send_failed");
                _batch.Clear();
                if (!failing)
                {
                    LogCollectorAway(logger, _options.Address, ex.Message);
                    failing = true;
                }

                try
                {
                    await Task.Delay(backoff, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
            }
        }
    }

    private async Task ShipOneStreamAsync(CancellationToken stoppingToken)
    {
        // An idle service keeps no call open: wait for the first entry.
        if (!await queue.Reader.WaitToReadAsync(stoppingToken))
        {
            return;
        }

        using var call = client.Ingest(cancellationToken: stoppingToken);
        var until = time.GetUtcNow() + _options.StreamLifetime;
        while (time.GetUtcNow() < until)
        {
            await FillBatchAsync(stoppingToken);
            if (_batch.Count == 0)
            {
                continue;
            }

            var request = new IngestRequest();
            request.Entries.AddRange(_batch);
            await call.RequestStream.WriteAsync(request, stoppingToken);
            queue.RecordShipped(_batch.Count);
            _batch.Clear();
        }

        await call.RequestStream.CompleteAsync();
        var summary = (await call.ResponseAsync).Summary;
        if (summary.Rejected > 0)
        {
            LogRejected(logger, summary.Rejected, summary.Rejections.FirstOrDefault()?.Reason ?? string.Empty);
        }
    }

    // Takes what is queued, up to a batch; waits at most the flush interval for more.
    private async Task FillBatchAsync(CancellationToken stoppingToken)
    {
        using var flush = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        flush.CancelAfter(_options.FlushInterval);
        while (_batch.Count < _options.BatchSize)
        {
            while (_batch.Count < _options.BatchSize && queue.Reader.TryRead(out var entry))
            {
                _batch.Add(entry);
            }

            if (_batch.Count >= _options.BatchSize)
            {
                return;
            }

            try
            {
                if (!await queue.Reader.WaitToReadAsync(flush.Token))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Log collector at {Address} is not reachable ({Reason}); entries are queued and the oldest dropped while it is away")]
    private static partial void LogCollectorAway(ILogger logger, Uri address, string reason);

    [LoggerMessage(LogLevel.Debug, "The log collector rejected {Rejected} shipped entries, first because: {Reason}")]
    private static partial void LogRejected(ILogger logger, ulong rejected, string reason);
}
