namespace Microservices.Gateway.RateLimiting;

/// <summary>The rate-limit outcome of one request.</summary>
/// <param name="Allowed">True when the request may proceed.</param>
/// <param name="RetryAfter">When denied: how long until the tenant's bucket has a token.</param>
/// <param name="Outcome">
/// allowed / denied (by the limiter); lease_allowed (a token leased in advance) / lease_denied (the last lease
/// found the bucket empty, and it has no token yet); local_allowed / local_denied (by this gateway's local bucket, the limiter
/// did not answer in time); failed_open / failed_closed (the limiter did not answer, and no local decision).
/// </param>
/// <param name="Detail">Why a failed_closed request was refused.</param>
public readonly record struct RateDecision(bool Allowed, TimeSpan RetryAfter, string Outcome, string? Detail = null)
{
    /// <summary>True when this gateway decided, not the limiter.</summary>
    public bool Local => Outcome is "local_allowed" or "local_denied";
}
