using System.Globalization;

namespace Microservices.Gateway.Origin;

/// <summary>
/// A pool of connections of any type: at least <see cref="ConnectionPoolOptions.MinConnections"/> kept open and
/// warm, at most <see cref="ConnectionPoolOptions.MaxConnections"/>. When none is free and the maximum is
/// reached, callers wait in FIFO order and a returned connection goes to the longest waiter; at the acquire
/// timeout a caller gets <see cref="ConnectionPoolTimeoutException"/>, never a hang. Connections found unusable
/// on borrow, marked broken, or past their lifetime (checked on return and every maintenance interval) are
/// closed and replaced; idle ones above the minimum are
/// closed after the idle time. One lock guards the bookkeeping; connections are opened and closed outside it.
/// </summary>
/// <typeparam name="T">The connection type.</typeparam>
public sealed partial class ConnectionPool<T> : IAsyncDisposable
    where T : class
{
    private readonly Lock _gate = new();
    private readonly IConnectionFactory<T> _factory;
    private readonly ConnectionPoolOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<TimeSpan>? _onWait;
    private readonly Action<Exception>? _onBackgroundError;
    private readonly ITimer _maintenance;

    // Idle connections, the most recently returned last: borrowing takes the warmest, trimming the coldest.
    private readonly List<PooledSlot<T>> _idle = [];
    private readonly LinkedList<Waiter> _waiters = new();
    private int _total;
    private int _active;
    private long _timeouts;
    private long _created;
    private long _destroyed;
    private long _lastLeaseId;
    private bool _disposed;

    /// <summary>Creates the pool; call <see cref="WarmUpAsync"/> to open the minimum before the first caller.</summary>
    /// <param name="factory">Opens, checks and closes connections.</param>
    /// <param name="options">Sizes and timeouts.</param>
    /// <param name="time">Clock for timeouts, idle and lifetime.</param>
    /// <param name="onWait">Told how long each acquire waited (for a histogram).</param>
    /// <param name="onBackgroundError">Told when opening a connection in the background failed.</param>
    public ConnectionPool(
        IConnectionFactory<T> factory, ConnectionPoolOptions options, TimeProvider time,
        Action<TimeSpan>? onWait = null, Action<Exception>? onBackgroundError = null)
    {
        if (options.MinConnections > options.MaxConnections)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"MinConnections ({options.MinConnections}) must not exceed MaxConnections ({options.MaxConnections})"), nameof(options));
        }

        _factory = factory;
        _options = options;
        _time = time;
        _onWait = onWait;
        _onBackgroundError = onBackgroundError;
        _maintenance = time.CreateTimer(_ => Maintain(), null, options.MaintenanceInterval, options.MaintenanceInterval);
    }

    /// <summary>A consistent snapshot of the counts.</summary>
    public PoolStats GetStats()
    {
        lock (_gate)
        {
            return new PoolStats(_total, _active, _idle.Count, _waiters.Count, _timeouts, _created, _destroyed);
        }
    }

    /// <summary>
    /// Borrows a connection, waiting (FIFO) up to the acquire timeout when all are in use.
    /// </summary>
    /// <exception cref="ConnectionPoolTimeoutException">No connection became free in time.</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    public ValueTask<ConnectionLease<T>> AcquireAsync(CancellationToken cancellationToken = default)
    {
        PooledSlot<T>? discard = null;
        Waiter? waiter = null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_idle.Count > 0)
            {
                var slot = _idle[^1];
                _idle.RemoveAt(_idle.Count - 1);
                // Lifetime is checked on return and by maintenance: one clock read per lease, not three.
                if (_factory.IsUsable(slot.Connection))
                {
                    _active++;
                    _onWait?.Invoke(TimeSpan.Zero);
                    return ValueTask.FromResult(Lend(slot));
                }

                // Unusable: close it, and open a replacement for this caller in its place.
                discard = slot;
                _destroyed++;
                _active++;
            }
            else if (_total < _options.MaxConnections && _waiters.Count == 0)
            {
                _total++;
                _active++;
            }
            else
            {
                waiter = new Waiter(_time.GetTimestamp());
                waiter.Node = _waiters.AddLast(waiter);
            }
        }

        if (waiter is not null)
        {
            return WaitAsync(waiter, cancellationToken);
        }

        return OpenForCallerAsync(discard, _time.GetTimestamp(), cancellationToken);
    }

    /// <summary>Returns a lease's connection; a second return, or a lease of another pool, is rejected.</summary>
    /// <exception cref="InvalidOperationException">Returned twice, or not this pool's.</exception>
    public void Return(ConnectionLease<T> lease)
    {
        if (!TryReturn(lease))
        {
            throw new InvalidOperationException("the connection was already returned");
        }
    }

    // Gives the lease's connection back; false when this lease was already returned (its connection may be lent
    // to someone else by now, under another lease id, and is left alone).
    internal bool TryReturn(ConnectionLease<T> lease)
    {
        var slot = lease.Slot;
        PooledSlot<T>? discard = null;
        lock (_gate)
        {
            if (slot is null || !ReferenceEquals(slot.Owner, this))
            {
                throw new InvalidOperationException("the lease does not belong to this pool");
            }

            if (!slot.IsLentAs(lease.Id))
            {
                return false;
            }

            Volatile.Write(ref slot.LeaseId, 0);
            var now = _time.GetTimestamp();
            slot.ReturnedAt = now;
            if (_disposed || slot.Broken || IsPastLifetime(slot, now) || !_factory.IsUsable(slot.Connection))
            {
                discard = slot;
                _destroyed++;
                _active--;
                _total--;
                GiveFreePlacesToWaiters();
            }
            else if (TakeWaiter() is { } waiter)
            {
                waiter.Completion.TrySetResult(Lend(slot).Slot);
            }
            else
            {
                _active--;
                _idle.Add(slot);
            }
        }

        if (discard is not null)
        {
            _ = DestroyAsync(discard.Connection);
        }

        return true;
    }

    private ConnectionLease<T> Lend(PooledSlot<T> slot)
    {
        var id = ++_lastLeaseId;
        Volatile.Write(ref slot.LeaseId, id);
        slot.Broken = false;
        return new ConnectionLease<T>(slot, id);
    }

    private bool IsPastLifetime(PooledSlot<T> slot, long now) => _time.GetElapsedTime(slot.CreatedAt, now) >= _options.MaxLifetime;

    // The caller holds a reserved place (counted in total and active): open a connection into it.
    private async ValueTask<ConnectionLease<T>> OpenForCallerAsync(PooledSlot<T>? discard, long waitStarted, CancellationToken cancellationToken)
    {
        if (discard is not null)
        {
            await DestroyAsync(discard.Connection);
        }

        T connection;
        try
        {
            connection = await _factory.CreateAsync(cancellationToken);
        }
        catch
        {
            ReleaseReservedPlace();
            throw;
        }

        var slot = new PooledSlot<T>(this, connection, _time.GetTimestamp());
        ConnectionLease<T> lease;
        lock (_gate)
        {
            _created++;
            lease = Lend(slot);
        }

        _onWait?.Invoke(_time.GetElapsedTime(waitStarted));
        return lease;
    }

    private void ReleaseReservedPlace()
    {
        lock (_gate)
        {
            _total--;
            _active--;
            GiveFreePlacesToWaiters();
        }
    }
}
