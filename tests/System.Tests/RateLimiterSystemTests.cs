using Grpc.Health.V1;
using Microservices.RateLimit.V1;

namespace Microservices.SystemTests;

[Collection(AppHostTests.Name)]
public sealed class RateLimiterSystemTests(AppHostFixture fixture)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AcquireThroughTheAppHostTakesTokensFromTheBucket()
    {
        var client = new RateLimit.V1.RateLimiter.RateLimiterClient(fixture.Channel("ratelimiter"));
        var bucket = new BucketSpec { Capacity = 3, RefillPerSecond = 0.001 };
        var key = $"system-{Guid.NewGuid():N}";

        var replies = new List<AcquireResponse>();
        for (var i = 0; i < 4; i++)
        {
            replies.Add(await client.AcquireAsync(new AcquireRequest { Key = key, Bucket = bucket }).ResponseAsync.WaitAsync(CallTimeout));
        }

        Assert.Equal([true, true, true, false], replies.Select(r => r.Allowed));
        Assert.Equal(0UL, replies[3].Remaining);
    }

    [Fact]
    public async Task RateLimiterAnswersTheGrpcHealthCheck()
    {
        var health = new Health.HealthClient(fixture.Channel("ratelimiter"));
        var reply = await health.CheckAsync(new HealthCheckRequest()).ResponseAsync.WaitAsync(CallTimeout);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }
}
