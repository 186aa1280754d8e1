using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.RateLimiting;

/// <summary>
/// The capacity and rate of each policy, for the local buckets: as read from the limiter by
/// <see cref="PolicyReader"/>, else as configured in <c>RateLimiting:Policies</c>, else unknown.
/// </summary>
public sealed class PolicyLimits(IOptions<RateLimitOptions> options)
{
    private readonly ConcurrentDictionary<string, PolicyLimit> _read = new(StringComparer.Ordinal);

    /// <summary>The limit of <paramref name="policy"/>; null while unknown.</summary>
    public PolicyLimit? Find(string policy) =>
        _read.TryGetValue(policy, out var read) ? read
        : options.Value.Policies.TryGetValue(policy, out var configured) ? new PolicyLimit(configured.Capacity, configured.RefillPerSecond)
        : null;

    /// <summary>Keeps the limit the limiter reported for <paramref name="policy"/>.</summary>
    public void Set(string policy, PolicyLimit limit) => _read[policy] = limit;
}
