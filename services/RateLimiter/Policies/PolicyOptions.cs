namespace Microservices.RateLimiter.Policies;

/// <summary>A named bucket shape from configuration (<c>RateLimiter:Policies:&lt;name&gt;</c>).</summary>
public sealed class PolicyOptions
{
    /// <summary>Maximum tokens (the burst).</summary>
    public long Capacity { get; set; }

    /// <summary>Tokens added per second.</summary>
    public double RefillPerSecond { get; set; }
}
