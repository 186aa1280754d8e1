namespace Microservices.Gateway.Origin;

/// <summary>Opening the minimum, closing idle and old connections in the background, and disposal.</summary>
public sealed partial class ConnectionPool<T>
{
    /// <summary>Opens connections until the minimum is open.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken = default)
    {
        int missing;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            missing = Math.Max(0, _options.MinConnections - _total);
            _total += missing;
        }

        await Task.WhenAll(Enumerable.Range(0, missing).Select(_ => OpenIdleAsync(cancellationToken)));
    }

    // Closes idle connections past the idle time (above the minimum) or their lifetime, then restores the minimum.
    private void Maintain()
    {
        List<PooledSlot<T>>? expired = null;
        int missing;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetTimestamp();
            for (var i = 0; i < _idle.Count;)
            {
                var slot = _idle[i];
                var idleTooLong = _time.GetElapsedTime(slot.ReturnedAt, now) >= _options.MaxIdleTime && _total > _options.MinConnections;
                if (idleTooLong || IsPastLifetime(slot, now) || !_factory.IsUsable(slot.Connection))
                {
                    _idle.RemoveAt(i);
                    _total--;
                    _destroyed++;
                    (expired ??= []).Add(slot);
                    continue;
                }

                i++;
            }

            GiveFreePlacesToWaiters();
            missing = Math.Max(0, _options.MinConnections - _total);
            _total += missing;
        }

        foreach (var slot in expired ?? [])
        {
            _ = DestroyAsync(slot.Connection);
        }

        for (var i = 0; i < missing; i++)
        {
            _ = OpenIdleAsync(CancellationToken.None);
        }
    }

    // Opens a connection into a place already counted in total, and adds it as idle (or hands it to a waiter).
    private async Task OpenIdleAsync(CancellationToken cancellationToken)
    {
        T connection;
        try
        {
            connection = await _factory.CreateAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                _total--;
                GiveFreePlacesToWaiters();
            }

            _onBackgroundError?.Invoke(ex);
            return;
        }

        var slot = new PooledSlot<T>(this, connection, _time.GetTimestamp());
        var close = false;
        lock (_gate)
        {
            _created++;
            if (_disposed)
            {
                _total--;
                _destroyed++;
                close = true;
            }
            else if (TakeWaiter() is { } waiter)
            {
                _active++;
                waiter.Completion.TrySetResult(Lend(slot).Slot);
            }
            else
            {
                _idle.Add(slot);
            }
        }

        if (close)
        {
            await DestroyAsync(connection);
        }
    }

    private async Task DestroyAsync(T connection)
    {
        try
        {
            await _factory.DestroyAsync(connection);
        }
        catch (Exception ex)
        {
            _onBackgroundError?.Invoke(ex);
        }
    }

    /// <summary>Closes every idle connection, fails waiting callers, and closes lent ones when they come back.</summary>
    public async ValueTask DisposeAsync()
    {
        List<PooledSlot<T>> idle;
        List<Waiter> waiters;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
            _total -= idle.Count;
            _destroyed += idle.Count;
            waiters = [.. _waiters];
            _waiters.Clear();
        }

        await _maintenance.DisposeAsync();
        foreach (var waiter in waiters)
        {
            waiter.Completion.TrySetException(new ObjectDisposedException(nameof(ConnectionPool<>), "the pool was disposed"));
        }

        foreach (var slot in idle)
        {
            await DestroyAsync(slot.Connection);
        }
    }
}
