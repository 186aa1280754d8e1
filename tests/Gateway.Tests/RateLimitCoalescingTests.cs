using Grpc.Core;
using Microservices.Gateway.V1;

namespace Microservices.Gateway.Tests;

public sealed class RateLimitCoalescingTests
{
    [Fact]
    public async Task ConcurrentRequestsOfATenantShareCallsAndTheLimitStaysExact()
    {
        using var cluster = new GatewayCluster();
        var cache = cluster.Cache(GatewayCluster.TightKey); // 3 tokens, refilling 0.01 per second
        var before = cluster.LimiterLink.Calls;

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            try
            {
                await cache.GetAsync(new GetRequest { Key = $"k{i}" });
                return StatusCode.OK;
            }
            catch (RpcException ex)
            {
                return ex.StatusCode;
            }
        }));

        Assert.Equal(3, outcomes.Count(status => status == StatusCode.OK));
        Assert.Equal(57, outcomes.Count(status => status == StatusCode.ResourceExhausted));
        Assert.True(cluster.LimiterLink.Calls - before < 60, $"{cluster.LimiterLink.Calls - before} limiter calls for 60 requests");
    }
}
