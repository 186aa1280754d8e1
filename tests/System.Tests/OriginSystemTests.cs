using Microservices.Gateway.V1;
using Microsoft.Data.Sqlite;

namespace Microservices.SystemTests;

/// <summary>Cache-aside through the AppHost: rows typed into the gateway's SQLite file are served by Get.</summary>
[Collection(AppHostTests.Name)]
public sealed class OriginSystemTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private Cluster.ClusterClient Admin => fixture.Gateway(i => new Cluster.ClusterClient(i), apiKey: "dev-admin-key");

    private Gateway.V1.Cache.CacheClient Cache => fixture.Gateway(i => new Gateway.V1.Cache.CacheClient(i));

    // What a user does with `sqlite3 .data/origin.db "INSERT INTO entries ..."`, through this AppHost's file.
    private async Task InsertRowAsync(string key, string value)
    {
        var stats = await Admin.GetOriginStatsAsync(new GetOriginStatsRequest()).ResponseAsync.WaitAsync(Timeout);
        Assert.True(stats.Configured);
        Assert.Equal(Path.Combine(fixture.DataFolder, "origin.db"), stats.Path);
        await using var connection = new SqliteConnection($"Data Source={stats.Path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO entries (tenant, key, kind, value, updated_at) VALUES ('dev', $key, 'text', $value, 0);";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task ARowInTheOriginIsServedFromTheOriginThenFromTheCache()
    {
        var key = $"origin-{Guid.NewGuid():N}";
        await InsertRowAsync(key, "from sqlite");

        var first = await Cache.GetAsync(new GetRequest { Key = key }).ResponseAsync.WaitAsync(Timeout);
        var second = await Cache.GetAsync(new GetRequest { Key = key }).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(("from sqlite", ValueSource.Origin), (first.Text, first.Source));
        Assert.Equal(("from sqlite", ValueSource.Cache), (second.Text, second.Source));
    }

    [Fact]
    public async Task FiftyConcurrentMissesMakeOneOriginQuery()
    {
        var key = $"hot-{Guid.NewGuid():N}";
        await InsertRowAsync(key, "shared");
        var before = await Admin.GetOriginStatsAsync(new GetOriginStatsRequest()).ResponseAsync.WaitAsync(Timeout);

        var replies = await Task.WhenAll(Enumerable.Range(0, 50)
            .Select(_ => Cache.GetAsync(new GetRequest { Key = key }).ResponseAsync.WaitAsync(Timeout)));

        var after = await Admin.GetOriginStatsAsync(new GetOriginStatsRequest()).ResponseAsync.WaitAsync(Timeout);
        Assert.All(replies, reply => Assert.Equal("shared", reply.Text));
        Assert.Equal(1UL, after.Loads - before.Loads);

        // Those that missed joined the one query; the rest came after the populate and hit the cache.
        var fromOrigin = replies.Count(reply => reply.Source == ValueSource.Origin);
        Assert.Equal((ulong)(fromOrigin - 1), after.SharedLoads - before.SharedLoads);
    }
}
