using System.ComponentModel.DataAnnotations;

namespace Microservices.Client;

/// <summary>
/// How one client reaches its service, bound from configuration: <c>Microservices:Cache</c>,
/// <c>Microservices:RateLimiter</c> or <c>Microservices:LogCollector</c> (see <see cref="MicroservicesClients"/>), then
/// changed by the <c>configure</c> delegate of the registration. Validated when the client is first made.
/// </summary>
/// <example>
/// <code>
/// "Microservices": { "Cache": { "Address": "http://gateway", "ApiKey": "...", "Timeout": "00:00:02" } }
/// </code>
/// </example>
public sealed class MicroservicesClientOptions
{
    /// <summary>
    /// The service's address. A name such as <c>http://gateway</c> is resolved by service discovery
    /// (Microsoft.Extensions.ServiceDiscovery: configuration <c>Services:gateway:http:0</c>, as Aspire sets it, or DNS);
    /// a host and port (<c>http://localhost:5100</c>) is used as is. gRPC over h2c for <c>http</c>, TLS for <c>https</c>.
    /// Defaults: <c>http://gateway</c>, <c>http://ratelimiter</c>, <c>http://logcollector</c>.
    /// </summary>
    [Required]
    public Uri? Address { get; set; }

    /// <summary>
    /// The API key, sent with every call in the <c>x-api-key</c> metadata (also over plain http). The gateway maps it to
    /// a tenant; the rate limiter and the log collector accept the application keys configured in
    /// <c>ClusterAuth:ApplicationKeys</c>. Null: no key is sent.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The deadline of each unary call that has none of its own, counted from its start, retries included. 1 ms to
    /// 10 minutes; default 5 s. Streaming calls (Ingest, WatchAlerts) get none.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Attempts of a call that is safe to repeat (reads, and the idempotent Invalidate and Touch) when it fails with
    /// UNAVAILABLE, through gRPC's retry policy (exponential backoff from 100 ms to 1 s, with jitter). Calls that take
    /// something (Put, Acquire, Write) are never retried: a retry could apply twice. 1 (no retry) to 5; default 3.
    /// </summary>
    [Range(1, 5)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Aspire client integrations only: true leaves out the grpc.health.v1 health check. Default false.</summary>
    public bool DisableHealthChecks { get; set; }

    /// <summary>
    /// Aspire client integrations only: true leaves out the OpenTelemetry tracing of the client's calls
    /// (OpenTelemetry.Instrumentation.GrpcNetClient). Default false.
    /// </summary>
    public bool DisableTracing { get; set; }
}
