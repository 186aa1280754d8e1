namespace Microservices.Client;

/// <summary>The names of the clients: their options names, configuration sections and default addresses.</summary>
public static class MicroservicesClients
{
    /// <summary>The gateway's Cache client: options name and the section under <c>Microservices</c>.</summary>
    public const string Cache = "Cache";

    /// <summary>The RateLimiter client.</summary>
    public const string RateLimiter = "RateLimiter";

    /// <summary>The LogCollector client.</summary>
    public const string LogCollector = "LogCollector";

    /// <summary>The configuration section of a client: <c>Microservices:&lt;name&gt;</c>.</summary>
    public static string SectionOf(string name) => $"Microservices:{name}";

    /// <summary>The default address of a client: the Aspire resource name of its service, for service discovery.</summary>
    public static Uri DefaultAddressOf(string name) => name switch
    {
        Cache => new("http://gateway"),
        RateLimiter => new("http://ratelimiter"),
        LogCollector => new("http://logcollector"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a client of the suite"),
    };
}
