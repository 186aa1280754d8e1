namespace Microservices.RateLimiter.Buckets;

/// <summary>
/// One continuous token bucket in integer fixed point. Tokens are counted in micro-tokens
/// (<see cref="Scale"/> per token) and the refill in micro-tokens per second, rounded down. Refill is lazy:
/// each access adds <c>elapsed_ticks * rate / frequency</c> and carries the division's remainder, so the total
/// added over any interval is exact, however the interval is cut into accesses.
/// State is guarded by the bucket's own spin lock; buckets never share one. The critical section is a few
/// arithmetic instructions that neither allocate nor block, so spinning costs less than a monitor.
/// </summary>
internal sealed class TokenBucket
{
    /// <summary>Micro-tokens per token.</summary>
    public const long Scale = 1_000_000;

    private double _refillPerSecond; // as specified, to tell a changed limit
    private long _capacity;   // micro-tokens
    private long _rate;       // micro-tokens per second
    private long _tokens;     // micro-tokens
    private long _remainder;  // carried (elapsed * rate) mod frequency, always < frequency
    private long _last;       // timestamp of the last refill
    private bool _evicted;    // removed from the limiter; callers holding it must look the key up again
    private int _busy;        // the spin lock: 1 while a thread holds the bucket

    public TokenBucket(BucketLimit limit, long now)
    {
        SetLimit(limit);
        _tokens = _capacity;
        _last = now;
    }

    /// <summary>
    /// Takes <paramref name="tokens"/> if available, all or nothing; or, when <paramref name="upTo"/>, as many whole
    /// tokens as are available up to <paramref name="tokens"/> (none only when less than one is). Returns false,
    /// with nothing changed, when the bucket was evicted before the lock was taken; the caller then looks the key up
    /// again. <paramref name="limitChanged"/> tells that the bucket's limit was replaced by <paramref name="limit"/>.
    /// </summary>
    public bool TryTake(BucketLimit limit, long tokens, bool upTo, long now, long frequency, out AcquireResult result, out bool limitChanged)
    {
        Enter();
        try
        {
            limitChanged = false;
            if (_evicted)
            {
                result = default;
                return false;
            }

            Refill(now, frequency);
            if (limit.Capacity * Scale != _capacity || limit.RefillPerSecond != _refillPerSecond)
            {
                // A new limit applies from now on: tokens are clamped to the new capacity, never raised.
                SetLimit(limit);
                limitChanged = true;
                if (_tokens >= _capacity)
                {
                    _tokens = _capacity;
                    _remainder = 0;
                }
            }

            var wanted = tokens * Scale;
            if (upTo && _tokens < wanted)
            {
                // What is there, in whole tokens; when less than one, a denial that waits for one.
                wanted = Math.Max(_tokens / Scale, 1) * Scale;
            }

            var outcome = AcquireOutcome.Denied;
            if (_tokens >= wanted)
            {
                _tokens -= wanted;
                outcome = AcquireOutcome.Allowed;
            }

            result = new AcquireResult(outcome, _capacity / Scale, State(frequency), wanted);
            return true;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>The bucket refilled to <paramref name="now"/>, under its own limit. False when evicted.</summary>
    public bool TrySnapshot(long now, long frequency, out BucketSnapshot snapshot)
    {
        Enter();
        try
        {
            Refill(now, frequency);
            snapshot = new BucketSnapshot(
                _tokens / Scale, new BucketLimit(_capacity / Scale, _refillPerSecond), State(frequency).TimeToFill());
            return !_evicted;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Marks the bucket evicted when it is full at <paramref name="now"/> (it then carries no information).
    /// Otherwise reports the timestamp at which it will be full.
    /// </summary>
    public bool TryEvictIfFull(long now, long frequency, out long fullAt)
    {
        Enter();
        try
        {
            Refill(now, frequency);
            fullAt = now + State(frequency).TicksToHold(_capacity);
            if (_evicted || _tokens < _capacity)
            {
                return false;
            }

            _evicted = true;
            return true;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Marks the bucket evicted whatever its state (a reset forgets it).</summary>
    public void Evict()
    {
        Enter();
        _evicted = true;
        Exit();
    }

    private BucketMath State(long frequency) => new(_tokens, _capacity, _rate, _remainder, frequency);

    private void SetLimit(BucketLimit limit)
    {
        _refillPerSecond = limit.RefillPerSecond;
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

    private void Enter()
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            EnterContended();
        }
    }

    private void EnterContended()
    {
        var spinner = default(SpinWait);
        do
        {
            spinner.SpinOnce();
        }
        while (Volatile.Read(ref _busy) != 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0);
    }

    private void Exit() => Volatile.Write(ref _busy, 0);
}
