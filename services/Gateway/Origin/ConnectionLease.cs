namespace Microservices.Gateway.Origin;

/// <summary>
/// A borrowed connection. Dispose it (<c>await using</c>) to give the connection back; a lease is returned once
/// (further Disposes do nothing), and its connection is unusable afterwards. Call <see cref="MarkBroken"/> when a
/// command failed in a way that leaves the connection in doubt: it is then closed on return and replaced.
/// </summary>
/// <typeparam name="T">The connection type.</typeparam>
public readonly struct ConnectionLease<T> : IDisposable, IAsyncDisposable, IEquatable<ConnectionLease<T>>
    where T : class
{
    internal ConnectionLease(PooledSlot<T> slot, long id)
    {
        Slot = slot;
        Id = id;
    }

    /// <summary>The connection, while the lease is held.</summary>
    public T Connection => Slot is not null && Slot.IsLentAs(Id)
        ? Slot.Connection
        : throw new ObjectDisposedException(nameof(ConnectionLease<>), "the lease was returned");

    internal PooledSlot<T>? Slot { get; }

    internal long Id { get; }

    /// <summary>Marks the connection broken: it is closed on return instead of reused.</summary>
    public void MarkBroken()
    {
        if (Slot is not null && Slot.IsLentAs(Id))
        {
            Slot.Broken = true;
        }
    }

    /// <summary>
    /// Returns the connection to its pool; a second Dispose does nothing (as <see cref="IDisposable"/> expects).
    /// An explicit second <see cref="ConnectionPool{T}.Return"/> is still an error.
    /// </summary>
    public void Dispose() => Slot?.Owner.TryReturn(this);

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public bool Equals(ConnectionLease<T> other) => ReferenceEquals(Slot, other.Slot) && Id == other.Id;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ConnectionLease<T> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Slot, Id);

    /// <summary>Compares two leases.</summary>
    public static bool operator ==(ConnectionLease<T> left, ConnectionLease<T> right) => left.Equals(right);

    /// <summary>Compares two leases.</summary>
    public static bool operator !=(ConnectionLease<T> left, ConnectionLease<T> right) => !left.Equals(right);
}

/// <summary>One connection of a pool and its bookkeeping, changed under the pool's lock (except <see cref="Broken"/>).</summary>
internal sealed class PooledSlot<T>(ConnectionPool<T> owner, T connection, long createdAt)
    where T : class
{
    /// <summary>Id of the current lease; 0 while idle.</summary>
    public long LeaseId;

    /// <summary>Set by the borrower: close instead of reuse.</summary>
    public volatile bool Broken;

    public ConnectionPool<T> Owner { get; } = owner;

    public T Connection { get; } = connection;

    public long CreatedAt { get; } = createdAt;

    public long ReturnedAt { get; set; } = createdAt;

    public bool IsLentAs(long id) => id != 0 && Volatile.Read(ref LeaseId) == id;
}
