namespace Microservices.RateLimiter.Buckets;

/// <summary>
/// A copy of a bucket's fixed-point state, taken under its lock, from which times are computed without it:
/// how long until it holds a number of micro-tokens, or until it is full.
/// </summary>
internal readonly record struct BucketMath(long Tokens, long Capacity, long Rate, long Remainder, long Frequency)
{
    /// <summary>Whole tokens held.</summary>
    public long WholeTokens => Tokens / TokenBucket.Scale;

    /// <summary>Time until the bucket is full; zero when it is.</summary>
    public TimeSpan TimeToFill() => TimeToHold(Capacity);

    /// <summary>Time until the bucket holds <paramref name="target"/> micro-tokens; zero when it does.</summary>
    public TimeSpan TimeToHold(long target) => ToTimeSpan(TicksToHold(target));

    /// <summary>Clock ticks until the bucket holds <paramref name="target"/> micro-tokens, rounded up.</summary>
    public long TicksToHold(long target)
    {
        if (Tokens >= target || Rate == 0)
        {
            return 0;
        }

        var needed = (UInt128)(ulong)(target - Tokens) * (ulong)Frequency - (ulong)Remainder;
        var ticks = (needed + (ulong)Rate - 1) / (ulong)Rate;
        return ticks > long.MaxValue ? long.MaxValue : (long)ticks;
    }

    // Rounded up: a caller that waits this long finds the tokens there.
    private TimeSpan ToTimeSpan(long ticks)
    {
        if (ticks == 0)
        {
            return TimeSpan.Zero;
        }

        var timeSpanTicks = ((UInt128)(ulong)ticks * TimeSpan.TicksPerSecond + (ulong)Frequency - 1) / (ulong)Frequency;
        return timeSpanTicks >= (ulong)TimeSpan.MaxValue.Ticks ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)timeSpanTicks);
    }
}
