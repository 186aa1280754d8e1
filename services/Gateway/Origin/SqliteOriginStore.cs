using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Microservices.Gateway.Origin;

/// <summary>
/// The origin as a SQLite file, reached only through a <see cref="ConnectionPool{T}"/>. Schema (migration 1):
/// <c>entries(tenant, key, kind 'text'|'binary', value BLOB, updated_at unix ms, PRIMARY KEY (tenant, key))</c>;
/// migration 2 adds the version of the row's last write (<c>version_ts</c>, <c>version_writer</c>) and
/// <c>deleted</c>: a deleted row stays as a tombstone for <paramref name="tombstoneRetention"/>, so that an older
/// write arriving late is refused, then is purged by a later Delete. Migrations are numbered and recorded in
/// <c>PRAGMA user_version</c>, so a later schema upgrades an existing file. Every query runs in a span
/// (<c>origin.get</c>, <c>origin.put</c>, <c>origin.delete</c>), since SQLite has no instrumentation of its own, and
/// each committed write is counted in <paramref name="telemetry"/> when given.
/// </summary>
public sealed class SqliteOriginStore(
    ConnectionPool<SqliteConnection> pool, string path, TimeProvider time, TimeSpan tombstoneRetention, OriginTelemetry? telemetry = null)
    : IOriginStore
{
    // Applied only when the incoming version is newer than the stored one (row values compare as the cache
    // nodes do: timestamp, then writer).
    private const string NewerOnly = "WHERE (entries.version_ts, entries.version_writer) < (excluded.version_ts, excluded.version_writer)";

    // Append only: each string is one migration; its position + 1 is the schema version it brings.
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE entries (
            tenant     TEXT    NOT NULL,
            key        TEXT    NOT NULL,
            kind       TEXT    NOT NULL CHECK (kind IN ('text', 'binary')),
            value      BLOB    NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (tenant, key)
        ) WITHOUT ROWID;
        """,
        """
        ALTER TABLE entries ADD COLUMN version_ts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE entries ADD COLUMN version_writer TEXT NOT NULL DEFAULT '';
        ALTER TABLE entries ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1));
        CREATE INDEX entries_tombstones ON entries (updated_at) WHERE deleted = 1;
        """,
    ];

    /// <summary>The schema version this code expects.</summary>
    public static int SchemaVersion => Migrations.Length;

    /// <inheritdoc />
    public string Location => path;

    /// <inheritdoc />
    public PoolStats PoolStats => pool.GetStats();

    /// <summary>Applies the migrations the file does not have yet, each in its own transaction.</summary>
    /// <returns>The version the file had before.</returns>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var lease = await pool.AcquireAsync(cancellationToken);
        var connection = lease.Connection;
        await using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA user_version;";
        var before = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        for (var version = before + 1; version <= Migrations.Length; version++)
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await using var migrate = connection.CreateCommand();
            migrate.Transaction = transaction;
            migrate.CommandText = $"{Migrations[version - 1]}\nPRAGMA user_version = {version};";
            await migrate.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        return before;
    }

    /// <inheritdoc />
    public Task<OriginRow?> GetAsync(string tenant, string key, CancellationToken cancellationToken) =>
        QueryAsync("origin.get", "SELECT", async (connection, activity) =>
        {
            await using var command = KeyCommand(connection,
                "SELECT kind, value, updated_at, version_ts, version_writer FROM entries WHERE tenant = $tenant AND key = $key AND deleted = 0;",
                tenant, key);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var found = await reader.ReadAsync(cancellationToken);
            activity?.SetTag("origin.found", found);
            if (!found)
            {
                return null;
            }

            // Rows typed in by hand (sqlite3) may hold the value as TEXT; it is the same UTF-8 bytes.
            var value = reader.GetValue(1) switch
            {
                byte[] bytes => bytes,
                var other => System.Text.Encoding.UTF8.GetBytes(Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty),
            };
            return new OriginRow(tenant, key, reader.GetString(0) == "text", value, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                new OriginVersion(reader.GetInt64(3), reader.GetString(4)));
        }, cancellationToken);

    /// <inheritdoc />
    public Task PutAsync(IReadOnlyList<OriginRow> rows, CancellationToken cancellationToken) =>
        QueryAsync("origin.put", "INSERT", async (connection, activity) =>
        {
            activity?.SetTag("origin.rows", rows.Count);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await using var command = WriteCommand(connection, transaction);
            var deletes = false;
            foreach (var row in rows)
            {
                Bind(command, row.Tenant, row.Key, row.UpdatedAt, row.Version);
                command.Parameters["$kind"].Value = row.IsText ? "text" : "binary";
                command.Parameters["$value"].Value = row.Deleted ? Array.Empty<byte>() : row.Value;
                command.Parameters["$deleted"].Value = row.Deleted ? 1 : 0;
                deletes |= row.Deleted;
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            if (deletes)
            {
                await PurgeAsync(connection, transaction, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            telemetry?.RecordWrite(rows.Count);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string tenant, string key, OriginVersion version, CancellationToken cancellationToken) =>
        QueryAsync("origin.delete", "DELETE", async (connection, _) =>
        {
            var now = time.GetUtcNow();
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await using var read = KeyCommand(connection, "SELECT 1 FROM entries WHERE tenant = $tenant AND key = $key AND deleted = 0;", tenant, key);
            read.Transaction = transaction;
            var existed = await read.ExecuteScalarAsync(cancellationToken) is not null;

            await using var write = WriteCommand(connection, transaction);
            Bind(write, tenant, key, now, version);
            write.Parameters["$deleted"].Value = 1;
            await write.ExecuteNonQueryAsync(cancellationToken);
            await PurgeAsync(connection, transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            telemetry?.RecordWrite(1);
            return existed;
        }, cancellationToken);

    // Tombstones older than the retention can no longer meet a write older than themselves: purged by each delete.
    private async Task PurgeAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        await using var purge = connection.CreateCommand();
        purge.Transaction = transaction;
        purge.CommandText = "DELETE FROM entries WHERE deleted = 1 AND updated_at < $cutoff;";
        purge.Parameters.AddWithValue("$cutoff", (time.GetUtcNow() - tombstoneRetention).ToUnixTimeMilliseconds());
        await purge.ExecuteNonQueryAsync(cancellationToken);
    }

    // An upsert of one row (a value, or a tombstone with an empty value: $deleted 1) that applies only over an older version.
    private static SqliteCommand WriteCommand(SqliteConnection connection, SqliteTransaction transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            INSERT INTO entries (tenant, key, kind, value, updated_at, version_ts, version_writer, deleted)
            VALUES ($tenant, $key, $kind, $value, $updated, $version_ts, $version_writer, $deleted)
            ON CONFLICT (tenant, key) DO UPDATE SET kind = excluded.kind, value = excluded.value, updated_at = excluded.updated_at,
                version_ts = excluded.version_ts, version_writer = excluded.version_writer, deleted = excluded.deleted
            {NewerOnly};
            """;
        command.Parameters.Add("$tenant", SqliteType.Text);
        command.Parameters.Add("$key", SqliteType.Text);
        command.Parameters.Add("$kind", SqliteType.Text).Value = "text";
        command.Parameters.Add("$value", SqliteType.Blob).Value = Array.Empty<byte>();
        command.Parameters.Add("$updated", SqliteType.Integer);
        command.Parameters.Add("$version_ts", SqliteType.Integer);
        command.Parameters.Add("$version_writer", SqliteType.Text);
        command.Parameters.Add("$deleted", SqliteType.Integer).Value = 0;
        return command;
    }

    private static void Bind(SqliteCommand command, string tenant, string key, DateTimeOffset updatedAt, OriginVersion version)
    {
        command.Parameters["$tenant"].Value = tenant;
        command.Parameters["$key"].Value = key;
        command.Parameters["$updated"].Value = updatedAt.ToUnixTimeMilliseconds();
        command.Parameters["$version_ts"].Value = version.Timestamp;
        command.Parameters["$version_writer"].Value = version.Writer;
    }

    // One query on a pooled connection, in its span. A failed command leaves the connection in doubt: it is
    // closed on return and a fresh one opened.
    private async Task<T> QueryAsync<T>(
        string name, string operation, Func<SqliteConnection, Activity?, Task<T>> query, CancellationToken cancellationToken)
    {
        using var activity = GatewayTelemetry.Source.StartActivity(name, ActivityKind.Client);
        activity?.SetTag("db.system.name", "sqlite");
        activity?.SetTag("db.operation.name", operation);
        activity?.SetTag("db.collection.name", "entries");
        await using var lease = await pool.AcquireAsync(cancellationToken);
        try
        {
            return await query(lease.Connection, activity);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            lease.MarkBroken();
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.SetTag("error.type", ex.GetType().Name);
            throw;
        }
    }

    private static SqliteCommand KeyCommand(SqliteConnection connection, string sql, string tenant, string key)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$key", key);
        return command;
    }
}
