using System.Text.Json;
using Microservices.Gateway.V1;

namespace Microservices.SystemTests;

/// <summary>One client call through the gateway is one trace in the dashboard, read through its telemetry HTTP API.</summary>
[Collection(DashboardAppHostTests.Name)]
public sealed class TraceSystemTests(DashboardAppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task APutAndAGetAreEachOneTraceAcrossTheServices()
    {
        var cache = fixture.Gateway(i => new Gateway.V1.Cache.CacheClient(i));
        var key = $"traced-{Guid.NewGuid():N}";
        await cache.PutAsync(new PutRequest { Key = key, Text = "v" }).ResponseAsync.WaitAsync(Timeout);
        await cache.GetAsync(new GetRequest { Key = key }).ResponseAsync.WaitAsync(Timeout);
        var keyHash = System.IO.Hashing.XxHash3.HashToUInt64(System.Text.Encoding.UTF8.GetBytes($"dev/{key}"))
            .ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

        using var http = new HttpClient { BaseAddress = fixture.DashboardUrl };
        Dictionary<string, HashSet<string>> traces = [];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var spans = await ReadSpansAsync(http);
            var ours = spans.Where(s => s.Attributes.GetValueOrDefault("cache.key_hash") == keyHash).ToList();
            traces = ours.Select(s => s.TraceId).Distinct()
                .ToDictionary(id => id, id => spans.Where(s => s.TraceId == id).Select(s => s.Service).ToHashSet());
            // Each service exports its spans in its own batches, so a trace is complete only once all have arrived.
            if (ours.Any(s => s.Name == "cache.put") && ours.Any(s => s.Name == "cache.get")
                && traces.Values.All(services => services.Contains("gateway")
                    && services.Count(s => s.StartsWith("cache-node-", StringComparison.Ordinal)) >= 2))
            {
                break;
            }

            await Task.Delay(1000);
        }

        // Two calls, two traces; each has the gateway and the cache nodes it reached (the rate limiter only when the
        // call asked it or leased tokens for its tenant: most calls take a token the gateway leased before).
        Assert.Equal(2, traces.Count);
        foreach (var services in traces.Values)
        {
            Assert.Contains("gateway", services);
            Assert.True(services.Count(s => s.StartsWith("cache-node-", StringComparison.Ordinal)) >= 2, string.Join(", ", services));
            Assert.DoesNotContain("logcollector", services);
        }
    }

    [Fact]
    public async Task AMissLoadedFromTheOriginHasTheDatabaseQueryInItsTrace()
    {
        var admin = fixture.Gateway(i => new Cluster.ClusterClient(i), "dev-admin-key");
        var path = (await admin.GetOriginStatsAsync(new GetOriginStatsRequest()).ResponseAsync.WaitAsync(Timeout)).Path;
        var key = $"origin-traced-{Guid.NewGuid():N}";
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO entries (tenant, key, kind, value, updated_at) VALUES ('dev', $key, 'text', 'v', 0);";
            insert.Parameters.AddWithValue("$key", key);
            await insert.ExecuteNonQueryAsync();
        }

        var cache = fixture.Gateway(i => new Gateway.V1.Cache.CacheClient(i));
        Assert.Equal(ValueSource.Origin, (await cache.GetAsync(new GetRequest { Key = key }).ResponseAsync.WaitAsync(Timeout)).Source);
        var keyHash = System.IO.Hashing.XxHash3.HashToUInt64(System.Text.Encoding.UTF8.GetBytes($"dev/{key}"))
            .ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

        using var http = new HttpClient { BaseAddress = fixture.DashboardUrl };
        List<Span> trace = [];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !trace.Any(s => s.Name == "origin.get"))
        {
            await Task.Delay(1000);
            var spans = await ReadSpansAsync(http);
            var get = spans.FirstOrDefault(s => s.Name == "cache.get" && s.Attributes.GetValueOrDefault("cache.key_hash") == keyHash);
            trace = get is null ? [] : [.. spans.Where(s => s.TraceId == get.TraceId)];
        }

        var query = Assert.Single(trace, s => s.Name == "origin.get");
        Assert.Equal(("gateway", "sqlite"), (query.Service, query.Attributes.GetValueOrDefault("db.system.name")));
        var getSpan = Assert.Single(trace, s => s.Name == "cache.get" && s.Service == "gateway");
        Assert.Equal("Origin", getSpan.Attributes.GetValueOrDefault("cache.source"));
    }

    [Fact]
    public async Task LogExportAndHealthProbesStayOutOfTheTraces()
    {
        // Calls whose logs are exported to the collector, and seconds of probes, then the spans the dashboard holds.
        var cache = fixture.Gateway(i => new Gateway.V1.Cache.CacheClient(i));
        await cache.GetAsync(new GetRequest { Key = "anything" }).ResponseAsync.WaitAsync(Timeout);
        using var http = new HttpClient { BaseAddress = fixture.DashboardUrl };
        List<Span> spans;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        do
        {
            await Task.Delay(1000);
            spans = await ReadSpansAsync(http);
        }
        while (!spans.Any(s => s.Service == "gateway") && DateTime.UtcNow < deadline);

        await Task.Delay(3000);
        spans = await ReadSpansAsync(http);
        Assert.Contains(spans, s => s.Service == "gateway");
        Assert.DoesNotContain(spans, s => s.Name.Contains("LogsService/Export", StringComparison.Ordinal));
        Assert.DoesNotContain(spans, s => s.Name.Contains("grpc.health.v1", StringComparison.Ordinal));
    }

    // Every span the dashboard holds, with its service (resource) name and string attributes.
    internal static async Task<List<Span>> ReadSpansAsync(HttpClient http)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("/api/telemetry/traces"));
        var spans = new List<Span>();
        foreach (var resourceSpans in document.RootElement.GetProperty("data").GetProperty("resourceSpans").EnumerateArray())
        {
            var service = Attributes(resourceSpans.GetProperty("resource")).GetValueOrDefault("service.name") ?? "";
            foreach (var scope in resourceSpans.GetProperty("scopeSpans").EnumerateArray())
            {
                foreach (var span in scope.GetProperty("spans").EnumerateArray())
                {
                    spans.Add(new Span(
                        service, span.GetProperty("traceId").GetString()!, span.GetProperty("spanId").GetString()!,
                        span.GetProperty("name").GetString()!, Attributes(span)));
                }
            }
        }

        return [.. spans.DistinctBy(span => span.SpanId)];
    }

    private static Dictionary<string, string> Attributes(JsonElement element)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (element.TryGetProperty("attributes", out var list))
        {
            foreach (var attribute in list.EnumerateArray())
            {
                var value = attribute.GetProperty("value");
                attributes[attribute.GetProperty("key").GetString()!] = value.TryGetProperty("stringValue", out var text) ? text.GetString()! : value.ToString();
            }
        }

        return attributes;
    }

    internal sealed record Span(string Service, string TraceId, string SpanId, string Name, Dictionary<string, string> Attributes);
}
