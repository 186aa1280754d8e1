using Microservices.RateLimit.V1;
using Microservices.RateLimiter.Buckets;
using Microservices.RateLimiter.Policies;
using Microservices.ServiceDefaults;

namespace Microservices.RateLimiter.Grpc;

/// <summary>Validates the key and turns a request's policy name or inline bucket into a <see cref="BucketLimit"/>.</summary>
internal sealed class LimitResolver(PolicyCatalog policies)
{
    /// <summary>Returns an error naming the field and the limit, or null with <paramref name="limit"/> set.</summary>
    public string? Resolve(string key, string? policy, BucketSpec? bucket, out BucketLimit limit)
    {
        limit = default;
        var keyError = RequestLimits.CheckKey(key);
        if (keyError is not null)
        {
            return keyError;
        }

        if (bucket is not null)
        {
            limit = new BucketLimit((long)Math.Min(bucket.Capacity, long.MaxValue), bucket.RefillPerSecond);
            return limit.Validate("bucket");
        }

        if (policy is null)
        {
            limit = policies.Default;
            return null;
        }

        return policies.TryGet(policy, out limit)
            ? null
            : $"policy '{policy}' is not configured (RateLimiter:Policies)";
    }
}
