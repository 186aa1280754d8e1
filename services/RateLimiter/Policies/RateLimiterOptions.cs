namespace Microservices.RateLimiter.Policies;

/// <summary>Configuration of the rate limiter (section <c>RateLimiter</c>).</summary>
public sealed class RateLimiterOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "RateLimiter";

    /// <summary>Name of the policy used when a request names neither a policy nor a bucket.</summary>
    public const string DefaultPolicy = "default";

    /// <summary>Named policies. Must contain <see cref="DefaultPolicy"/>.</summary>
    public Dictionary<string, PolicyOptions> Policies { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Most live buckets held at once; beyond it new keys get RESOURCE_EXHAUSTED. Default 1,000,000.</summary>
    public int MaxBuckets { get; set; } = 1_000_000;

    /// <summary>How often full buckets are evicted. Default 10 s.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(10);
}
