namespace Microservices.RateLimiter.Buckets;

/// <summary>What became of an acquire request.</summary>
public enum AcquireOutcome
{
    /// <summary>The tokens were taken.</summary>
    Allowed,

    /// <summary>Not enough tokens; nothing was taken.</summary>
    Denied,

    /// <summary>The key has no bucket and the limiter holds its maximum of live buckets, none of them evictable.</summary>
    TooManyBuckets,
}
