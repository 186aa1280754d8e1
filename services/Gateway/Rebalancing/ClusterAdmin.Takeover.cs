using System.Collections.Frozen;
using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Microservices.Gateway.Membership;

namespace Microservices.Gateway.Rebalancing;

/// <summary>A change left halfway is taken over.</summary>
public sealed partial class ClusterAdmin
{
    private readonly long _clockOffsetMs = (long)options.Value.MaxClockOffset.TotalMilliseconds;

    // Named in errors that say a change waits for its lease to lapse.
    private string ChangeLeaseSetting => string.Create(CultureInfo.InvariantCulture,
        $"{GatewayOptions.Section}:ClusterConfig:ChangeLease, {options.Value.ClusterConfig.ChangeLease.TotalSeconds:0.###} s");

    /// <summary>
    /// Finishes the change the cluster is halfway through when the gateway that holds it is gone: its lease has
    /// lapsed by this gateway's clock for longer than <see cref="GatewayOptions.MaxClockOffset"/> (the most two
    /// gateways' clocks may differ, <see cref="Replication.ClockOffsetMonitor"/>; a gateway whose clock is beyond it
    /// takes nothing over), or it is this gateway's own change and no longer runs here (its end could not be
    /// committed, or this gateway restarted). Claims the change (<see cref="ClusterConfigClient.ClaimAsync"/>: of
    /// several gateways claiming at once, one wins the epoch and the others change nothing), copies the arcs that
    /// change hands again from the readable nodes to their new owners under its own renewed lease (copies are
    /// versioned, so what the first gateway had copied is copied again harmlessly), then commits the new ring, or the
    /// ring as it was when the copy fails. Returns what it did; a refusal is an outcome, not an error.
    /// </summary>
    public Task<TakeoverOutcome> TakeOverAsync(CancellationToken cancellationToken) =>
        membership.ChangeAsync(async view =>
        {
            if (view.PendingRing is null || membership.Config is not { } config || !MayTakeOver(config))
            {
                return TakeoverOutcome.None;
            }

            ClusterView claimed;
            try
            {
                claimed = await configs.ClaimAsync(view, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex)
            {
                LogClaimRefused(config.ChangedBy, view.Epoch, ex.Status.Detail);
                return TakeoverOutcome.Refused;
            }

            LogTakingOver(config.ChangedBy, view.Epoch, claimed.Epoch, ClusterConfigs.LeaseUntil(config));
            return await FinishAsync(claimed, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    // Copies the arcs of a claimed change and commits its end, holding its lease meanwhile.
    private async Task<TakeoverOutcome> FinishAsync(ClusterView claimed, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var pending = claimed.PendingRing!;
        await using var lease = configs.Hold(claimed);
        using var copying = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Lost);
        long moved = 0;
        string? failure = null;
        try
        {
            var readable = claimed.Nodes.Values.Where(node => node.IsReadable).ToFrozenDictionary(node => node.Name, StringComparer.Ordinal);
            moved = await rebalancer.MoveAsync(claimed.Ring, pending, readable, claimed.Nodes, copying.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            failure = (ex as RpcException)?.Status.Detail ?? ex.Message;
        }

        var held = await lease.StopAsync().ConfigureAwait(false);
        if (configs.TakenOver(held) is not null || cancellationToken.IsCancellationRequested)
        {
            // Another gateway claimed it in turn, or this one is stopping: the change is left to the next claimer.
            return TakeoverOutcome.Unfinished;
        }

        var ring = failure is null ? pending : held.Ring;
        var end = new ClusterView(ring, held.Nodes.Where(node => ring.Contains(node.Key)).ToFrozenDictionary(StringComparer.Ordinal), Epoch: held.Epoch);
        ClusterView ended;
        try
        {
            ended = membership.Apply(await configs.ProposeAsync(held, end, CancellationToken.None).ConfigureAwait(false));
        }
        catch (RpcException ex)
        {
            LogNotEnded(held.Epoch, ex.Status.Detail);
            return TakeoverOutcome.Unfinished;
        }

        var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (failure is not null)
        {
            LogTakeoverReverted(ended.Epoch, failure, took);
            return TakeoverOutcome.Reverted;
        }

        // As for a node that leaves through this gateway: its arcs' new replicas got its hints by the copy.
        foreach (var name in held.Nodes.Keys.Where(name => !ring.Contains(name)))
        {
            hints.Forget(name);
        }

        LogTakeoverFinished(ended.Epoch, moved, took);
        return TakeoverOutcome.Finished;
    }

    // A change may be taken over when it is this gateway's own (called inside a change, so none of this gateway's
    // runs), or when its lease has lapsed even for a clock as far ahead of this one as clocks may be.
    private bool MayTakeOver(Cache.V1.ClusterConfig config)
    {
        if (config.ChangedBy == membership.GatewayId)
        {
            return true;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (now <= config.LeaseUntilUnixMs + _clockOffsetMs)
        {
            return false;
        }

        if (clock.Offset is { Beyond: true } offset)
        {
            LogClockTooFar(config.ChangedBy, offset.Describe());
            return false;
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Taking over the change of gateway {Driver} at epoch {Epoch} (its lease ended at {LeaseUntil}): claimed at epoch {Claimed}; copying its data again")]
    private partial void LogTakingOver(string driver, ulong epoch, ulong claimed, string leaseUntil);

    [LoggerMessage(Level = LogLevel.Information, Message = "The change of gateway {Driver} at epoch {Epoch} was not claimed ({Reason}); another gateway has it, or it is tried again at the next poll")]
    private partial void LogClaimRefused(string driver, ulong epoch, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A change taken over is finished: new ring committed at epoch {Epoch}, {EntriesMoved} entries copied to new replicas in {TookMs:F0} ms")]
    private partial void LogTakeoverFinished(ulong epoch, long entriesMoved, double tookMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A change taken over could not copy its data ({Reason}); the ring as it was is committed at epoch {Epoch} ({TookMs:F0} ms)")]
    private partial void LogTakeoverReverted(ulong epoch, string reason, double tookMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The change of gateway {Driver} has a lapsed lease, but this gateway does not take it over: {Offset}")]
    private partial void LogClockTooFar(string driver, string offset);
}
