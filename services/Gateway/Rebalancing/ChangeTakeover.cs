using Microservices.Gateway.Membership;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Rebalancing;

/// <summary>
/// Every <see cref="ClusterConfigOptions.PollInterval"/>, while the configuration this gateway routes by (reloaded by
/// <see cref="ClusterConfigWatcher"/>) is halfway through a change, tries to take the change over
/// (<see cref="ClusterAdmin.TakeOverAsync"/>): so a change whose gateway died, or whose end could not be committed,
/// is finished by some gateway once its lease lapses. Counts every attempt in <c>gateway.cluster.change_takeovers</c>
/// by outcome. Errors are logged, never thrown.
/// </summary>
public sealed partial class ChangeTakeover(
    ClusterAdmin admin, ClusterMembership membership, IOptions<GatewayOptions> options, TimeProvider time, GatewayTelemetry telemetry,
    ILogger<ChangeTakeover> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ClusterConfig.PollInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (membership.View.PendingRing is null)
                {
                    continue;
                }

                try
                {
                    var outcome = await admin.TakeOverAsync(stoppingToken);
                    if (outcome != TakeoverOutcome.None)
                    {
                        telemetry.RecordTakeover(outcome.ToString().ToLowerInvariant());
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogFailed(logger, ex);
                }
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: a call cut short may end with its own error (gRPC: CANCELLED), not an OperationCanceledException.
        }
    }

    [LoggerMessage(LogLevel.Warning, "Taking over a change left halfway failed; next try in one poll interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
