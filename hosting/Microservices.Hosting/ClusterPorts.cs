namespace Microservices.Hosting;

/// <summary>
/// Fixed ports of a cluster, all derived from the gateway's: ratelimiter +1, logcollector +2, gateway K (K = 2 to 5)
/// +3+K, cache-node-N +10+N (N = 1 to 9), and each service's HTTP/1.1 port (curl, HTTP health probes) its gRPC port
/// +80. From 5100 (the repository's AppHost): gateway 5100 and 5180, ratelimiter 5101/5181, logcollector 5102/5182,
/// gateway-2 5105/5185, cache-node-N 5110+N / 5190+N. No base: every port is chosen by Aspire.
/// </summary>
internal readonly record struct ClusterPorts(int? Gateway)
{
    /// <summary>Most nodes (the spare included) that fit the scheme.</summary>
    public const int MaxNodes = 9;

    /// <summary>Most gateways that fit the scheme.</summary>
    public const int MaxGateways = 5;

    /// <summary>Gateway <paramref name="k"/> (1-based; the first is <see cref="Gateway"/>).</summary>
    public int? GatewayNumber(int k) => k == 1 ? Gateway : Gateway + 3 + k;

    /// <summary>The rate limiter.</summary>
    public int? RateLimiter => Gateway + 1;

    /// <summary>The log collector.</summary>
    public int? LogCollector => Gateway + 2;

    /// <summary>Cache node <paramref name="n"/> (1-based).</summary>
    public int? CacheNode(int n) => Gateway + 10 + n;

    /// <summary>The HTTP/1.1 port of the service whose gRPC port is <paramref name="grpcPort"/>.</summary>
    public static int? Http1(int? grpcPort) => grpcPort + 80;
}
