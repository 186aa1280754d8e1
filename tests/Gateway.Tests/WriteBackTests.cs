using Grpc.Core;
using Microservices.Gateway.Origin;
using Microservices.Gateway.V1;
using Microservices.Gateway.WriteBack;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microservices.Gateway.Tests;

/// <summary>Origin:WritePolicy=WriteBack through the gateway's API: the log, the flusher, backpressure, recovery.</summary>
public sealed class WriteBackTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"writeback-{Guid.NewGuid():N}");
    private readonly GatedStore _store = new();
    private GatewayCluster _cluster;

    public WriteBackTests() => _cluster = Start();

    private string OriginPath => Path.Combine(_folder, "origin.db");

    private V1.Cache.CacheClient Alpha => _cluster.Cache(GatewayCluster.AlphaKey);

    private V1.Cache.CacheClient Bulk => _cluster.Cache(GatewayCluster.BulkKey);

    private WriteBackLog Log => _cluster.GatewayServices.GetRequiredService<WriteBackLog>();

    public void Dispose()
    {
        _cluster.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private GatewayCluster Start(Dictionary<string, string?>? settings = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["Origin:Path"] = OriginPath,
            ["Origin:WritePolicy"] = "WriteBack",
            ["Origin:WriteBack:Path"] = Path.Combine(_folder, "log"),
            ["Origin:WriteBack:LagThreshold"] = "00:00:05",
        };
        foreach (var (key, value) in settings ?? [])
        {
            config[key] = value;
        }

        var cluster = new GatewayCluster(settings: config, services: services => services.AddSingleton<IOriginStore>(sp =>
        {
            _store.Inner = sp.GetRequiredService<SqliteOriginStore>();
            return _store;
        }));
        _ = cluster.GatewayServices;
        return cluster;
    }

    // Advances the gateway's clock (the flusher's backoff runs on it) until the log is empty.
    private Task DrainAsync() => _cluster.AdvanceUntilAsync(() => Task.FromResult(Log.Depth == 0), TimeSpan.FromSeconds(1), maxSteps: 300);

    private string? ReadRow(string tenant, string key) =>
        Query("SELECT CAST(value AS TEXT) FROM entries WHERE tenant = $tenant AND key = $key AND deleted = 0;", tenant, key) as string;

    private long? ReadRowVersion(string tenant, string key) =>
        Query("SELECT version_ts FROM entries WHERE tenant = $tenant AND key = $key;", tenant, key) as long?;

    private object? Query(string sql, string tenant, string key, string? value = null)
    {
        using var connection = new SqliteConnection($"Data Source={OriginPath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value ?? string.Empty);
        return command.ExecuteScalar();
    }

    [Fact]
    public async Task APutIsAcknowledgedFromTheLogAndReachesTheOriginWhenFlushed()
    {
        _store.Closed = true;
        await Alpha.PutAsync(new PutRequest { Key = "k", Text = "v1" });
        Assert.Null(ReadRow("alpha", "k"));
        Assert.Equal(1, Log.Depth);
        var cached = await Alpha.GetAsync(new GetRequest { Key = "k" });
        Assert.Equal(("v1", ValueSource.Cache), (cached.Text, cached.Source));

        _store.Closed = false;
        await DrainAsync();
        Assert.Equal("v1", ReadRow("alpha", "k"));
        var stats = await _cluster.Cluster().GetOriginStatsAsync(new GetOriginStatsRequest());
        Assert.Equal(("WriteBack", 0ul, 1ul), (stats.WritePolicy, stats.WriteBack.Depth, stats.WriteBack.FlushedSequence));
    }

    [Fact]
    public async Task AMissReadsAWriteStillInTheLogRatherThanTheOriginsOlderRow()
    {
        Query("INSERT INTO entries (tenant, key, kind, value, updated_at) VALUES ($tenant, $key, 'text', $value, 0);", "alpha", "user", "old");
        Query("INSERT INTO entries (tenant, key, kind, value, updated_at) VALUES ($tenant, $key, 'text', $value, 0);", "alpha", "gone", "old");
        _store.Closed = true;
        await Alpha.PutAsync(new PutRequest { Key = "user", Text = "new" });
        Assert.True((await Alpha.DeleteAsync(new DeleteRequest { Key = "gone" })).Existed);
        await Alpha.InvalidateAsync(new InvalidateRequest { Key = "user", Consistency = Consistency.All });
        await Alpha.InvalidateAsync(new InvalidateRequest { Key = "gone", Consistency = Consistency.All });

        var user = await Alpha.GetAsync(new GetRequest { Key = "user" });
        Assert.Equal((true, "new", ValueSource.Origin), (user.Found, user.Text, user.Source));
        Assert.False((await Alpha.GetAsync(new GetRequest { Key = "gone" })).Found);
        Assert.Equal("old", ReadRow("alpha", "user"));
    }

    [Fact]
    public async Task ConcurrentWritesOfAKeyEndWithTheNewestVersionInTheOriginAndTheCache()
    {
        var disagreements = new List<string>();
        for (var round = 0; round < 20; round++)
        {
            var key = $"race:{round}";
            var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
            {
                try
                {
                    var reply = await Bulk.PutAsync(new PutRequest { Key = key, Text = $"put-{i}", Consistency = Consistency.All });
                    return (Text: $"put-{i}", reply.Version.Timestamp);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Aborted)
                {
                    return (Text: (string?)null, Timestamp: 0L);
                }
            }));

            await DrainAsync();
            var newest = replies.MaxBy(reply => reply.Timestamp);
            var cached = await Bulk.GetAsync(new GetRequest { Key = key, Consistency = Consistency.All });
            var row = (ReadRow("bulk", key), ReadRowVersion("bulk", key));
            if (row != (newest.Text, newest.Timestamp) || cached.Text != newest.Text)
            {
                disagreements.Add($"{key}: newest acknowledged {newest.Text}, cache {cached.Text}, origin {row}");
            }
        }

        Assert.Empty(disagreements);
    }

    [Fact]
    public async Task WritesMadeWhileTheOriginIsDownAllLandWhenItIsBack()
    {
        _store.Closed = true;
        for (var i = 0; i < 40; i++)
        {
            await Bulk.PutAsync(new PutRequest { Key = $"k{i}", Text = $"v{i}" });
        }

        await Bulk.DeleteAsync(new DeleteRequest { Key = "k7" });
        await Bulk.MultiPutAsync(new MultiPutRequest { Items = { new PutRequest { Key = "k8", Text = "again" } } });
        await _cluster.AdvanceUntilAsync(() => Task.FromResult(_store.Refused >= 3), TimeSpan.FromSeconds(1));
        _cluster.Time.Advance(TimeSpan.FromSeconds(6));
        var health = await _cluster.GatewayServices.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Name == "writeback");
        Assert.Equal(HealthStatus.Degraded, health.Status);

        _store.Closed = false;
        await DrainAsync();
        var rows = Enumerable.Range(0, 40).Select(i => ReadRow("bulk", $"k{i}")).ToArray();
        Assert.Equal(Enumerable.Range(0, 40).Select(i => i switch { 7 => null, 8 => "again", _ => $"v{i}" }), rows);
        health = await _cluster.GatewayServices.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Name == "writeback");
        Assert.Equal(HealthStatus.Healthy, health.Status);
    }

    [Fact]
    public async Task AFullLogRefusesWithRetryAfterAndLosesNothing()
    {
        _cluster.Dispose();
        _cluster = Start(new() { ["Origin:WriteBack:MaxEntries"] = "5" });
        _store.Closed = true;
        for (var i = 0; i < 5; i++)
        {
            await Alpha.PutAsync(new PutRequest { Key = $"k{i}", Text = $"v{i}" });
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => Alpha.PutAsync(new PutRequest { Key = "k5", Text = "v5" }).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("Origin:WriteBack:MaxEntries 5", error.Status.Detail);
        Assert.NotNull(error.Trailers.GetValue("retry-after"));
        Assert.False((await Alpha.GetAsync(new GetRequest { Key = "k5" })).Found);

        _store.Closed = false;
        await DrainAsync();
        Assert.Equal(["v0", "v1", "v2", "v3", "v4"], Enumerable.Range(0, 5).Select(i => ReadRow("alpha", $"k{i}")));
        await Alpha.PutAsync(new PutRequest { Key = "k5", Text = "v5" });
        await DrainAsync();
        Assert.Equal("v5", ReadRow("alpha", "k5"));
    }

    [Fact]
    public async Task DeletesGoThroughTheLogInOrderWithPuts()
    {
        _store.Closed = true;
        await Alpha.PutAsync(new PutRequest { Key = "a", Text = "1" });
        var deleted = await Alpha.DeleteAsync(new DeleteRequest { Key = "a" });
        await Alpha.PutAsync(new PutRequest { Key = "b", Text = "1" });
        await Alpha.DeleteAsync(new DeleteRequest { Key = "b" });
        await Alpha.PutAsync(new PutRequest { Key = "b", Text = "2" });
        Assert.True(deleted.Existed);
        Assert.False((await Alpha.DeleteAsync(new DeleteRequest { Key = "a" })).Existed);

        _store.Closed = false;
        await DrainAsync();
        Assert.Equal(((string?)null, "2"), (ReadRow("alpha", "a"), ReadRow("alpha", "b")));
        Assert.NotNull(ReadRowVersion("alpha", "a"));
    }

    [Fact]
    public async Task WritesLoggedBeforeARestartReachTheOriginAfterIt()
    {
        _store.Closed = true;
        await Alpha.PutAsync(new PutRequest { Key = "kept", Text = "through a restart" });
        _cluster.Dispose();

        _store.Closed = false;
        _cluster = Start();
        await DrainAsync();
        Assert.Equal("through a restart", ReadRow("alpha", "kept"));
    }

    [Fact]
    public async Task TwoGatewaysEachFlushingItsOwnLogLeaveTheNewestVersionInTheOrigin()
    {
        // A second gateway over the same origin database, with its own log, nodes and clock; its clock is a minute
        // ahead, so its write is the newer one even though the first gateway's reaches the origin last.
        using var second = new GatewayCluster(settings: new()
        {
            ["Origin:Path"] = OriginPath,
            ["Origin:WritePolicy"] = "WriteBack",
            ["Origin:WriteBack:Path"] = Path.Combine(_folder, "second-log"),
            ["Gateway:GatewayId"] = "gateway-2",
        });
        second.Time.Advance(TimeSpan.FromMinutes(1));
        await second.Cache(GatewayCluster.AlphaKey).PutAsync(new PutRequest { Key = "k", Text = "newer, flushed first" });
        var secondLog = second.GatewayServices.GetRequiredService<WriteBackLog>();
        await second.AdvanceUntilAsync(() => Task.FromResult(secondLog.Depth == 0), TimeSpan.FromSeconds(1));
        Assert.Equal("newer, flushed first", ReadRow("alpha", "k"));

        await Alpha.PutAsync(new PutRequest { Key = "k", Text = "older, flushed last" });
        await DrainAsync();
        Assert.Equal(0, Log.Depth);
        Assert.Equal("newer, flushed first", ReadRow("alpha", "k"));
    }

    /// <summary>The real store, whose writes fail while <see cref="Closed"/> is set (the origin down for writes); reads pass.</summary>
    private sealed class GatedStore : IOriginStore
    {
        private int _refused;

        public SqliteOriginStore Inner { get; set; } = null!;

        public volatile bool Closed;

        public int Refused => Volatile.Read(ref _refused);

        public string Location => Inner.Location;

        public Origin.PoolStats PoolStats => Inner.PoolStats;

        public Task<OriginRow?> GetAsync(string tenant, string key, CancellationToken cancellationToken) => Inner.GetAsync(tenant, key, cancellationToken);

        public Task PutAsync(IReadOnlyList<OriginRow> rows, CancellationToken cancellationToken)
        {
            if (Closed)
            {
                Interlocked.Increment(ref _refused);
                throw new SqliteException("database is locked (test)", 5);
            }

            return Inner.PutAsync(rows, cancellationToken);
        }

        public Task<bool> DeleteAsync(string tenant, string key, OriginVersion version, CancellationToken cancellationToken) =>
            Inner.DeleteAsync(tenant, key, version, cancellationToken);
    }
}
