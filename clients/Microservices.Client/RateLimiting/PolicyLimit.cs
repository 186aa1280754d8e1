namespace Microservices.RateLimiting;

/// <summary>A rate-limit policy's bucket (as the RateLimiter's Peek reports it): over any t seconds it admits at most <c>Capacity + RefillPerSecond * t</c>.</summary>
/// <param name="Capacity">Tokens the bucket holds (its burst).</param>
/// <param name="RefillPerSecond">Tokens added per second.</param>
public readonly record struct PolicyLimit(double Capacity, double RefillPerSecond);
