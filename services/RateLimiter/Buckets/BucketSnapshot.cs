namespace Microservices.RateLimiter.Buckets;

/// <summary>A bucket as of one instant.</summary>
/// <param name="Remaining">Whole tokens available.</param>
/// <param name="Limit">The bucket's capacity and refill rate.</param>
/// <param name="ResetAfter">Time until the bucket is full; zero when full.</param>
public readonly record struct BucketSnapshot(long Remaining, BucketLimit Limit, TimeSpan ResetAfter);
