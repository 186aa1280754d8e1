namespace Microservices.RateLimiter.Buckets;

/// <summary>The decision for one acquire request and the bucket's state after it.</summary>
/// <param name="Outcome">Allowed, denied, or refused for lack of bucket slots.</param>
/// <param name="Remaining">Whole tokens left after the decision.</param>
/// <param name="Capacity">The bucket's capacity.</param>
/// <param name="RetryAfter">Time until the requested tokens would be available; zero when allowed.</param>
/// <param name="ResetAfter">Time until the bucket is full again.</param>
public readonly record struct AcquireResult(
    AcquireOutcome Outcome, long Remaining, long Capacity, TimeSpan RetryAfter, TimeSpan ResetAfter)
{
    /// <summary>True when the tokens were taken.</summary>
    public bool Allowed => Outcome == AcquireOutcome.Allowed;
}
