using System.Diagnostics;

namespace Microservices.Samples.WebApi.Telemetry;

/// <summary>The sample's own spans (<c>catalog.load</c>: a read of the database), exported with the others.</summary>
internal static class CatalogTelemetry
{
    /// <summary>The name of the sample's <see cref="ActivitySource"/>.</summary>
    public const string SourceName = "Microservices.Samples.WebApi";

    public static readonly ActivitySource Source = new(SourceName);
}
