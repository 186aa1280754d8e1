using System.ComponentModel.DataAnnotations;

using Microservices.RateLimiting;

namespace Microservices.Client.RateLimiting;

/// <summary>
/// How <see cref="MicroservicesRateLimiter"/> limits, bound from <c>Microservices:RateLimiting</c>. The connection
/// itself (address, API key, retries) is the RateLimiter client's: <c>Microservices:RateLimiter</c>.
/// </summary>
public sealed class MicroservicesRateLimitingOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Microservices:RateLimiting";

    /// <summary>The limiter's policy (capacity and rate) every key is limited by. Default <c>"default"</c>.</summary>
    [Required]
    [MinLength(1)]
    public string Policy { get; set; } = "default";

    /// <summary>
    /// Put before every partition key to make the limiter's key, so applications sharing the limiter keep apart
    /// (for example <c>"orders:"</c>). Default empty.
    /// </summary>
    [MaxLength(200)]
    public string KeyPrefix { get; set; } = string.Empty;

    /// <summary>
    /// How long an acquire waits for the limiter's decision; past it (or when the limiter is unavailable) the key's
    /// local bucket decides. 1 ms to 10 s; default 50 ms, as the gateway's RateLimiting:Timeout.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The policy's capacity and rate for the local buckets until they have been read from the limiter (Peek, at the
    /// first acquire and then every <see cref="PolicyRefresh"/>). Null (default): until then, a request the limiter
    /// does not decide is refused.
    /// </summary>
    public PolicyLimit? FallbackLimit { get; set; }

    /// <summary>How often the policy's limits are read again from the limiter. 1 s to 1 h; default 60 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PolicyRefresh { get; set; } = TimeSpan.FromSeconds(60);
}
