using Microservices.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;

namespace Microsoft.Extensions.Hosting;

/// <summary>Sends the application's logs to the LogCollector with the standard OpenTelemetry OTLP exporter.</summary>
public static class MicroservicesLogExportExtensions
{
    /// <summary>
    /// Adds the OpenTelemetry logger with an OTLP (gRPC) exporter to the LogCollector: the address and API key of the
    /// LogCollector client's options (<c>Microservices:LogCollector</c>, then <paramref name="configure"/>; the key goes
    /// in the <c>x-api-key</c> header), read when the logger provider is built, so configuration added after this call
    /// (a test host's settings) counts. An address whose host is a service name (<c>http://logcollector</c>) is looked
    /// up in configuration as service discovery does (<c>services:logcollector:http:0</c>, which Aspire's WithReference
    /// sets), as the exporter does not use service discovery. The resource's <c>service.name</c> is
    /// <c>OTEL_SERVICE_NAME</c> when set (Aspire sets the resource's name, so the dashboard and the collector name the
    /// application alike), else the application's name. The LogCollector accepts OTLP logs on its gRPC port
    /// (LogsService/Export).
    /// </summary>
    public static IHostApplicationBuilder AddMicroservicesLogExport(this IHostApplicationBuilder builder, Action<MicroservicesClientOptions>? configure = null)
    {
        var configuration = builder.Configuration;
        var applicationName = builder.Environment.ApplicationName;
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            var resource = ResourceBuilder.CreateDefault();
            if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]))
            {
                resource.AddService(applicationName);
            }

            logging.SetResourceBuilder(resource);
            logging.AddOtlpExporter(otlp =>
            {
                var options = new MicroservicesClientOptions { Address = MicroservicesClients.DefaultAddressOf(MicroservicesClients.LogCollector) };
                configuration.GetSection(MicroservicesClients.SectionOf(MicroservicesClients.LogCollector)).Bind(options);
                configure?.Invoke(options);
                otlp.Endpoint = Resolve(options.Address!, configuration);
                otlp.Protocol = OtlpExportProtocol.Grpc;
                if (options.ApiKey is { Length: > 0 } key)
                {
                    otlp.Headers = $"x-api-key={key}";
                }
            });
        });
        return builder;
    }

    // http://logcollector -> the first endpoint service discovery's configuration gives for it; anything else as is.
    private static Uri Resolve(Uri address, IConfiguration configuration) =>
        configuration[$"services:{address.Host}:{address.Scheme}:0"] is { Length: > 0 } resolved ? new Uri(resolved) : address;
}
