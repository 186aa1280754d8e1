using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Microservices.Gateway.Tests;

/// <summary>
/// The Cache service over HTTP/1.1 with JSON bodies (gRPC JSON transcoding): the routes of gateway.proto's
/// <c>google.api.http</c> rules, with the gRPC API's key header, limits and rate limits, and its statuses as HTTP codes.
/// </summary>
public sealed class HttpJsonTests : IDisposable
{
    private readonly string _origin = Path.Combine(Path.GetTempPath(), $"origin-{Guid.NewGuid():N}.db");
    private readonly GatewayCluster _cluster;

    public HttpJsonTests() => _cluster = new GatewayCluster(settings: new() { ["Origin:Path"] = _origin });

    public void Dispose()
    {
        _cluster.Dispose();
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _origin, _origin + "-wal", _origin + "-shm" })
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task PutThenGetReturnsTheTextValue()
    {
        using var http = _cluster.Http(GatewayCluster.AlphaKey);

        using var put = await http.PutAsJsonAsync("/v1/cache/user:1001", new { text = "Alice", ttl = "60s", consistency = "CONSISTENCY_ALL" });
        using var get = await http.GetAsync("/v1/cache/user:1001");

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(3, (await JsonAsync(put)).GetProperty("acknowledgedBy").GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var body = await JsonAsync(get);
        Assert.True(body.GetProperty("found").GetBoolean());
        Assert.Equal("Alice", body.GetProperty("text").GetString());
        Assert.Equal("VALUE_SOURCE_CACHE", body.GetProperty("source").GetString());
        Assert.Equal("60s", body.GetProperty("ttlRemaining").GetString());
    }

    [Fact]
    public async Task ConditionsAndSessionTokensTravelAsJsonFieldsAndQueryParameters()
    {
        using var http = _cluster.Http(GatewayCluster.AlphaKey);

        using var first = await http.PutAsJsonAsync("/v1/cache/cas", new { text = "one", ifAbsent = true });
        using var again = await http.PutAsJsonAsync("/v1/cache/cas", new { text = "two", ifAbsent = true });
        var read = await JsonAsync(await http.GetAsync(
            $"/v1/cache/cas?session_token={Uri.EscapeDataString((await JsonAsync(first)).GetProperty("sessionToken").GetString()!)}"));
        using var swapped = await http.PutAsJsonAsync("/v1/cache/cas", new { text = "three", ifVersion = read.GetProperty("context").GetString() });
        using var stale = await http.DeleteAsync($"/v1/cache/cas?if_version={Uri.EscapeDataString(read.GetProperty("context").GetString()!)}");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("precondition", (await JsonAsync(again)).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("one", read.GetProperty("text").GetString());
        Assert.False(string.IsNullOrEmpty(read.GetProperty("sessionToken").GetString()));
        Assert.Equal(HttpStatusCode.OK, swapped.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, stale.StatusCode);
    }

    [Fact]
    public async Task BinaryValuesTravelAsBase64()
    {
        using var http = _cluster.Http(GatewayCluster.AlphaKey);
        byte[] value = [0, 1, 2, 250, 255];

        using var put = await http.PutAsJsonAsync("/v1/cache/blob", new { data = Convert.ToBase64String(value) });
        var body = await JsonAsync(await http.GetAsync("/v1/cache/blob"));

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(value, body.GetProperty("data").GetBytesFromBase64());
        Assert.False(body.TryGetProperty("text", out _));
    }

    [Fact]
    public async Task TheKeyIsTheRestOfThePathSlashesAndEscapesIncluded()
    {
        using var http = _cluster.Http(GatewayCluster.AlphaKey);

        await http.PutAsJsonAsync("/v1/cache/orders/2026/a%20b", new { text = "one" });
        var grpc = await _cluster.Cache(GatewayCluster.AlphaKey).GetAsync(new V1.GetRequest { Key = "orders/2026/a b" });

        Assert.Equal("one", grpc.Text);
    }

    [Fact]
    public async Task GetOfAMissingKeyIsNotFound()
    {
        using var http = _cluster.Http(GatewayCluster.AlphaKey);

        using var response = await http.GetAsync("/v1/cache/nobody");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal(5, body.GetProperty("code").GetInt32());
        Assert.Contains("nobody", body.GetProperty("message").GetString());
    }

    [Fact]
    public async Task AMissOverGrpcIsStillFoundFalse()
    {
        var response = await _cluster.Cache(GatewayCluster.AlphaKey).GetAsync(new V1.GetRequest { Key = "nobody" });

        Assert.False(response.Found);
    }

    [Fact]
    public async Task DeleteRemovesTheKey()
    {
        using var http = _cluster.Http(GatewayCluster.AlphaKey);
        await http.PutAsJsonAsync("/v1/cache/user:1002", new { text = "Bob" });

        using var delete = await http.DeleteAsync("/v1/cache/user:1002");
        using var get = await http.GetAsync("/v1/cache/user:1002");

        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.True((await JsonAsync(delete)).GetProperty("acknowledgedBy").GetArrayLength() >= 2);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task MultiGetTakesKeysFromTheQueryAndAnswersInOrder()
    {
        using var http = _cluster.Http(GatewayCluster.AlphaKey);
        await http.PutAsJsonAsync("/v1/cache/a", new { text = "A" });
        await http.PutAsJsonAsync("/v1/cache/c", new { text = "C" });

        using var response = await http.GetAsync("/v1/cache?keys=a&keys=b&keys=c&consistency=CONSISTENCY_ONE");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = (await JsonAsync(response)).GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(["A", null, "C"], items.Select(i => i.TryGetProperty("text", out var t) ? t.GetString() : null));
        Assert.False(items[1].TryGetProperty("found", out var found) && found.GetBoolean());
    }

    [Fact]
    public async Task AnOverlongKeyIsBadRequestNamingTheFieldAndTheLimit()
    {
        using var http = _cluster.Http(GatewayCluster.AlphaKey);

        using var response = await http.PutAsJsonAsync($"/v1/cache/{new string('k', 251)}", new { text = "x" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = (await JsonAsync(response)).GetProperty("message").GetString();
        Assert.Contains("key", message);
        Assert.Contains("250", message);
    }

    [Fact]
    public async Task AnUnparseableBodyIsBadRequest()
    {
        using var http = _cluster.Http(GatewayCluster.AlphaKey);

        using var response = await http.PutAsync("/v1/cache/k", new StringContent("{\"text\": 5", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task ARequestWithoutAKeyIsUnauthorized()
    {
        using var http = _cluster.Http();

        using var response = await http.GetAsync("/v1/cache/user:1001");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("API key is required", (await JsonAsync(response)).GetProperty("message").GetString());
    }

    [Fact]
    public async Task AnUnknownKeyIsUnauthorized()
    {
        using var http = _cluster.Http("no-such-key");

        using var response = await http.GetAsync("/v1/cache/user:1001");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("unknown API key", (await JsonAsync(response)).GetProperty("message").GetString());
    }

    [Fact]
    public async Task TheAdminKeyIsForbidden()
    {
        using var http = _cluster.Http(GatewayCluster.AdminKey);

        using var response = await http.GetAsync("/v1/cache/user:1001");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task OverTheTenantsRateIsTooManyRequestsWithRetryAfter()
    {
        using var http = _cluster.Http(GatewayCluster.TightKey);
        for (var i = 0; i < 3; i++)
        {
            using var allowed = await http.PutAsJsonAsync("/v1/cache/k", new { text = "v" });
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var response = await http.GetAsync("/v1/cache/k");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Contains("rate limit", (await JsonAsync(response)).GetProperty("message").GetString());
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonElement>())!;
    }
}
