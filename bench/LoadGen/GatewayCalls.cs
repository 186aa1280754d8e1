using Google.Protobuf;

using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microservices.Gateway.V1;
using StackExchange.Redis;

namespace Microservices.LoadGen;

/// <summary>Gateway Cache calls with an API key, and pipelined Redis GETs to compare MultiGet with.</summary>
internal static class GatewayCalls
{
    public static Func<Task<int>> Create(string rpc, GrpcChannel channel, LoadOptions options, int worker)
    {
        var client = new Gateway.V1.Cache.CacheClient(channel.Intercept(metadata =>
        {
            metadata.Add("x-api-key", options.ApiKey);
            return metadata;
        }));
        var value = ByteString.CopyFrom(new byte[options.ValueBytes]);
        var next = CallFactory.FirstKey(options, worker);
        var ttl = options.TtlSeconds > 0 ? Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(options.TtlSeconds)) : null;
        return rpc switch
        {
            "gw-put" => async () =>
            {
                next = (next + 1) % options.Keys;
                await client.PutAsync(new PutRequest { Key = $"load-{next}", Data = value, Ttl = ttl });
                return 1;
            },
            "gw-get-one" => Get(client, options, worker, Consistency.One),
            "gw-get-quorum" or "gw-get-quorum-agree" or "gw-get-quorum-disagree" => Get(client, options, worker, Consistency.Quorum),
            _ => MultiGet(client, options, worker),
        };
    }

    public static Func<Task<int>> RedisPipelined(IDatabase db, LoadOptions options, int worker)
    {
        var keys = Enumerable.Range(0, options.Batch).Select(i => (RedisKey)$"load-{(worker * options.Batch + i) % options.Keys}").ToArray();
        var pending = new Task<RedisValue>[keys.Length];
        return async () =>
        {
            for (var i = 0; i < keys.Length; i++)
            {
                pending[i] = db.StringGetAsync(keys[i]);
            }

            await Task.WhenAll(pending);
            return keys.Length;
        };
    }

    private static Func<Task<int>> Get(Gateway.V1.Cache.CacheClient client, LoadOptions options, int worker, Consistency consistency)
    {
        var requests = Enumerable.Range(0, options.Keys).Select(k => new GetRequest { Key = $"load-{k}", Consistency = consistency }).ToArray();
        var next = CallFactory.FirstKey(options, worker);
        return async () =>
        {
            next = (next + 1) % requests.Length;
            var reply = await client.GetAsync(requests[next]);
            return reply.Found ? 1 : 0;
        };
    }

    private static Func<Task<int>> MultiGet(Gateway.V1.Cache.CacheClient client, LoadOptions options, int worker)
    {
        var request = new MultiGetRequest { Consistency = Consistency.One };
        request.Keys.AddRange(Enumerable.Range(0, options.Batch).Select(i => $"load-{(worker * options.Batch + i) % options.Keys}"));
        return async () =>
        {
            var reply = await client.MultiGetAsync(request);
            return reply.Items.Count;
        };
    }
}
