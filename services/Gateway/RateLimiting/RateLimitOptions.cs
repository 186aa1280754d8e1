using System.ComponentModel.DataAnnotations;

namespace Microservices.Gateway.RateLimiting;

/// <summary>How the gateway limits tenants (section <c>RateLimiting</c>).</summary>
public sealed class RateLimitOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "RateLimiting";

    /// <summary>The rate limiter's address; by default found by service discovery.</summary>
    public Uri Address { get; set; } = new("http://ratelimiter");

    /// <summary>
    /// How long a request waits for the limiter's decision, counted from when it queued (concurrent requests of a
    /// tenant share one call). 1 ms to 10 s; default 50 ms. Past it the request is decided by <see cref="FailureMode"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How long tokens leased in advance from a tenant's bucket may be used after the last lease (see
    /// <c>LeasedTokens</c>); zero turns leasing off, so every request asks the limiter. 0 to 10 s; default 1 s.
    /// Over any interval the gateway admits at most what the bucket granted in it plus the tokens it held at its
    /// start (at most a tenth of the bucket's capacity, and at least one).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan LeaseLifetime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>What to do with a request the limiter did not decide in time. Default <see cref="FailureMode.Local"/>.</summary>
    public FailureMode FailureMode { get; set; } = FailureMode.Local;

    /// <summary>
    /// Local limits by policy name, for the local buckets until the limiter's own limits of that policy have been
    /// read (at start, with Peek); the limiter's, once read, take their place. Empty by default.
    /// </summary>
    public Dictionary<string, LocalPolicyOptions> Policies { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How often the limits of the tenants' policies are read again from the limiter. 1 s to 1 h; default 60 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PolicyRefresh { get; set; } = TimeSpan.FromSeconds(60);
}
