namespace Microservices.RateLimiter.Buckets;

/// <summary>
/// The system clock with a coarse monotonic timestamp: <see cref="Environment.TickCount64"/>, in milliseconds.
/// On Linux it is read from the kernel's coarse clock (about 4 ns, against about 21 ns for
/// <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> on the machines measured) and advances every
/// scheduler tick (1 to 4 ms). The limiter reads the clock on every decision, so this is most of its cost; the
/// buckets stay exact in this clock, and a tick's worth of refill arrives at once instead of spread over it.
/// </summary>
public sealed class CoarseTimeProvider : TimeProvider
{
    /// <summary>The shared instance.</summary>
    public static new CoarseTimeProvider System { get; } = new();

    /// <inheritdoc/>
    public override long TimestampFrequency => 1000;

    /// <inheritdoc/>
    public override long GetTimestamp() => Environment.TickCount64;
}
