using System.Collections.Frozen;
using Microservices.RateLimiter.Buckets;
using Microsoft.Extensions.Options;

namespace Microservices.RateLimiter.Policies;

/// <summary>The named policies of the configuration, resolved to bucket limits.</summary>
public sealed class PolicyCatalog(IOptions<RateLimiterOptions> options)
{
    private readonly FrozenDictionary<string, BucketLimit> _policies = options.Value.Policies
        .ToFrozenDictionary(p => p.Key, p => new BucketLimit(p.Value.Capacity, p.Value.RefillPerSecond), StringComparer.Ordinal);

    /// <summary>The limit of the <c>default</c> policy.</summary>
    public BucketLimit Default => _policies[RateLimiterOptions.DefaultPolicy];

    /// <summary>Looks a policy up by name.</summary>
    public bool TryGet(string name, out BucketLimit limit) => _policies.TryGetValue(name, out limit);
}
