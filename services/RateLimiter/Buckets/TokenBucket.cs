namespace Microservices.RateLimiter.Buckets;

/// <summary>
/// One continuous token bucket in integer fixed point. Tokens are counted in micro-tokens
/// (<see cref="Scale"/> per token) and the refill in micro-tokens per second, rounded down. Refill is lazy:
/// each access adds <c>elapsed_ticks * rate / frequency</c> and carries the division's remainder, so the total
/// added over any interval is exact, however the interval is cut into accesses.
/// All state is guarded by the bucket's own lock; buckets never share one.
/// </summary>
internal sealed class TokenBucket
{
    /// <summary>Micro-tokens per token.</summary>
    public const long Scale = 1_000_000;

    private readonly Lock _lock = new();
    private BucketLimit _limit;
    private long _capacity;   // micro-tokens
    private long _rate;       // micro-tokens per second
    private long _tokens;     // micro-tokens
    private long _remainder;  // carried (elapsed * rate) mod frequency, always < frequency
    private long _last;       // timestamp of the last refill
    private bool _evicted;    // removed from the limiter; callers holding it must look the key up again

    public TokenBucket(BucketLimit limit, long now)
    {
        SetLimit(limit);
        _tokens = _capacity;
        _last = now;
    }

    /// <summary>
    /// Takes <paramref name="tokens"/> if available. Returns false, with nothing changed, when the bucket was
    /// evicted before the lock was taken. <paramref name="fullAt"/> is the timestamp at which it will be full.
    /// </summary>
    public bool TryTake(BucketLimit limit, long tokens, long now, long frequency, out AcquireResult result, out long fullAt)
    {
        lock (_lock)
        {
            if (_evicted)
            {
                result = default;
                fullAt = 0;
                return false;
            }

            Refill(now, frequency);
            if (limit != _limit)
            {
                // A new limit applies from now on: tokens are clamped to the new capacity, never raised.
                SetLimit(limit);
                if (_tokens >= _capacity)
                {
                    _tokens = _capacity;
                    _remainder = 0;
                }
            }

            var wanted = tokens * Scale;
            var allowed = _tokens >= wanted;
            if (allowed)
            {
                _tokens -= wanted;
            }

            var resetTicks = TicksToCover(_capacity, frequency);
            fullAt = now + resetTicks;
            result = new AcquireResult(
                allowed ? AcquireOutcome.Allowed : AcquireOutcome.Denied,
                _tokens / Scale,
                _limit.Capacity,
                allowed ? TimeSpan.Zero : ToTimeSpan(TicksToCover(wanted, frequency), frequency),
                ToTimeSpan(resetTicks, frequency));
            return true;
        }
    }

    /// <summary>The bucket refilled to <paramref name="now"/>, under its own limit. False when evicted.</summary>
    public bool TrySnapshot(long now, long frequency, out BucketSnapshot snapshot)
    {
        lock (_lock)
        {
            Refill(now, frequency);
            snapshot = new BucketSnapshot(_tokens / Scale, _limit, ToTimeSpan(TicksToCover(_capacity, frequency), frequency));
            return !_evicted;
        }
    }

    /// <summary>
    /// Marks the bucket evicted when it is full at <paramref name="now"/> (it then carries no information).
    /// Otherwise reports when it will be full.
    /// </summary>
    public bool TryEvictIfFull(long now, long frequency, out long fullAt)
    {
        lock (_lock)
        {
            Refill(now, frequency);
            fullAt = now + TicksToCover(_capacity, frequency);
            if (_evicted || _tokens < _capacity)
            {
                return false;
            }

            _evicted = true;
            return true;
        }
    }

    /// <summary>Marks the bucket evicted whatever its state (a reset forgets it).</summary>
    public void Evict()
    {
        lock (_lock)
        {
            _evicted = true;
        }
    }

    private void SetLimit(BucketLimit limit)
    {
        _limit = limit;
        _capacity = limit.Capacity * Scale;
        _rate = (long)Math.Floor(limit.RefillPerSecond * Scale);
    }

    private void Refill(long now, long frequency)
    {
        var elapsed = now - _last;
        if (elapsed <= 0)
        {
            return;
        }

        _last = now;
        if (_tokens >= _capacity)
        {
            _remainder = 0;
            return;
        }

        var gained = (UInt128)(ulong)elapsed * (ulong)_rate + (ulong)_remainder;
        var missing = (UInt128)(ulong)(_capacity - _tokens) * (ulong)frequency;
        if (gained >= missing)
        {
            _tokens = _capacity;
            _remainder = 0;
            return;
        }

        // gained < missing <= capacity * frequency, so the quotient fits in a long.
        var (quotient, remainder) = UInt128.DivRem(gained, (ulong)frequency);
        _tokens += (long)quotient;
        _remainder = (long)remainder;
    }

    /// <summary>Clock ticks until the bucket holds <paramref name="target"/> micro-tokens (0 if it does).</summary>
    private long TicksToCover(long target, long frequency)
    {
        if (_tokens >= target)
        {
            return 0;
        }

        var needed = (UInt128)(ulong)(target - _tokens) * (ulong)frequency - (ulong)_remainder;
        var ticks = (needed + (ulong)_rate - 1) / (ulong)_rate;
        return ticks > long.MaxValue ? long.MaxValue : (long)ticks;
    }

    private static TimeSpan ToTimeSpan(long ticks, long frequency)
    {
        if (ticks == 0)
        {
            return TimeSpan.Zero;
        }

        // Round up: a caller that waits this long must find the tokens there.
        var timeSpanTicks = ((UInt128)(ulong)ticks * TimeSpan.TicksPerSecond + (ulong)frequency - 1) / (ulong)frequency;
        return timeSpanTicks >= (ulong)TimeSpan.MaxValue.Ticks ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)timeSpanTicks);
    }
}
