using Microservices.Gateway.Origin;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Microservices.Gateway.Tests;

/// <summary>The SQLite origin's versioned writes, deletes and migrations, on a real file.</summary>
public sealed class OriginStoreTests : IAsyncDisposable
{
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"origin-store-{Guid.NewGuid():N}.db");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero));
    private readonly ConnectionPool<SqliteConnection> _pool;
    private readonly SqliteOriginStore _store;

    public OriginStoreTests()
    {
        _pool = new ConnectionPool<SqliteConnection>(new SqliteConnectionFactory(_path), new ConnectionPoolOptions { MinConnections = 0 }, _time);
        _store = new SqliteOriginStore(_pool, _path, _time, Retention);
    }

    public async ValueTask DisposeAsync()
    {
        await _pool.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
    }

    private static OriginVersion V(long timestamp, string writer = "gateway-1") => new(timestamp, writer);

    private OriginRow Row(string value, OriginVersion version) =>
        new("t", "k", true, System.Text.Encoding.UTF8.GetBytes(value), _time.GetUtcNow(), version);

    private async Task<string?> ValueAsync() =>
        await _store.GetAsync("t", "k", CancellationToken.None) is { } row ? System.Text.Encoding.UTF8.GetString(row.Value) : null;

    [Fact]
    public async Task AnOlderWriteArrivingAfterANewerOneIsSkipped()
    {
        await _store.MigrateAsync(CancellationToken.None);
        await _store.PutAsync([Row("B", V(20))], CancellationToken.None);
        await _store.PutAsync([Row("A", V(10))], CancellationToken.None);
        await _store.PutAsync([Row("A'", V(20, "gateway-0"))], CancellationToken.None);

        var row = await _store.GetAsync("t", "k", CancellationToken.None);
        Assert.Equal(("B", V(20)), (System.Text.Encoding.UTF8.GetString(row!.Value), row.Version));

        // The same timestamp from a writer that sorts later wins, as on the cache nodes.
        await _store.PutAsync([Row("C", V(20, "gateway-2"))], CancellationToken.None);
        Assert.Equal("C", await ValueAsync());
    }

    [Fact]
    public async Task ADeleteKeepsItsVersionSoAnOlderWriteCannotBringTheRowBack()
    {
        await _store.MigrateAsync(CancellationToken.None);
        await _store.PutAsync([Row("A", V(10))], CancellationToken.None);
        Assert.True(await _store.DeleteAsync("t", "k", V(30), CancellationToken.None));

        await _store.PutAsync([Row("late", V(20))], CancellationToken.None);
        Assert.Null(await ValueAsync());
        Assert.False(await _store.DeleteAsync("t", "k", V(40), CancellationToken.None));

        await _store.PutAsync([Row("again", V(50))], CancellationToken.None);
        Assert.Equal("again", await ValueAsync());

        // An older delete does not remove a newer row.
        Assert.True(await _store.DeleteAsync("t", "k", V(45), CancellationToken.None));
        Assert.Equal("again", await ValueAsync());
    }

    [Fact]
    public async Task TombstonesArePurgedAfterTheRetention()
    {
        await _store.MigrateAsync(CancellationToken.None);
        await _store.DeleteAsync("t", "k", V(30), CancellationToken.None);
        _time.Advance(Retention - TimeSpan.FromSeconds(1));
        await _store.DeleteAsync("t", "other", V(31), CancellationToken.None);
        Assert.Equal(2L, await CountRowsAsync());

        _time.Advance(TimeSpan.FromSeconds(2));
        await _store.DeleteAsync("t", "other", V(32), CancellationToken.None);
        Assert.Equal(1L, await CountRowsAsync());
    }

    [Fact]
    public async Task AFileOfSchemaOneIsMigratedAndItsRowsAreOlderThanAnyWrite()
    {
        await using (var connection = new SqliteConnection($"Data Source={_path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE entries (tenant TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('text', 'binary')),
                    value BLOB NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (tenant, key)) WITHOUT ROWID;
                INSERT INTO entries VALUES ('t', 'k', 'text', 'by hand', 0);
                PRAGMA user_version = 1;
                """;
            await command.ExecuteNonQueryAsync();
        }

        Assert.Equal(1, await _store.MigrateAsync(CancellationToken.None));
        var row = await _store.GetAsync("t", "k", CancellationToken.None);
        Assert.Equal(("by hand", OriginVersion.None), (System.Text.Encoding.UTF8.GetString(row!.Value), row.Version));

        await _store.PutAsync([Row("written", V(1))], CancellationToken.None);
        Assert.Equal("written", await ValueAsync());
        Assert.Equal(SqliteOriginStore.SchemaVersion, await _store.MigrateAsync(CancellationToken.None));
    }

    private async Task<long> CountRowsAsync()
    {
        await using var lease = await _pool.AcquireAsync();
        await using var command = lease.Connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM entries;";
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
