using Microservices.LogCollector.Windows;
using Microsoft.Extensions.Options;

namespace Microservices.LogCollector.Alerting;

/// <summary>
/// Runs <see cref="AlertManager.Evaluate"/> every evaluation interval, and every ten seconds frees window seconds
/// older than the retention. Errors are logged and the loop goes on.
/// </summary>
internal sealed partial class AlertEvaluator(
    AlertManager alerts, WindowRegistry windows, TimeProvider time, IOptions<AlertingOptions> options,
    ILogger<AlertEvaluator> logger) : BackgroundService
{
    private static readonly TimeSpan CleanupInterval = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.EvaluationInterval, time);
        var lastCleanup = time.GetUtcNow();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    alerts.Evaluate();
                    var now = time.GetUtcNow();
                    if (now - lastCleanup >= CleanupInterval)
                    {
                        windows.Cleanup(now.ToUnixTimeSeconds());
                        lastCleanup = now;
                    }
                }
                catch (Exception ex)
                {
                    LogEvaluationFailed(logger, ex);
                }
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: a call cut short may end with its own error (gRPC: CANCELLED), not an OperationCanceledException.
        }
    }

    [LoggerMessage(LogLevel.Error, "Alert evaluation failed; the next round runs as planned")]
    private static partial void LogEvaluationFailed(ILogger logger, Exception exception);
}
