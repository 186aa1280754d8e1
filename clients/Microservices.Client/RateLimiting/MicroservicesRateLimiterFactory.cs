using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Client.RateLimiting;

/// <summary>
/// Makes rate limiters backed by the RateLimiter service (registered by <c>AddMicroservicesRateLimiting</c>): a
/// <see cref="RateLimiter"/> per key, or a <see cref="PartitionedRateLimiter{TResource}"/> (for ASP.NET Core, over
/// <c>HttpContext</c>) that gives each partition key its own. All share the options and the policy's limits.
/// </summary>
public sealed class MicroservicesRateLimiterFactory
{
    private readonly RateLimiterClient _client;
    private readonly MicroservicesRateLimitingOptions _options;
    private readonly PolicySource _policy;
    private readonly TimeProvider _time;

    /// <summary>Limiters over <paramref name="client"/> with <paramref name="options"/>.</summary>
    public MicroservicesRateLimiterFactory(RateLimiterClient client, IOptions<MicroservicesRateLimitingOptions> options, TimeProvider time)
    {
        _client = client;
        _options = options.Value;
        _time = time;
        _policy = new PolicySource(client, _options, time);
    }

    /// <summary>True once the policy's limit is known (read from the limiter, or configured); for tests.</summary>
    internal bool PolicyKnown => _policy.Current() is not null;

    /// <summary>A limiter for <paramref name="key"/> (the limiter's key is the options' KeyPrefix and then it).</summary>
    public MicroservicesRateLimiter Create(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return new MicroservicesRateLimiter(key, _client, _options, _policy, _time);
    }

    /// <summary>
    /// A partitioned limiter: each resource is limited by the key <paramref name="partitionKey"/> gives it (a user
    /// id, a client IP, an API key), each key with its own <see cref="MicroservicesRateLimiter"/>.
    /// </summary>
    public PartitionedRateLimiter<TResource> CreatePartitioned<TResource>(Func<TResource, string> partitionKey) =>
        PartitionedRateLimiter.Create<TResource, string>(resource => RateLimitPartition.Get(partitionKey(resource), Create));
}
