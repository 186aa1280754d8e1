namespace Microservices.Gateway.Security;

/// <summary>Who made a call: a tenant (with its rate-limit policy) or an administrator.</summary>
public sealed record Caller(string? Tenant, string Policy, bool IsAdmin)
{
    /// <summary>The key as stored in the cluster: the tenant's namespace, then the user's key.</summary>
    public string Namespaced(string key) => $"{Tenant}/{key}";

    /// <summary>The user's key from a stored one.</summary>
    public string UserKey(string storedKey) => storedKey[(Tenant!.Length + 1)..];
}
