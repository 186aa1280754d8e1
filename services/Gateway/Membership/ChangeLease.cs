namespace Microservices.Gateway.Membership;

/// <summary>
/// This gateway's lease on the change the cluster is halfway through (<c>ClusterConfig.lease_until_unix_ms</c>),
/// kept while the change's data is copied: every third of <see cref="ClusterConfigOptions.ChangeLease"/> the change is
/// claimed again (<see cref="ClusterConfigClient.ClaimAsync"/>: the same configuration with a later deadline, at the
/// next epoch), so the lease never runs out while this gateway lives and reaches a majority of the nodes. A renewal
/// that fails is tried again at the next one. A renewal that finds the change claimed by another gateway (this
/// lease had lapsed) cancels <see cref="Lost"/> and renewals stop: the change is that gateway's now. Made by
/// <see cref="ClusterConfigClient.Hold"/>; renews from inside the change that holds it.
/// </summary>
/// <remarks>
/// Renewing at a third of the lease leaves two thirds for a renewal to commit (it takes at most about two replica
/// timeouts), the usual margin of lease-based leadership (as Chubby's and etcd's leases are renewed well before they
/// end).
/// </remarks>
public sealed partial class ChangeLease : IAsyncDisposable
{
    private readonly ClusterConfigClient _configs;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewals;
    private ClusterView _view;
    private bool _disposed;

    internal ChangeLease(ClusterConfigClient configs, ClusterView halfway, TimeSpan every, TimeProvider time, ILogger logger)
    {
        _configs = configs;
        _logger = logger;
        _view = halfway;
        _renewals = RenewAsync(every, time);
    }

    /// <summary>Cancelled when another gateway has claimed the change: this gateway must not end it.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>The change as this gateway last claimed it: the end of the change is proposed on its epoch.</summary>
    public ClusterView View => Volatile.Read(ref _view);

    /// <summary>
    /// Stops renewing and returns <see cref="View"/>. A renewal under way is let finish, not cut off: cut off, it
    /// could leave its proposal held on the nodes, and the end of the change refused while it is held.
    /// </summary>
    public async Task<ClusterView> StopAsync()
    {
        _stop.Cancel();
        await _renewals.ConfigureAwait(false);
        return View;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
        _lost.Dispose();
    }

    private async Task RenewAsync(TimeSpan every, TimeProvider time)
    {
        using var timer = new PeriodicTimer(every, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                var held = View;
                try
                {
                    Volatile.Write(ref _view, await _configs.ClaimAsync(held, CancellationToken.None).ConfigureAwait(false));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    if (_configs.TakenOver(held) is { } taker)
                    {
                        LogLost(_logger, held.Epoch, taker.ChangedBy, taker.Epoch);
                        await _lost.CancelAsync().ConfigureAwait(false);
                        return;
                    }

                    LogNotRenewed(_logger, held.Epoch, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    [LoggerMessage(LogLevel.Warning, "The lease on the change at epoch {Epoch} was not renewed ({Reason}); trying again at the next renewal")]
    private static partial void LogNotRenewed(ILogger logger, ulong epoch, string reason);

    [LoggerMessage(LogLevel.Warning, "The change this gateway held at epoch {Epoch} was taken over by gateway {Taker} (epoch {TakerEpoch}): its lease had lapsed; this gateway stops copying and leaves the change to it")]
    private static partial void LogLost(ILogger logger, ulong epoch, string taker, ulong takerEpoch);
}
