namespace Microservices.Gateway.Origin;

/// <summary>Opens, checks and closes the connections of a <see cref="ConnectionPool{T}"/>.</summary>
/// <typeparam name="T">The connection type.</typeparam>
public interface IConnectionFactory<T>
    where T : class
{
    /// <summary>Opens a new connection, ready for use.</summary>
    ValueTask<T> CreateAsync(CancellationToken cancellationToken);

    /// <summary>A cheap check on borrow (no round trip): false discards the connection and opens another.</summary>
    bool IsUsable(T connection);

    /// <summary>Closes a connection; must not throw.</summary>
    ValueTask DestroyAsync(T connection);
}
