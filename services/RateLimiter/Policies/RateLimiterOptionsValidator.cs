using Microservices.RateLimiter.Buckets;
using Microsoft.Extensions.Options;

namespace Microservices.RateLimiter.Policies;

/// <summary>Checks the rate limiter configuration at start: a default policy, every policy a valid bucket.</summary>
internal sealed class RateLimiterOptionsValidator : IValidateOptions<RateLimiterOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimiterOptions options)
    {
        var failures = new List<string>();
        if (!options.Policies.ContainsKey(RateLimiterOptions.DefaultPolicy))
        {
            failures.Add($"RateLimiter:Policies must define a '{RateLimiterOptions.DefaultPolicy}' policy");
        }

        foreach (var (policy, spec) in options.Policies)
        {
            var error = new BucketLimit(spec.Capacity, spec.RefillPerSecond).Validate($"RateLimiter:Policies:{policy}");
            if (error is not null)
            {
                failures.Add(error);
            }
        }

        if (options.MaxBuckets < 1)
        {
            failures.Add($"RateLimiter:MaxBuckets must be at least 1, got {options.MaxBuckets}");
        }

        if (options.SweepInterval <= TimeSpan.Zero)
        {
            failures.Add($"RateLimiter:SweepInterval must be positive, got {options.SweepInterval}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
