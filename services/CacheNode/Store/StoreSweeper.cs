using Microsoft.Extensions.Options;

namespace Microservices.CacheNode.Store;

/// <summary>Runs <see cref="CacheStore.Sweep"/> every <see cref="CacheStoreOptions.SweepInterval"/>.</summary>
internal sealed partial class StoreSweeper(
    CacheStore store, IOptions<CacheStoreOptions> options, TimeProvider time, ILogger<StoreSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                store.Sweep(options.Value.SweepBatch);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSweepFailed(ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Store sweep failed; retrying at the next interval")]
    private partial void LogSweepFailed(Exception exception);
}
