using Grpc.Core;
using Microservices.RateLimit.V1;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Gateway.RateLimiting;

/// <summary>
/// Opens the connection to the rate limiter at start with one Peek (no token is taken), so the first tenant
/// request does not spend its 50 ms deadline on connection set-up and fail open.
/// </summary>
internal sealed partial class RateLimiterWarmup(RateLimiterClient client, ILogger<RateLimiterWarmup> logger) : BackgroundService
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await client.PeekAsync(new PeekRequest { Key = "gateway:warmup" }, deadline: DateTime.UtcNow + Deadline, cancellationToken: stoppingToken)
                .ConfigureAwait(false);
        }
        catch (RpcException ex) when (!stoppingToken.IsCancellationRequested)
        {
            LogWarmupFailed(ex.StatusCode);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate limiter not reachable at start ({Status}); requests fail over until it is")]
    private partial void LogWarmupFailed(StatusCode status);
}
