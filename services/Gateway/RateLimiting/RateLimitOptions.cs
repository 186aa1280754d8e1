namespace Microservices.Gateway.RateLimiting;

/// <summary>How the gateway limits tenants (section <c>RateLimiting</c>).</summary>
public sealed class RateLimitOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "RateLimiting";

    /// <summary>The rate limiter's address; by default found by service discovery.</summary>
    public Uri Address { get; set; } = new("http://ratelimiter");

    /// <summary>Deadline of the Acquire call. Default 50 ms.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>What to do when the rate limiter does not answer. Default: let the request through.</summary>
    public FailureMode FailureMode { get; set; } = FailureMode.Open;
}
