using System.Globalization;

namespace Microservices.RateLimiter.Buckets;

/// <summary>
/// The shape of one token bucket: at most <see cref="Capacity"/> tokens, refilled continuously at
/// <see cref="RefillPerSecond"/>. Refill is kept in integer micro-tokens per second (rounded down), so a bucket
/// never admits more than its specified rate.
/// </summary>
public readonly record struct BucketLimit(long Capacity, double RefillPerSecond)
{
    /// <summary>Largest capacity accepted: 10^12 tokens.</summary>
    public const long MaxCapacity = 1_000_000_000_000;

    /// <summary>Smallest refill accepted: one token every 10^6 seconds (the fixed-point resolution).</summary>
    public const double MinRefillPerSecond = 1e-6;

    /// <summary>Largest refill accepted: 10^9 tokens per second.</summary>
    public const double MaxRefillPerSecond = 1e9;

    /// <summary>Returns why the limit is invalid, naming <paramref name="field"/> and the bound, or null when valid.</summary>
    public string? Validate(string field)
    {
        if (Capacity is < 1 or > MaxCapacity)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"{field}.capacity must be between 1 and {MaxCapacity}, got {Capacity}");
        }

        if (!double.IsFinite(RefillPerSecond) || RefillPerSecond < MinRefillPerSecond || RefillPerSecond > MaxRefillPerSecond)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"{field}.refill_per_second must be finite, at least {MinRefillPerSecond} and at most {MaxRefillPerSecond}, got {RefillPerSecond}");
        }

        return null;
    }
}
