using System.Data;
using Microsoft.Data.Sqlite;

namespace Microservices.Gateway.Origin;

/// <summary>
/// Opens SQLite connections with Microsoft.Data.Sqlite's own pooling off (<c>Pooling=False</c>), so that
/// <see cref="ConnectionPool{T}"/> is the only pool, in WAL mode with a busy timeout.
/// </summary>
public sealed class SqliteConnectionFactory(string path) : IConnectionFactory<SqliteConnection>
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = false,
    }.ToString();

    /// <inheritdoc />
    public async ValueTask<SqliteConnection> CreateAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var pragmas = connection.CreateCommand();
            pragmas.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;";
            await pragmas.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public bool IsUsable(SqliteConnection connection) => connection.State == ConnectionState.Open;

    /// <inheritdoc />
    public ValueTask DestroyAsync(SqliteConnection connection) => connection.DisposeAsync();
}
