namespace Microservices.RateLimiter.Buckets;

/// <summary>
/// The decision for one acquire request and the bucket's state right after it. The durations are derived from
/// that state when read, outside the bucket's lock, so a caller that only needs the decision does not pay for them.
/// </summary>
public readonly struct AcquireResult
{
    private readonly BucketMath _state;
    private readonly long _wanted;

    internal AcquireResult(AcquireOutcome outcome, long capacity, BucketMath state, long wanted)
    {
        Outcome = outcome;
        Capacity = capacity;
        _state = state;
        _wanted = wanted;
    }

    /// <summary>Allowed, denied, or refused for lack of bucket slots.</summary>
    public AcquireOutcome Outcome { get; }

    /// <summary>True when the tokens were taken.</summary>
    public bool Allowed => Outcome == AcquireOutcome.Allowed;

    /// <summary>Whole tokens taken: those asked for, fewer for a lease when fewer were there, or 0 when denied.</summary>
    public long Taken => Allowed ? _wanted / TokenBucket.Scale : 0;

    /// <summary>The bucket's capacity.</summary>
    public long Capacity { get; }

    /// <summary>Whole tokens left after the decision.</summary>
    public long Remaining => _state.WholeTokens;

    /// <summary>Time until the requested tokens (one, for a lease) would be available; zero when allowed.</summary>
    public TimeSpan RetryAfter => Outcome == AcquireOutcome.Denied ? _state.TimeToHold(_wanted) : TimeSpan.Zero;

    /// <summary>Time until the bucket is full again.</summary>
    public TimeSpan ResetAfter => _state.TimeToFill();

    internal static AcquireResult TooManyBuckets(long capacity) => new(AcquireOutcome.TooManyBuckets, capacity, default, 0);
}
