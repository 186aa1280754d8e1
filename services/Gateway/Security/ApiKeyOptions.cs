namespace Microservices.Gateway.Security;

/// <summary>One tenant key.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>The secret the client sends in <c>x-api-key</c>.</summary>
    public string Key { get; set; } = string.Empty;

    /// <summary>Tenant id: 1 to 63 lowercase letters, digits or '-'. Its keys live in their own namespace.</summary>
    public string Tenant { get; set; } = string.Empty;

    /// <summary>The rate limiter policy of the tenant's bucket. Default "default".</summary>
    public string Policy { get; set; } = "default";

    /// <summary>
    /// What the cache does with the tenant's concurrent writes of one key: LastWriterWins (the default) or Siblings.
    /// A Put's <c>conflict_policy</c> overrides it. Every key of a tenant must name the same policy.
    /// </summary>
    public Caching.ConflictPolicy ConflictPolicy { get; set; } = Caching.ConflictPolicy.LastWriterWins;
}
