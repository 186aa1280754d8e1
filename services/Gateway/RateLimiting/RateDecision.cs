namespace Microservices.Gateway.RateLimiting;

/// <summary>The rate-limit outcome of one request.</summary>
/// <param name="Allowed">True when the request may proceed.</param>
/// <param name="RetryAfter">When denied: how long until the tenant's bucket has a token.</param>
/// <param name="Outcome">allowed, denied, or failed_open / failed_closed when the limiter did not answer.</param>
public readonly record struct RateDecision(bool Allowed, TimeSpan RetryAfter, string Outcome);
