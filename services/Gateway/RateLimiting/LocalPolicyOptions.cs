using System.ComponentModel.DataAnnotations;

namespace Microservices.Gateway.RateLimiting;

/// <summary>A policy's limits as the gateway's local buckets use them (<c>RateLimiting:Policies:&lt;name&gt;</c>).</summary>
public sealed class LocalPolicyOptions
{
    /// <summary>Tokens the bucket holds (its burst). 1 to 1,000,000,000,000.</summary>
    [Range(1L, 1_000_000_000_000L)]
    public long Capacity { get; set; }

    /// <summary>Tokens added per second. Greater than 0, at most 1,000,000,000.</summary>
    [Range(1e-9, 1e9)]
    public double RefillPerSecond { get; set; }
}
