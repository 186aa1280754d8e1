using Grpc.Core;
using Microservices.Gateway.Origin;
using Microservices.Gateway.V1;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Microservices.Gateway.Tests;

/// <summary>Cache-aside reads, single-flight, write policies and Delete against a real SQLite file.</summary>
public sealed class OriginTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"origin-{Guid.NewGuid():N}.db");
    private readonly CountingStore _counting = new();
    private readonly GatewayCluster _cluster;

    public OriginTests() : this("CacheOnly")
    {
    }

    private OriginTests(string policy)
    {
        _cluster = new GatewayCluster(settings: new()
        {
            ["Origin:Path"] = _path,
            ["Origin:WritePolicy"] = policy,
        }, services: services => services.AddSingleton<IOriginStore>(sp =>
        {
            _counting.Inner = sp.GetRequiredService<SqliteOriginStore>();
            return _counting;
        }));
        _ = _cluster.GatewayServices;
    }

    public void Dispose()
    {
        _cluster.Dispose();
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
    }

    private V1.Cache.CacheClient Alpha => _cluster.Cache(GatewayCluster.AlphaKey);

    // A tenant whose rate limit never gets in the way of a load test.
    private V1.Cache.CacheClient Bulk => _cluster.Cache(GatewayCluster.BulkKey);

    // Writes a row straight into the file, as a user with sqlite3 would.
    private void InsertRow(string tenant, string key, string value) =>
        Execute("INSERT OR REPLACE INTO entries (tenant, key, kind, value, updated_at) VALUES ($tenant, $key, 'text', $value, 0);", tenant, key, value);

    // The live row's value; null when absent or deleted.
    private string? ReadRow(string tenant, string key) =>
        Execute("SELECT CAST(value AS TEXT) FROM entries WHERE tenant = $tenant AND key = $key AND deleted = 0;", tenant, key) as string;

    // The version timestamp of the row's last write, a delete's included; null when there is no row.
    private long? ReadRowVersion(string tenant, string key) =>
        Execute("SELECT version_ts FROM entries WHERE tenant = $tenant AND key = $key;", tenant, key) as long?;

    private object? Execute(string sql, string tenant, string key, string? value = null)
    {
        using var connection = new SqliteConnection($"Data Source={_path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$key", key);
        if (value is not null)
        {
            command.Parameters.AddWithValue("$value", value);
        }

        return command.ExecuteScalar();
    }

    [Fact]
    public async Task AMissIsLoadedFromTheOriginThenServedFromTheCache()
    {
        InsertRow("alpha", "user:42", "Ada Lovelace");

        var first = await Alpha.GetAsync(new GetRequest { Key = "user:42" });
        Assert.Equal((true, "Ada Lovelace", ValueSource.Origin), (first.Found, first.Text, first.Source));
        Assert.InRange(first.TtlRemaining.ToTimeSpan(), TimeSpan.FromSeconds(3590), TimeSpan.FromSeconds(3600));

        var second = await Alpha.GetAsync(new GetRequest { Key = "user:42" });
        Assert.Equal((true, "Ada Lovelace", ValueSource.Cache), (second.Found, second.Text, second.Source));
        Assert.Equal(first.Version, second.Version);
        Assert.Equal(1, _counting.Gets);

        // Another tenant's namespace: the row is alpha's, so beta misses everywhere.
        var beta = await _cluster.Cache(GatewayCluster.BetaKey).GetAsync(new GetRequest { Key = "user:42" });
        Assert.False(beta.Found);
    }

    [Fact]
    public async Task AnAbsentRowStaysAMiss()
    {
        var reply = await Alpha.GetAsync(new GetRequest { Key = "nobody" });
        Assert.False(reply.Found);
        Assert.Equal(ValueSource.Unspecified, reply.Source);
    }

    [Fact]
    public async Task FiftyConcurrentMissesOfOneKeyMakeOneOriginQuery()
    {
        InsertRow("alpha", "hot", "value");
        _counting.Delay = TimeSpan.FromMilliseconds(300);

        var replies = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Alpha.GetAsync(new GetRequest { Key = "hot" }).ResponseAsync));

        Assert.All(replies, reply => Assert.Equal("value", reply.Text));
        Assert.Equal(1, _counting.Gets);
        Assert.Equal(50, replies.Count(reply => reply.Source == ValueSource.Origin));
    }

    [Fact]
    public async Task AnOriginFailureOnAMissIsUnavailable()
    {
        _counting.Fail = true;
        var error = await Assert.ThrowsAsync<RpcException>(() => Alpha.GetAsync(new GetRequest { Key = "k" }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("origin database failed during Get: disk I/O error (test)", error.Status.Detail);
    }

    [Fact]
    public async Task CacheOnlyPutsLeaveTheOriginAlone()
    {
        await Alpha.PutAsync(new PutRequest { Key = "k", Text = "cached" });
        Assert.Null(ReadRow("alpha", "k"));
        Assert.Equal(ValueSource.Cache, (await Alpha.GetAsync(new GetRequest { Key = "k" })).Source);
    }

    [Fact]
    public async Task DeleteRemovesTheRowAndInvalidatesTheReplicas()
    {
        InsertRow("alpha", "gone", "soon");
        Assert.True((await Alpha.GetAsync(new GetRequest { Key = "gone" })).Found);

        var deleted = await Alpha.DeleteAsync(new DeleteRequest { Key = "gone" });
        Assert.True(deleted.Existed);
        Assert.True(deleted.AcknowledgedBy.Count >= 2);
        Assert.Null(ReadRow("alpha", "gone"));
        Assert.False((await Alpha.GetAsync(new GetRequest { Key = "gone" })).Found);
        Assert.False((await Alpha.DeleteAsync(new DeleteRequest { Key = "gone" })).Existed);
    }

    [Fact]
    public async Task OriginStatsShowThePool()
    {
        var stats = await _cluster.Cluster().GetOriginStatsAsync(new GetOriginStatsRequest());
        Assert.True(stats.Configured);
        Assert.Equal(_path, stats.Path);
        Assert.Equal("CacheOnly", stats.WritePolicy);
        Assert.Equal((2u, 10u), (stats.Pool.MinConnections, stats.Pool.MaxConnections));
        Assert.Equal(stats.Pool.Total, stats.Pool.Active + stats.Pool.Idle);
        Assert.True(stats.Pool.Total >= 2);
    }

    [Fact]
    public async Task WithoutAnOriginDeleteIsAFailedPrecondition()
    {
        using var bare = new GatewayCluster();
        var cache = bare.Cache(GatewayCluster.AlphaKey);
        var error = await Assert.ThrowsAsync<RpcException>(() => cache.DeleteAsync(new DeleteRequest { Key = "k" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("Origin:Path is empty", error.Status.Detail);
        Assert.False((await cache.GetAsync(new GetRequest { Key = "k" })).Found);
        Assert.False((await bare.Cluster().GetOriginStatsAsync(new GetOriginStatsRequest())).Configured);
    }

    public sealed class WriteThrough : IDisposable
    {
        private readonly OriginTests _origin = new("WriteThrough");

        public void Dispose() => _origin.Dispose();

        [Fact]
        public async Task APutWritesTheOriginThenTheCache()
        {
            await _origin.Alpha.PutAsync(new PutRequest { Key = "k", Text = "v1" });
            Assert.Equal("v1", _origin.ReadRow("alpha", "k"));
            var reply = await _origin.Alpha.GetAsync(new GetRequest { Key = "k" });
            Assert.Equal(("v1", ValueSource.Cache), (reply.Text, reply.Source));

            await _origin.Alpha.MultiPutAsync(new MultiPutRequest
            {
                Items = { new PutRequest { Key = "a", Text = "1" }, new PutRequest { Key = "b", Text = "2" } },
            });
            Assert.Equal(("1", "2"), (_origin.ReadRow("alpha", "a"), _origin.ReadRow("alpha", "b")));
        }

        // A write that lost the race at a replica to a newer write of its key is ABORTED: an outcome here, not a fault.
        private static async Task WinOrLoseAsync(Task write)
        {
            try
            {
                await write;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Aborted)
            {
            }
        }

        [Fact]
        public async Task ConcurrentPutsMultiPutsAndDeletesOfOneKeyLeaveTheCacheAndTheOriginEqual()
        {
            var disagreements = new List<string>();
            for (var round = 0; round < 60; round++)
            {
                var key = $"race:{round}";
                await Task.WhenAll(Enumerable.Range(0, 6).Select(i => WinOrLoseAsync((i % 3) switch
                {
                    0 => (Task)_origin.Bulk.PutAsync(new PutRequest { Key = key, Text = $"put-{i}", Consistency = Consistency.All }).ResponseAsync,
                    1 => _origin.Bulk.MultiPutAsync(new MultiPutRequest
                    {
                        Items = { new PutRequest { Key = key, Text = $"multi-{i}" } },
                        Consistency = Consistency.All,
                    }).ResponseAsync,
                    _ => _origin.Bulk.DeleteAsync(new DeleteRequest { Key = key }).ResponseAsync,
                })));

                // At ALL the newest cached version is seen; a cached tombstone is a miss that loads the origin's row.
                var cached = await _origin.Bulk.GetAsync(new GetRequest { Key = key, Consistency = Consistency.All });
                var row = _origin.ReadRow("bulk", key);
                var cache = cached.Found ? $"{cached.Text} ({cached.Source})" : "none";
                if (row is null ? cached.Found : (cached.Text, cached.Source, cached.Version.Timestamp) != (row, ValueSource.Cache, _origin.ReadRowVersion("bulk", key)))
                {
                    disagreements.Add($"{key}: cache {cache}, origin {row ?? "none"}");
                }
            }

            Assert.Empty(disagreements);
        }

        [Fact]
        public async Task MissesLoadedWhileAPutIsUnderWayLeaveTheCacheAndTheOriginEqual()
        {
            var disagreements = new List<string>();
            for (var round = 0; round < 60; round++)
            {
                var key = $"load:{round}";
                await _origin.Bulk.PutAsync(new PutRequest { Key = key, Text = "old", Consistency = Consistency.All });
                await _origin.Bulk.InvalidateAsync(new InvalidateRequest { Key = key, Consistency = Consistency.All });

                // The misses load the row while the Put writes it: a load must not put back the value it replaces.
                await Task.WhenAll(Enumerable.Range(0, 4).Select(i => i == 0
                    ? (Task)_origin.Bulk.PutAsync(new PutRequest { Key = key, Text = "new", Consistency = Consistency.All }).ResponseAsync
                    : _origin.Bulk.GetAsync(new GetRequest { Key = key, Consistency = Consistency.All }).ResponseAsync));

                var cached = await _origin.Bulk.GetAsync(new GetRequest { Key = key, Consistency = Consistency.All });
                if ((cached.Text, cached.Source) != ("new", ValueSource.Cache))
                {
                    disagreements.Add($"{key}: cache {cached.Text} ({cached.Source}), origin {_origin.ReadRow("bulk", key)}");
                }
            }

            Assert.Empty(disagreements);
        }

        [Fact]
        public async Task WhenTheOriginFailsTheCacheIsNotTouched()
        {
            _origin._counting.Fail = true;
            var error = await Assert.ThrowsAsync<RpcException>(
                () => _origin.Alpha.PutAsync(new PutRequest { Key = "k", Text = "lost" }).ResponseAsync);
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
            Assert.Contains("origin database failed during Put", error.Status.Detail);

            _origin._counting.Fail = false;
            Assert.False((await _origin.Alpha.GetAsync(new GetRequest { Key = "k" })).Found);
            Assert.Null(_origin.ReadRow("alpha", "k"));
        }
    }

    /// <summary>The real store, with its reads counted and failures on demand.</summary>
    private sealed class CountingStore : IOriginStore
    {
        private int _gets;

        public SqliteOriginStore Inner { get; set; } = null!;

        public int Gets => Volatile.Read(ref _gets);

        public TimeSpan Delay { get; set; }

        public volatile bool Fail;

        public string Location => Inner.Location;

        public Origin.PoolStats PoolStats => Inner.PoolStats;

        public async Task<OriginRow?> GetAsync(string tenant, string key, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _gets);
            await Task.Delay(Delay, cancellationToken);
            ThrowIfFailing();
            return await Inner.GetAsync(tenant, key, cancellationToken);
        }

        public Task PutAsync(IReadOnlyList<OriginRow> rows, CancellationToken cancellationToken)
        {
            ThrowIfFailing();
            return Inner.PutAsync(rows, cancellationToken);
        }

        public Task<bool> DeleteAsync(string tenant, string key, OriginVersion version, CancellationToken cancellationToken)
        {
            ThrowIfFailing();
            return Inner.DeleteAsync(tenant, key, version, cancellationToken);
        }

        private void ThrowIfFailing()
        {
            if (Fail)
            {
                throw new SqliteException("disk I/O error (test)", 10);
            }
        }
    }
}
