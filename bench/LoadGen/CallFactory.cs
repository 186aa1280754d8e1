using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microservices.Cache.V1;
using Microservices.RateLimit.V1;
using StackExchange.Redis;

namespace Microservices.LoadGen;

/// <summary>Builds, per worker, a function that makes one call and returns the items it handled.</summary>
internal static class CallFactory
{
    // Every Acquire is admitted: the decision path is measured, not the denial path.
    private static readonly ConcurrentDictionary<int, ConnectionMultiplexer> RedisConnections = new();

    private static readonly BucketSpec LargeBucket = new() { Capacity = 1_000_000_000, RefillPerSecond = 1_000_000_000 };

    public static Func<Task<int>> Create(string rpc, GrpcChannel channel, LoadOptions options, int worker) => rpc switch
    {
        "health" => Health(channel),
        "acquire" => Acquire(channel, options, worker),
        "batch" => AcquireBatch(channel, options, worker),
        "node-put" => NodePut(channel, options, worker),
        "node-get" => NodeGet(channel, options, worker),
        "redis-set" => RedisSet(options, worker),
        "redis-get" => RedisGet(options, worker),
        "log-ingest" => LogCalls.Ingest(channel, options, worker),
        "log-write" => LogCalls.Write(channel, options, worker),
        "redis-get-pipelined" => GatewayCalls.RedisPipelined(RedisConnection(options, worker).GetDatabase(), options, worker),
        _ => GatewayCalls.Create(rpc, channel, options, worker),
    };

    private static Func<Task<int>> Health(GrpcChannel channel)
    {
        var client = new Health.HealthClient(channel);
        var request = new HealthCheckRequest();
        return async () =>
        {
            await client.CheckAsync(request);
            return 1;
        };
    }

    private static Func<Task<int>> Acquire(GrpcChannel channel, LoadOptions options, int worker)
    {
        var client = new RateLimit.V1.RateLimiter.RateLimiterClient(channel);
        var requests = Enumerable.Range(0, options.Keys)
            .Select(k => new AcquireRequest { Key = $"load-{k}", Bucket = LargeBucket })
            .ToArray();
        var next = FirstKey(options, worker);
        return async () =>
        {
            next = (next + 1) % requests.Length;
            var reply = await client.AcquireAsync(requests[next]);
            return reply.Allowed ? 1 : 0;
        };
    }

    private static Func<Task<int>> AcquireBatch(GrpcChannel channel, LoadOptions options, int worker)
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

    private static Func<Task<int>> NodePut(GrpcChannel channel, LoadOptions options, int worker)
    {
        var client = new Cache.V1.CacheNode.CacheNodeClient(channel);
        var value = ByteString.CopyFrom(new byte[options.ValueBytes]);
        var writer = $"load-{worker}";
        var next = FirstKey(options, worker);
        long timestamp = 0;
        return async () =>
        {
            next = (next + 1) % options.Keys;
            var entry = new Entry
            {
                Key = $"load-{next}",
                Value = value,
                Kind = ValueKind.Binary,
                Version = new Cache.V1.Version { Timestamp = ++timestamp, Writer = writer },
            };
            await client.PutAsync(new PutRequest { Entry = entry });
            return 1;
        };
    }

    private static Func<Task<int>> NodeGet(GrpcChannel channel, LoadOptions options, int worker)
    {
        var client = new Cache.V1.CacheNode.CacheNodeClient(channel);
        var requests = Enumerable.Range(0, options.Keys).Select(k => new Cache.V1.GetRequest { Key = $"load-{k}" }).ToArray();
        var next = FirstKey(options, worker);
        return async () =>
        {
            next = (next + 1) % requests.Length;
            var reply = await client.GetAsync(requests[next]);
            return reply.Found ? 1 : 0;
        };
    }

    private static Func<Task<int>> RedisSet(LoadOptions options, int worker)
    {
        var db = RedisConnection(options, worker).GetDatabase();
        var value = (RedisValue)new byte[options.ValueBytes];
        var next = FirstKey(options, worker);
        return async () =>
        {
            next = (next + 1) % options.Keys;
            await db.StringSetAsync($"load-{next}", value);
            return 1;
        };
    }

    private static Func<Task<int>> RedisGet(LoadOptions options, int worker)
    {
        var db = RedisConnection(options, worker).GetDatabase();
        var keys = Enumerable.Range(0, options.Keys).Select(k => (RedisKey)$"load-{k}").ToArray();
        var next = FirstKey(options, worker);
        return async () =>
        {
            next = (next + 1) % keys.Length;
            var value = await db.StringGetAsync(keys[next]);
            return value.HasValue ? 1 : 0;
        };
    }

    /// <summary>Where a worker starts in the key space: spread evenly, so the workers together cover every key.</summary>
    internal static int FirstKey(LoadOptions options, int worker) => (int)((long)worker * options.Keys / options.Concurrency);

    // One connection per worker, kept across runs: each has one command in flight at a time, so nothing is pipelined.
    internal static ConnectionMultiplexer RedisConnection(LoadOptions options, int worker) =>
        RedisConnections.GetOrAdd(worker, _ =>
        {
            // A full StackExchange.Redis configuration string, e.g. "127.0.0.1:22121,proxy=Twemproxy".
            var configuration = ConfigurationOptions.Parse(options.Redis);
            configuration.AbortOnConnectFail = true;
            return ConnectionMultiplexer.Connect(configuration);
        });
}
