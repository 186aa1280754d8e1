using Microservices.Gateway.Origin;
using Polly;
using Polly.Retry;

namespace Microservices.Gateway.WriteBack;

/// <summary>
/// Opens the write-back log at start (replaying what a previous run left unflushed) and then writes it to the origin:
/// the oldest durable records, at most <see cref="WriteBackOptions.MaxBatchSize"/>, coalesced to the newest version
/// of each key, in one transaction; each row is applied only over an older version, so an older write never
/// replaces a newer one, whatever the order of batches or gateways. A failed batch is retried, the same batch, with
/// exponential backoff and jitter (Polly) up to <see cref="WriteBackOptions.MaxRetryDelay"/>, until it lands: nothing
/// is dropped. Runs only when the write policy is WriteBack; after the origin's migrations (registered after them).
/// </summary>
public sealed partial class WriteBackFlusher(
    WriteBackLog log, IOriginStore store, OriginAccess origin, WriteBackTelemetry telemetry, TimeProvider time, ILogger<WriteBackFlusher> logger)
    : BackgroundService
{
    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (!origin.WritesBack)
        {
            return Task.CompletedTask;
        }

        log.Recover();
        telemetry.ObserveLog(log);
        return base.StartAsync(cancellationToken);
    }

    /// <summary>The newest write of each key in <paramref name="batch"/>, by version (the log's order may differ: writers stamp, then append).</summary>
    public static IReadOnlyList<OriginRow> Coalesce(IReadOnlyList<WriteBackRecord> batch)
    {
        var newest = new Dictionary<(string Tenant, string Key), WriteBackRecord>(batch.Count);
        foreach (var record in batch)
        {
            if (!newest.TryGetValue(record.Id, out var held) || record.IsNewerThan(held))
            {
                newest[record.Id] = record;
            }
        }

        return newest.Values.Select(record => record.Row).ToArray();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = origin.Options.WriteBack;
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.MaxRetryDelay,
                OnRetry = args =>
                {
                    telemetry.RecordFlushError();
                    log.FlushFailed(args.RetryDelay);
                    LogFlushFailed(logger, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception!);
                    return default;
                },
            })
            .Build();
        try
        {
            while (true)
            {
                var batch = await log.NextBatchAsync(options.MaxBatchSize, stoppingToken);
                var rows = Coalesce(batch);
                await pipeline.ExecuteAsync(async token => await store.PutAsync(rows, token), stoppingToken);
                log.Flushed(batch);
                telemetry.RecordBatch(batch.Count);
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is not flushed stays in the log, and the next start replays it.
        }
    }

    [LoggerMessage(LogLevel.Warning, "Write-back: a batch failed to reach the origin (try {Attempt}); next try in {Delay}")]
    private static partial void LogFlushFailed(ILogger logger, int attempt, TimeSpan delay, Exception exception);
}
