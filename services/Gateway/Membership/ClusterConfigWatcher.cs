namespace Microservices.Gateway.Membership;

/// <summary>
/// Follows the cluster configuration kept in the nodes: every <see cref="ClusterConfigOptions.PollInterval"/> asks
/// the nodes for their epoch (<see cref="ClusterConfigClient.ReloadAsync"/>), reloads a newer configuration, and
/// gives this gateway's to nodes that are behind. Skipped while this gateway runs a change of its own. A change it
/// finds halfway with its lease lapsed is taken over by <c>Rebalancing.ChangeTakeover</c>. Errors are logged, never
/// thrown.
/// </summary>
public sealed partial class ClusterConfigWatcher(
    ClusterMembership membership, ClusterConfigClient configs, Microsoft.Extensions.Options.IOptions<GatewayOptions> options,
    TimeProvider time, ILogger<ClusterConfigWatcher> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ClusterConfig.PollInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await membership.TryChangeAsync(_ => configs.ReloadAsync(stoppingToken));
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

    [LoggerMessage(LogLevel.Warning, "Reading the cluster configuration failed; next try in one poll interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
