using System.Globalization;
using System.Text;
using Microservices.RateLimit.V1;
using Microservices.RateLimiter.Buckets;
using Microservices.RateLimiter.Policies;

namespace Microservices.RateLimiter.Grpc;

/// <summary>Validates the key and turns a request's policy name or inline bucket into a <see cref="BucketLimit"/>.</summary>
internal sealed class LimitResolver(PolicyCatalog policies)
{
    /// <summary>Longest key accepted, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 250;

    /// <summary>Returns an error naming the field and the limit, or null with <paramref name="limit"/> set.</summary>
    public string? Resolve(string key, string? policy, BucketSpec? bucket, out BucketLimit limit)
    {
        limit = default;
        if (key.Length == 0)
        {
            return "key must not be empty";
        }

        if (key.Length > MaxKeyBytes / 3 && Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"key must be at most {MaxKeyBytes} UTF-8 bytes, got {Encoding.UTF8.GetByteCount(key)}");
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
