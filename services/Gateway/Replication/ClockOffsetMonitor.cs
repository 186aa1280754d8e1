using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Replication;

/// <summary>
/// Measures this gateway's wall-clock offset from every reachable cache node every
/// <see cref="GatewayOptions.ClockCheckInterval"/> (Cristian's algorithm over <c>CacheNode.GetClock</c>: the node's
/// time minus the midpoint of the call, uncertain by half the round trip) and hands the verdict to the
/// <see cref="HybridLogicalClock"/>. While a majority of the nodes measured are further than half of
/// <see cref="GatewayOptions.MaxClockOffset"/> away, beyond the uncertainty, the clock refuses to stamp writes.
/// The nodes' clocks are the common reference: every gateway that stamps is within half the maximum offset of them,
/// so any two such gateways are within the maximum offset of each other (as CockroachDB bounds its nodes' offsets
/// against a majority of the cluster). Errors are logged, never thrown.
/// </summary>
public sealed partial class ClockOffsetMonitor(
    ClusterMembership membership, HybridLogicalClock clock, TimeProvider time, IOptions<GatewayOptions> options,
    GatewayTelemetry telemetry, ILogger<ClockOffsetMonitor> logger) : BackgroundService
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(1);
    private readonly long _limitMs = (long)options.Value.MaxClockOffset.TotalMilliseconds / 2;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.ClockCheckInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, time);
        try
        {
            do
            {
                await MeasureAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: a call cut short may end with its own error (gRPC: CANCELLED), not an OperationCanceledException.
        }
    }

    /// <summary>Measures every reachable node once, in parallel, and hands the verdict to the clock.</summary>
    public async Task<ClockOffset> MeasureAsync(CancellationToken cancellationToken)
    {
        var nodes = membership.View.Nodes.Values.Where(node => node.IsReachable).ToList();
        var samples = await Task.WhenAll(nodes.Select(node => SampleAsync(node, cancellationToken)));
        var answered = samples.OfType<(long Offset, long Uncertainty)>().ToList();
        var offset = answered.Count == 0
            ? ClockOffset.Unmeasured
            : new ClockOffset(
                answered.Select(s => s.Offset).Order().ElementAt(answered.Count / 2),
                answered.Count,
                answered.Count(s => Math.Abs(s.Offset) - s.Uncertainty > _limitMs),
                _limitMs);

        var before = clock.Offset;
        clock.Offset = offset;
        telemetry.RecordClockOffset(offset.OffsetMs);
        if (offset.Beyond && !before.Beyond)
        {
            LogBeyond(logger, offset.OffsetMs, offset.BeyondLimit, offset.Measured, offset.LimitMs);
        }
        else if (!offset.Beyond && before.Beyond && offset.Measured > 0)
        {
            LogBack(logger, offset.OffsetMs, offset.Measured);
        }

        return offset;
    }

    private async Task<(long Offset, long Uncertainty)?> SampleAsync(ClusterNode node, CancellationToken cancellationToken)
    {
        try
        {
            var sent = time.GetUtcNow().ToUnixTimeMilliseconds();
            var reply = await node.Client.GetClockAsync(
                new GetClockRequest(), deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancellationToken);
            var received = time.GetUtcNow().ToUnixTimeMilliseconds();
            return (reply.UnixMs - ((sent + received) / 2), (received - sent + 1) / 2);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // A node that does not answer says nothing of this gateway's clock; the failure detector deals with it.
            LogUnanswered(logger, node.Name, ex);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Refusing to stamp writes: the cache nodes' clocks minus this gateway's is {OffsetMs} ms (median); {BeyondLimit} of {Measured} nodes beyond {LimitMs} ms")]
    private static partial void LogBeyond(ILogger logger, long offsetMs, int beyondLimit, int measured, long limitMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stamping writes again: the cache nodes' clocks minus this gateway's is {OffsetMs} ms (median of {Measured})")]
    private static partial void LogBack(ILogger logger, long offsetMs, int measured);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Clock of {Node} not measured")]
    private static partial void LogUnanswered(ILogger logger, string node, Exception error);
}
