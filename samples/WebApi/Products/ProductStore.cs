using System.Globalization;
using Microservices.Samples.WebApi.Telemetry;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Microservices.Samples.WebApi.Products;

/// <summary>
/// The catalog's database: a SQLite file with one table, <c>products (id, name, price, updated_at)</c>, the origin that
/// the cache stands in front of. Each call opens a connection from Microsoft.Data.Sqlite's own pool. Every read is a
/// <c>catalog.load</c> span, so a trace shows whether a request reached the database.
/// </summary>
internal sealed class ProductStore(IOptions<CatalogOptions> options, IHostEnvironment environment, TimeProvider time)
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = Path.GetFullPath(options.Value.DatabasePath, environment.ContentRootPath),
        Mode = SqliteOpenMode.ReadWriteCreate,
    }.ToString();

    /// <summary>
    /// Creates the file, its folder and the table when missing, and the first products when their ids are free (a
    /// product changed by a PUT keeps its change across restarts).
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(new SqliteConnectionStringBuilder(_connectionString).DataSource)!);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price TEXT NOT NULL, updated_at TEXT NOT NULL);
            INSERT OR IGNORE INTO products (id, name, price, updated_at) VALUES
              (1, 'Espresso machine', '249.00', $now), (2, 'Coffee grinder', '89.50', $now), (3, 'Milk frother', '39.90', $now),
              (4, 'Pour-over kettle', '54.00', $now), (5, 'Coffee beans, 1 kg', '21.00', $now);
            """;
        command.Parameters.AddWithValue("$now", Now());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The product <paramref name="id"/>, or null when there is none.</summary>
    public async Task<Product?> FindAsync(int id, CancellationToken cancellationToken)
    {
        using var span = CatalogTelemetry.Source.StartActivity("catalog.load");
        span?.SetTag("product.id", id);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, price, updated_at FROM products WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Product(id, reader.GetString(0), reader.GetDecimal(1), DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture))
            : null;
    }

    /// <summary>Writes product <paramref name="id"/> (a new one, or a change) and returns it as stored.</summary>
    public async Task<Product> SaveAsync(int id, string name, decimal price, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO products (id, name, price, updated_at) VALUES ($id, $name, $price, $now)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, price = excluded.price, updated_at = excluded.updated_at
            """;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$price", price.ToString(CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$now", now);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return new Product(id, name, price, DateTimeOffset.Parse(now, CultureInfo.InvariantCulture));
    }

    private string Now() => time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
