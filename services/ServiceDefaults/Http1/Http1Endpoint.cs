using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Microservices.ServiceDefaults.Http1;

/// <summary>
/// The one endpoint of a service that speaks HTTP/1.1, for curl and for load balancers' HTTP health probes; every
/// other endpoint speaks HTTP/2 only (h2c), for gRPC. Kestrel in .NET 10 cannot serve both on one cleartext port: an
/// endpoint offering HTTP/1.1 and HTTP/2 without TLS has no ALPN to choose by and always takes HTTP/1.1, so a gRPC
/// client's HTTP/2 prior-knowledge preface is refused (dotnet/aspnetcore#56984, open).
/// </summary>
public static class Http1Endpoint
{
    /// <summary>Configuration key of the port that speaks HTTP/1.1 (<c>Http1:Port</c>); unset = none does.</summary>
    public const string PortKey = "Http1:Port";

    /// <summary>Path of the readiness probe: every health check must pass (200, else 503).</summary>
    public const string HealthPath = "/health";

    /// <summary>Path of the liveness probe: only the checks tagged <c>live</c> (the process answers).</summary>
    public const string AlivePath = "/alive";

    /// <summary>Makes the endpoint on <see cref="PortKey"/> speak HTTP/1.1 and every other one HTTP/2 (h2c).</summary>
    public static void ConfigureProtocols(IHostApplicationBuilder builder)
    {
        var http1Port = builder.Configuration.GetValue<int?>(PortKey);
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
            listen.Protocols = http1Port is { } port && listen.IPEndPoint?.Port == port ? HttpProtocols.Http1 : HttpProtocols.Http2));
    }

    /// <summary>
    /// Maps <see cref="HealthPath"/> and <see cref="AlivePath"/> (as the Aspire service-defaults template does, but in
    /// every environment: they report only Healthy, Degraded or Unhealthy, never the checks' details).
    /// </summary>
    public static void MapHealthProbes(WebApplication app)
    {
        app.MapHealthChecks(HealthPath);
        app.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") });
    }

    /// <summary>True for the probes' paths, which are left out of traces.</summary>
    public static bool IsProbe(HttpContext context) =>
        context.Request.Path.StartsWithSegments(HealthPath, StringComparison.Ordinal)
        || context.Request.Path.StartsWithSegments(AlivePath, StringComparison.Ordinal);
}
