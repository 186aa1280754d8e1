namespace Microservices.AppHost;

/// <summary>
/// Fixed development ports, so the README's grpcurl examples work verbatim. Reserved for the whole product:
/// gateway 5100, ratelimiter 5101, logcollector 5102, cache-node-N 5110 + N (5111-5114).
/// </summary>
public static class DevPorts
{
    /// <summary>The public gateway.</summary>
    public const int Gateway = 5100;

    /// <summary>The rate limiter.</summary>
    public const int RateLimiter = 5101;

    /// <summary>The log collector.</summary>
    public const int LogCollector = 5102;

    /// <summary>Port of cache node <paramref name="n"/> (1-based).</summary>
    public static int CacheNode(int n) => 5110 + n;
}
