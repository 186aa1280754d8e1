using Microservices.RateLimiter.Policies;
using Microsoft.Extensions.Options;

namespace Microservices.RateLimiter.Buckets;

/// <summary>Evicts full buckets every <see cref="RateLimiterOptions.SweepInterval"/>.</summary>
internal sealed partial class BucketSweeper(
    TokenBucketLimiter limiter, IOptions<RateLimiterOptions> options, TimeProvider time, ILogger<BucketSweeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                var evicted = limiter.EvictFull();
                if (evicted > 0)
                {
                    LogSwept(evicted, limiter.LiveBuckets);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSweepFailed(ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Evicted {Evicted} full buckets; {Live} live")]
    private partial void LogSwept(int evicted, int live);

    [LoggerMessage(Level = LogLevel.Error, Message = "Bucket sweep failed; retrying at the next interval")]
    private partial void LogSweepFailed(Exception exception);
}
