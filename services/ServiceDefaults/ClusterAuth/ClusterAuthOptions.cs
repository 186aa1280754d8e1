namespace Microservices.ServiceDefaults.ClusterAuth;

/// <summary>
/// Who may call the internal services (the cache nodes, the rate limiter, the log collector), bound from
/// <c>ClusterAuth</c>. Every service reads it: the internal ones check calls with it, and every service sends
/// <see cref="Key"/> on its own calls to them (the gateway to the nodes and the limiter, every log shipper).
/// </summary>
public sealed class ClusterAuthOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ClusterAuth";

    /// <summary>The metadata (HTTP/2 header) that carries <see cref="Key"/>.</summary>
    public const string ClusterKeyHeader = "x-cluster-key";

    /// <summary>The metadata that carries an application key, as at the gateway.</summary>
    public const string ApplicationKeyHeader = "x-api-key";

    /// <summary>Longest key, in characters (printable ASCII, so also bytes).</summary>
    public const int MaxKeyLength = 256;

    /// <summary>
    /// The cluster credential, shared by the services of one cluster (the AppHost makes one per run): 1 to
    /// <see cref="MaxKeyLength"/> printable ASCII characters. It opens every RPC of every internal service.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>
    /// Keys of applications that call the rate limiter or ship logs to the log collector themselves; those two
    /// services accept them in <see cref="ApplicationKeyHeader"/>, the cache nodes do not. Each differs from <see cref="Key"/>.
    /// </summary>
    public List<string> ApplicationKeys { get; set; } = [];

    /// <summary>
    /// True lets an internal service that has no key to check answer every caller outside Development too (it logs a
    /// warning at start). In Development a service without keys answers every caller anyway; elsewhere it does not start.
    /// </summary>
    public bool AllowAnonymous { get; set; }
}
