namespace Microservices.Gateway.Replication;

/// <summary>
/// A hybrid logical clock: unix milliseconds in the high 48 bits and a counter in the low 16. Every value it
/// issues is greater than the last, even when the wall clock stalls or steps back, and stays close to wall time.
/// <see cref="Observe"/> folds in a timestamp seen elsewhere, so this gateway's next write orders after it.
/// </summary>
public sealed class HybridLogicalClock(TimeProvider time)
{
    private const int CounterBits = 16;
    private long _last;

    /// <summary>The next timestamp: greater than every one issued or observed before.</summary>
    public long Next()
    {
        var wall = time.GetUtcNow().ToUnixTimeMilliseconds() << CounterBits;
        while (true)
        {
            var last = Volatile.Read(ref _last);
            var next = wall > last ? wall : last + 1;
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
            {
                return next;
            }
        }
    }

    /// <summary>Makes later timestamps greater than <paramref name="timestamp"/>.</summary>
    public void Observe(long timestamp)
    {
        var last = Volatile.Read(ref _last);
        while (timestamp > last)
        {
            var seen = Interlocked.CompareExchange(ref _last, timestamp, last);
            if (seen == last)
            {
                return;
            }

            last = seen;
        }
    }

    /// <summary>The wall-clock part of a timestamp, in unix milliseconds.</summary>
    public static long WallMilliseconds(long timestamp) => timestamp >> CounterBits;
}
