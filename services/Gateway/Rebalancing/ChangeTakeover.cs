using System.Diagnostics.Metrics;
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
public sealed partial class ChangeTakeover : BackgroundService
{
    private readonly ClusterAdmin _admin;
    private readonly ClusterMembership _membership;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger<ChangeTakeover> _logger;
    private readonly Counter<long> _takeovers;

    /// <summary>Creates the service and its counter, on the gateway's meter.</summary>
    public ChangeTakeover(
        ClusterAdmin admin, ClusterMembership membership, IOptions<GatewayOptions> options, TimeProvider time, IMeterFactory meters,
        ILogger<ChangeTakeover> logger)
    {
        _admin = admin;
        _membership = membership;
        _interval = options.Value.ClusterConfig.PollInterval;
        _time = time;
        _logger = logger;
        _takeovers = meters.Create(GatewayTelemetry.Name).CreateCounter<long>(
            "gateway.cluster.change_takeovers", "{takeover}",
            "Attempts to take over a membership change left halfway (its gateway's lease lapsed, or it is this gateway's own), by outcome: " +
            "finished (new ring committed), reverted (the copy failed; the old ring committed), refused (another gateway claimed it first, or no majority answered), " +
            "unfinished (claimed, but its end was not committed here).");
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (_membership.View.PendingRing is null)
                {
                    continue;
                }

                try
                {
                    var outcome = await _admin.TakeOverAsync(stoppingToken);
                    if (outcome != TakeoverOutcome.None)
                    {
                        _takeovers.Add(1, new KeyValuePair<string, object?>("outcome", outcome.ToString().ToLowerInvariant()));
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(LogLevel.Warning, "Taking over a change left halfway failed; next try in one poll interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
