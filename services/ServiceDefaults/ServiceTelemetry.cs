namespace Microservices.ServiceDefaults;

/// <summary>
/// Naming rule for the project's own telemetry: each service has one <see cref="System.Diagnostics.ActivitySource"/>
/// and one <see cref="System.Diagnostics.Metrics.Meter"/>, both named <c>Microservices.&lt;Service&gt;</c>.
/// <c>AddServiceDefaults()</c> registers every source and meter under that prefix.
/// </summary>
public static class ServiceTelemetry
{
    /// <summary>Common prefix of every ActivitySource and Meter name of the project.</summary>
    public const string Prefix = "Microservices.";

    /// <summary>Returns the ActivitySource and Meter name of a service, for example <c>Microservices.RateLimiter</c>.</summary>
    public static string NameOf(string service) => Prefix + service;
}
