using Microsoft.Data.Sqlite;

namespace Microservices.Gateway.Origin;

/// <summary>
/// At start: creates the database folder, applies the migrations and opens the pool's minimum connections, then
/// logs where the origin is. A database that cannot be opened stops the gateway from starting.
/// </summary>
public sealed partial class OriginStartup(
    SqliteOriginStore store, ConnectionPool<SqliteConnection> pool, ILogger<OriginStartup> logger) : IHostedService
{
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(store.Location)!);
        var before = await store.MigrateAsync(cancellationToken);
        await pool.WarmUpAsync(cancellationToken);
        LogReady(logger, store.Location, before, SqliteOriginStore.SchemaVersion, pool.GetStats().Total);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "Origin database {Path}: schema version {Before} -> {After}; {Connections} connections open")]
    private static partial void LogReady(ILogger logger, string path, int before, int after, int connections);
}
