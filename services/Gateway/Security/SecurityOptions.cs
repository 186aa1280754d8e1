namespace Microservices.Gateway.Security;

/// <summary>API keys (section <c>Security</c>). Outside Development the gateway does not start without them.</summary>
public sealed class SecurityOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Security";

    /// <summary>Tenant keys: each names a tenant and its rate-limit policy.</summary>
    public List<ApiKeyOptions> ApiKeys { get; set; } = [];

    /// <summary>Keys allowed to call the Cluster admin service.</summary>
    public List<string> AdminKeys { get; set; } = [];
}
