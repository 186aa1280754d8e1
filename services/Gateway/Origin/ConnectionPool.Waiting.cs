using System.Globalization;

namespace Microservices.Gateway.Origin;

/// <summary>Callers waiting for a connection: FIFO, served by returns, ended by their timeout or cancellation.</summary>
public sealed partial class ConnectionPool<T>
{
    // Every place freed below the maximum (a connection closed, or an open that failed) goes at once to the
    // longest waiter, who opens a connection into it (or gets the open's error). Call under the lock, after
    // lowering the total.
    private void GiveFreePlacesToWaiters()
    {
        while (!_disposed && _total < _options.MaxConnections && TakeWaiter() is { } waiter)
        {
            _total++;
            _active++;
            waiter.Completion.TrySetResult(null);
        }
    }

    private Waiter? TakeWaiter()
    {
        if (_waiters.First is not { } first)
        {
            return null;
        }

        _waiters.RemoveFirst();
        return first.Value;
    }

    private async ValueTask<ConnectionLease<T>> WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.AcquireTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        await using (linked.Token.Register(() => Abandon(waiter, timedOut: timeout.IsCancellationRequested, cancellationToken)))
        {
            var slot = await waiter.Completion.Task;
            if (slot is null)
            {
                // A place was freed for us: open a connection into it.
                return await OpenForCallerAsync(null, waiter.Started, cancellationToken);
            }

            _onWait?.Invoke(_time.GetElapsedTime(waiter.Started));
            return new ConnectionLease<T>(slot, Volatile.Read(ref slot.LeaseId));
        }
    }

    private void Abandon(Waiter waiter, bool timedOut, CancellationToken cancellationToken)
    {
        PoolStats stats;
        lock (_gate)
        {
            if (waiter.Node?.List is null)
            {
                return; // already served
            }

            _waiters.Remove(waiter.Node);
            if (timedOut)
            {
                _timeouts++;
            }

            stats = new PoolStats(_total, _active, _idle.Count, _waiters.Count, _timeouts, _created, _destroyed);
        }

        if (timedOut)
        {
            waiter.Completion.TrySetException(new ConnectionPoolTimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"no connection became free within {_options.AcquireTimeout.TotalSeconds:0.###} s ({stats.Active} of {_options.MaxConnections} in use, {stats.Waiting} other callers waiting)")));
        }
        else
        {
            waiter.Completion.TrySetCanceled(cancellationToken);
        }
    }

    private sealed class Waiter(long started)
    {
        /// <summary>Completes with a lent slot, or with null: a place was reserved, open a connection into it.</summary>
        public TaskCompletionSource<PooledSlot<T>?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Started { get; } = started;

        public LinkedListNode<Waiter>? Node { get; set; }
    }
}
