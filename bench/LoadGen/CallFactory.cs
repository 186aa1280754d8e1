using Grpc.Health.V1;
using Grpc.Net.Client;
using Microservices.RateLimit.V1;

namespace Microservices.LoadGen;

/// <summary>Builds, per worker, a function that makes one call and returns the items it decided.</summary>
internal static class CallFactory
{
    // Every Acquire is admitted: the decision path is measured, not the denial path.
    private static readonly BucketSpec LargeBucket = new() { Capacity = 1_000_000_000, RefillPerSecond = 1_000_000_000 };

    public static Func<Task<int>> Create(string rpc, GrpcChannel channel, LoadOptions options, int worker)
    {
        switch (rpc)
        {
            case "health":
            {
                var client = new Health.HealthClient(channel);
                var request = new HealthCheckRequest();
                return async () =>
                {
                    await client.CheckAsync(request);
                    return 1;
                };
            }

            case "acquire":
            {
                var client = new RateLimit.V1.RateLimiter.RateLimiterClient(channel);
                var requests = Enumerable.Range(0, options.Keys)
                    .Select(k => new AcquireRequest { Key = $"load-{k}", Bucket = LargeBucket })
                    .ToArray();
                var next = worker;
                return async () =>
                {
                    next = (next + 1) % requests.Length;
                    var reply = await client.AcquireAsync(requests[next]);
                    return reply.Allowed ? 1 : 0;
                };
            }

            default:
            {
                var client = new RateLimit.V1.RateLimiter.RateLimiterClient(channel);
                var batch = new AcquireBatchRequest();
                for (var i = 0; i < options.Batch; i++)
                {
                    batch.Requests.Add(new AcquireRequest { Key = $"load-{(worker * options.Batch + i) % options.Keys}", Bucket = LargeBucket });
                }

                return async () =>
                {
                    var reply = await client.AcquireBatchAsync(batch);
                    return reply.Results.Count;
                };
            }
        }
    }
}
