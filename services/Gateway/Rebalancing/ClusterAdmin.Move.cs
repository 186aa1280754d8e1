using System.Collections.Frozen;
using System.Globalization;
using Grpc.Core;
using Microservices.Gateway.Membership;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Rebalancing;

/// <summary>How a change moves data: dual writes, the copy under the change's lease, and the commit of its end.</summary>
public sealed partial class ClusterAdmin
{
    // Commits (in the cluster) and publishes a view in which writes reach the owners under both rings, waits for the
    // other gateways to reload it, copies the arcs that change hands from the readable nodes of sources(after) to
    // after's nodes, then commits after, holding the change's lease throughout. When the copy fails, runs onFailure
    // and commits the ring as it was instead. When another gateway took the change over (the lease lapsed), stops
    // and leaves it to that gateway (ABORTED); when the end cannot be committed, the change stays halfway for a
    // takeover. Returns the entries copied and the view committed.
    private async Task<(long Moved, ClusterView After)> MoveWithDualWritesAsync(
        ClusterView before, ClusterView after, Func<ClusterView, IReadOnlyDictionary<string, ClusterNode>> sources,
        Action onFailure, CancellationToken cancellationToken)
    {
        ThrowIfHalfway(before);
        var moving = before with { Nodes = after.Nodes.Count > before.Nodes.Count ? after.Nodes : before.Nodes, PendingRing = after.Ring };
        try
        {
            var config = await configs.ProposeAsync(before, moving, cancellationToken).ConfigureAwait(false);
            moving = moving with { Epoch = config.Epoch };
            membership.Commit(moving, config);
        }
        catch
        {
            onFailure();
            throw;
        }

        await using var lease = configs.Hold(moving);
        using var copying = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Lost);
        long moved;
        try
        {
            if (_settle > TimeSpan.Zero)
            {
                await Task.Delay(_settle, time, copying.Token).ConfigureAwait(false);
            }

            // DOWN and RECOVERING nodes are not read from (a RECOVERING one may be empty); the other replicas of their arcs are.
            var reachable = sources(after).Values.Where(node => node.IsReadable).ToFrozenDictionary(node => node.Name, StringComparer.Ordinal);
            moved = await rebalancer.MoveAsync(before.Ring, after.Ring, reachable, after.Nodes, copying.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var held = await lease.StopAsync().ConfigureAwait(false);
            ThrowIfTakenOver(held);
            try
            {
                await EndAsync(held, before).ConfigureAwait(false);
            }
            catch (RpcException revert)
            {
                ThrowIfTakenOver(held);
                LogNotReverted(revert.Status.Detail);
                throw new RpcException(new Status(revert.StatusCode,
                    $"the copy failed ({(ex as RpcException)?.Status.Detail ?? ex.Message}) and the ring as it was could not be committed ({revert.Status.Detail}); " +
                    $"the change stays halfway until its lease lapses ({ChangeLeaseSetting}), then a gateway takes it over: copies again and commits the new ring, or the ring as it was if the copy fails again"));
            }

            onFailure();
            if (ex is RpcException rpc)
            {
                throw new RpcException(new Status(rpc.StatusCode, $"{rpc.Status.Detail}; the ring is unchanged"));
            }

            throw;
        }

        var end = await lease.StopAsync().ConfigureAwait(false);
        ThrowIfTakenOver(end);
        try
        {
            return (moved, await EndAsync(end, after).ConfigureAwait(false));
        }
        catch (RpcException ex)
        {
            ThrowIfTakenOver(end);
            LogNotEnded(end.Epoch, ex.Status.Detail);
            throw new RpcException(new Status(ex.StatusCode,
                $"{ex.Status.Detail}; the data is copied but the new ring is not committed: the change stays halfway until its lease lapses " +
                $"({ChangeLeaseSetting}), then this or another gateway takes it over and commits it"));
        }
    }

    // Ends a change that is halfway: commits `to` on the epoch of `moving`, and publishes it. Not cancelled with the
    // request: the copy is done (or given up), and the cluster must not stay halfway.
    private async Task<ClusterView> EndAsync(ClusterView moving, ClusterView to)
    {
        var config = await configs.ProposeAsync(moving, to, CancellationToken.None).ConfigureAwait(false);
        var view = to with { Epoch = config.Epoch };
        membership.Commit(view, config);
        return view;
    }

    // A change this gateway held was claimed by another gateway (its lease lapsed): that gateway finishes it, so
    // nothing here is undone; the caller learns who has it.
    private void ThrowIfTakenOver(ClusterView held)
    {
        if (configs.TakenOver(held) is { } taker)
        {
            RpcErrors.Throw(StatusCode.Aborted, string.Create(CultureInfo.InvariantCulture,
                $"epoch: this gateway's lease on the change (epoch {held.Epoch}) lapsed and gateway '{taker.ChangedBy}' took it over (the cluster is at epoch {taker.Epoch}); it copies the data and commits the change: see GetTopology"));
        }
    }

    // A change starts from a whole configuration, not from one another gateway is halfway through.
    private void ThrowIfHalfway(ClusterView view)
    {
        if (view.PendingRing is not null)
        {
            // A halfway view is always built from a committed configuration.
            var config = membership.Config!;
            RpcErrors.Throw(StatusCode.FailedPrecondition, string.Create(CultureInfo.InvariantCulture,
                $"epoch: a change by {config.ChangedBy} is in progress at epoch {view.Epoch}, its lease until {ClusterConfigs.LeaseUntil(config)}; retry when it ends (a change whose gateway is gone is taken over once its lease lapses)"));
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A change whose copy failed could not restore the ring it started from ({Reason}); the cluster stays halfway, writing to both rings, until a gateway takes the change over")]
    private partial void LogNotReverted(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "A change whose data is copied could not commit its new ring on epoch {Epoch} ({Reason}); the cluster stays halfway, writing to both rings, until a gateway takes the change over")]
    private partial void LogNotEnded(ulong epoch, string reason);
}
