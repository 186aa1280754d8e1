namespace Microservices.Gateway.Origin;

/// <summary>
/// The database behind the cache, by tenant and key. SQLite today (<see cref="SqliteOriginStore"/>); another
/// database is another implementation. Failures throw (<see cref="ConnectionPoolTimeoutException"/> when no
/// connection is free in time); an absent row is null, not an error.
/// </summary>
public interface IOriginStore
{
    /// <summary>Where the data lives, for logs and stats (for example the database file).</summary>
    string Location { get; }

    /// <summary>The connection pool's counts.</summary>
    PoolStats PoolStats { get; }

    /// <summary>Reads one row; null when absent or deleted.</summary>
    Task<OriginRow?> GetAsync(string tenant, string key, CancellationToken cancellationToken);

    /// <summary>
    /// Writes rows, all in one transaction. Each row is applied only when its version is newer than the stored
    /// row's (or the stored deletion's); an older one is skipped, as the cache nodes skip an older write. A row
    /// marked <see cref="OriginRow.Deleted"/> is a delete at its version (a tombstone, as <see cref="DeleteAsync"/>).
    /// </summary>
    Task PutAsync(IReadOnlyList<OriginRow> rows, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes one row at <paramref name="version"/>: applied only when it is newer than the stored row, and
    /// remembered (a tombstone) so that an older write arriving later cannot bring the row back.
    /// </summary>
    /// <returns>True when a row (not deleted) was there before.</returns>
    Task<bool> DeleteAsync(string tenant, string key, OriginVersion version, CancellationToken cancellationToken);
}

/// <summary>One row of the origin's <c>entries</c> table.</summary>
/// <param name="Tenant">Owning tenant.</param>
/// <param name="Key">The user's key (without the tenant's namespace).</param>
/// <param name="IsText">True for a text value (UTF-8), false for binary.</param>
/// <param name="Value">The value's bytes.</param>
/// <param name="UpdatedAt">When the row was last written.</param>
/// <param name="Version">The version of the write that wrote it (<see cref="OriginVersion.None"/> for rows typed in by hand).</param>
/// <param name="Deleted">True for a delete (its value is empty): written as a tombstone.</param>
public sealed record OriginRow(
    string Tenant, string Key, bool IsText, byte[] Value, DateTimeOffset UpdatedAt, OriginVersion Version, bool Deleted = false);
