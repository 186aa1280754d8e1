using System.Text.RegularExpressions;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Security;

/// <summary>Checks the keys at start: tenant ids well formed, keys unique, and keys present outside Development.</summary>
internal sealed partial class SecurityOptionsValidator(IHostEnvironment environment) : IValidateOptions<SecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, SecurityOptions options)
    {
        var failures = new List<string>();
        if (!environment.IsDevelopment() && (options.ApiKeys.Count == 0 || options.AdminKeys.Count == 0))
        {
            failures.Add("Security:ApiKeys and Security:AdminKeys must be configured outside Development");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var policies = new Dictionary<string, Caching.ConflictPolicy>(StringComparer.Ordinal);
        foreach (var key in options.ApiKeys)
        {
            if (!Enum.IsDefined(key.ConflictPolicy))
            {
                failures.Add($"Security:ApiKeys: the ConflictPolicy of tenant '{key.Tenant}' must be LastWriterWins or Siblings");
            }

            if (policies.TryGetValue(key.Tenant, out var policy) && policy != key.ConflictPolicy)
            {
                failures.Add($"Security:ApiKeys: the keys of tenant '{key.Tenant}' name different ConflictPolicy values; a tenant has one");
            }

            policies[key.Tenant] = key.ConflictPolicy;

            if (string.IsNullOrWhiteSpace(key.Key))
            {
                failures.Add($"Security:ApiKeys: the key of tenant '{key.Tenant}' must not be empty");
            }

            if (!TenantPattern().IsMatch(key.Tenant))
            {
                failures.Add($"Security:ApiKeys: tenant '{key.Tenant}' must be 1 to {RequestLimits.MaxTenantLength} lowercase letters, digits or '-'");
            }

            if (!seen.Add(key.Key))
            {
                failures.Add($"Security:ApiKeys: a key is listed twice (tenant '{key.Tenant}')");
            }
        }

        foreach (var key in options.AdminKeys)
        {
            if (string.IsNullOrWhiteSpace(key) || !seen.Add(key))
            {
                failures.Add("Security:AdminKeys: each key must be non-empty and differ from every other key");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9-]{1,63}$")]
    private static partial Regex TenantPattern();
}
