namespace Microservices.Gateway.RateLimiting;

/// <summary>What the gateway does with a request the rate limiter did not decide in time (or at all).</summary>
public enum FailureMode
{
    /// <summary>
    /// Decide it with the tenant's local bucket at this gateway (the same policy's capacity and rate), so a slow or
    /// down limiter degrades to a limit, not to none. Refused (UNAVAILABLE) while the policy's limits are unknown.
    /// </summary>
    Local,

    /// <summary>Refuse the request with UNAVAILABLE (protection first).</summary>
    Closed,

    /// <summary>Allow the request: no limit while the limiter does not answer (availability first; not advised).</summary>
    Open,
}
