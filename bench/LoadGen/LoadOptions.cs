using System.Globalization;

namespace Microservices.LoadGen;

/// <summary>Command-line options of the load generator.</summary>
internal sealed record LoadOptions(
    Uri Target, string[] Rpcs, int Concurrency, int Connections, TimeSpan Duration, TimeSpan Warmup, int Batch, int Keys, int Runs,
    string Redis, int ValueBytes, string ApiKey, string? ClusterKey, Uri[] Nodes, string Tenant, int Rate, int TtlSeconds,
    int Services, int Messages, string? AdminKey)
{
    public const string Usage = """
        usage: LoadGen [--target http://127.0.0.1:5101] [--rpc health,acquire,batch] [--concurrency 64]
                       [--connections 4] [--duration 10] [--warmup 2] [--batch 100] [--keys 10000] [--runs 1]
                       [--redis 127.0.0.1:6379] [--value-bytes 100] [--api-key dev-key] [--cluster-key KEY]
                       [--nodes http://127.0.0.1:5111,...] [--tenant dev] [--rate 0] [--ttl 0] [--services 10]
                       [--messages 50] [--admin-key KEY]
          --rpc          comma-separated, run one after the other in this process:
                         health (grpc.health.v1 Check, the transport floor), acquire (RateLimiter/Acquire),
                         batch (RateLimiter/AcquireBatch of --batch items), node-put and node-get (CacheNode Put
                         and Get of --value-bytes values over --keys keys), redis-set and redis-get (the same
                         through StackExchange.Redis to --redis, one connection per worker: unpipelined;
                         --redis is a StackExchange.Redis configuration string, e.g. 127.0.0.1:22121,proxy=Twemproxy),
                         gw-put, gw-get-one, gw-get-quorum, gw-multiget (gateway Cache calls with --api-key;
                         MultiGet of --batch keys), redis-get-pipelined (--batch GETs sent at once per worker),
                         log-ingest (LogCollector/Ingest: one open stream per worker, a batch of --batch entries per call),
                         gw-get-quorum-disagree and gw-get-quorum-agree (gw-get-quorum, each call preceded, untimed,
                         by a write of the key straight to every node of --nodes: different versions on each, so
                         the replicas disagree and the read repairs before answering; or one version on all)
                         log-write (LogCollector/Write of --batch entries over --services services and --messages
                         error messages, drawn afresh for every call)
          --concurrency  calls in flight at once (closed loop: each worker sends its next call when the last answers)
          --connections  HTTP/2 connections the workers share
          --duration     measured seconds per rpc and run; --warmup seconds before each, not measured
          --keys         distinct rate-limit keys the calls spread over
          --cluster-key  sent as x-cluster-key on every call: the internal services (node, limiter, collector) need it
          --runs         repeat the whole sequence; the summary gives the median of the runs
          --nodes        cache node addresses (comma-separated), for gw-get-quorum-disagree and -agree (with --cluster-key)
          --tenant       the tenant of --api-key, whose namespace those direct writes use
          --rate         calls per second of all workers together, paced (0 = as fast as answered: closed loop)
          --ttl          seconds of time to live on gw-put (0 = the gateway's default)
          --services     distinct services log-write spreads entries over
          --messages     distinct error messages log-write draws from
          --admin-key    with gw-* rpcs: reads the gateway's GetOriginStats before and after each run and prints the
                         origin's write transactions and rows per second over it (warm-up included), and the
                         write-back log's depth at the end
        """;

    public static LoadOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }

            values[args[i][2..]] = args[++i];
        }

        string Get(string name, string fallback) => values.TryGetValue(name, out var v) ? v : fallback;
        int Int(string name, int fallback, int min)
        {
            var value = int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
            return value >= min ? value : throw new ArgumentException($"--{name} must be at least {min}");
        }

        var rpcs = Get("rpc", "health,acquire").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var rpc in rpcs)
        {
            if (rpc is not ("health" or "acquire" or "batch" or "node-put" or "node-get" or "redis-set" or "redis-get"
                or "gw-put" or "gw-get-one" or "gw-get-quorum" or "gw-multiget" or "redis-get-pipelined" or "log-ingest"
                or "gw-get-quorum-disagree" or "gw-get-quorum-agree" or "log-write"))
            {
                throw new ArgumentException($"--rpc: unknown rpc '{rpc}'");
            }
        }

        return new LoadOptions(
            new Uri(Get("target", "http://127.0.0.1:5101")),
            rpcs,
            Int("concurrency", 64, 1),
            Int("connections", 4, 1),
            TimeSpan.FromSeconds(Int("duration", 10, 1)),
            TimeSpan.FromSeconds(Int("warmup", 2, 0)),
            Int("batch", 100, 1),
            Int("keys", 10_000, 1),
            Int("runs", 1, 1),
            Get("redis", "127.0.0.1:6379"),
            Int("value-bytes", 100, 0),
            Get("api-key", "dev-key"),
            values.GetValueOrDefault("cluster-key"),
            [.. Get("nodes", string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(node => new Uri(node))],
            Get("tenant", "dev"),
            Int("rate", 0, 0),
            Int("ttl", 0, 0),
            Int("services", 10, 1),
            Int("messages", 50, 1),
            values.GetValueOrDefault("admin-key"));
    }
}
