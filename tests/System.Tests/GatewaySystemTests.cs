using Grpc.Core;
using Microservices.Gateway.V1;

namespace Microservices.SystemTests;

[Collection(AppHostTests.Name)]
public sealed class GatewaySystemTests(AppHostFixture fixture)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PutAndGetThroughTheGatewayWithTheDevKey()
    {
        var cache = fixture.Gateway(i => new Gateway.V1.Cache.CacheClient(i));
        var key = $"system-{Guid.NewGuid():N}";

        var put = await cache.PutAsync(new PutRequest { Key = key, Text = "hello" }).ResponseAsync.WaitAsync(CallTimeout);
        var get = await cache.GetAsync(new GetRequest { Key = key }).ResponseAsync.WaitAsync(CallTimeout);

        Assert.InRange(put.AcknowledgedBy.Count, 2, 3);
        Assert.Equal("hello", get.Text);
        Assert.Equal(ValueSource.Cache, get.Source);
    }

    [Fact]
    public async Task AValuePutThroughOneGatewayIsReadThroughTheOther()
    {
        var first = fixture.Gateway(i => new Gateway.V1.Cache.CacheClient(i));
        var second = fixture.Gateway(i => new Gateway.V1.Cache.CacheClient(i), gateway: "gateway-2");
        var key = $"system-{Guid.NewGuid():N}";

        await first.PutAsync(new PutRequest { Key = key, Text = "from gateway" }).ResponseAsync.WaitAsync(CallTimeout);
        var get = await second.GetAsync(new GetRequest { Key = key }).ResponseAsync.WaitAsync(CallTimeout);
        await second.PutAsync(new PutRequest { Key = key, Text = "from gateway-2" }).ResponseAsync.WaitAsync(CallTimeout);
        var back = await first.GetAsync(new GetRequest { Key = key }).ResponseAsync.WaitAsync(CallTimeout);

        Assert.Equal("from gateway", get.Text);
        Assert.Equal("from gateway-2", back.Text);
        Assert.Equal("gateway-2", back.Version.Writer);
    }

    [Fact]
    public async Task TheShowTopologyCommandReportsTheRing()
    {
        var message = await fixture.ExecuteCommandAsync("gateway", "show-topology");
        Assert.Contains("Ring: 3 nodes, N = 3", message);
        foreach (var node in new[] { "cache-node-1", "cache-node-2", "cache-node-3" })
        {
            Assert.Contains($"{node} Up owns", message);
        }
    }

    [Fact]
    public async Task GatewayRefusesCallsWithoutAKey()
    {
        var cache = new Gateway.V1.Cache.CacheClient(fixture.Channel("gateway"));
        var error = await Assert.ThrowsAsync<RpcException>(() => cache.GetAsync(new GetRequest { Key = "k" }).ResponseAsync.WaitAsync(CallTimeout));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }
}
