namespace Microservices.Gateway.RateLimiting;

/// <summary>Behaviour when the rate limiter is unreachable.</summary>
public enum FailureMode
{
    /// <summary>Allow the request (availability first).</summary>
    Open,

    /// <summary>Refuse the request with UNAVAILABLE (protection first).</summary>
    Closed,
}
