using Grpc.AspNetCore.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Logs;

namespace Microservices.ServiceDefaults.LogShipping;

/// <summary>Registers log export to the collector when the service knows one.</summary>
public static class LogShippingExtensions
{
    /// <summary>
    /// Adds the request log interceptor and the collector's OTLP exporter (<see cref="CollectorLogProcessor"/>), when a
    /// <c>logcollector</c> reference (<c>services:logcollector:http:0</c>) or <c>LogShipping:Address</c> is configured
    /// and <c>LogShipping:Enabled</c> is not false. The log collector itself has no such reference.
    /// </summary>
    public static IHostApplicationBuilder AddLogShipping(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var section = configuration.GetSection(LogShippingOptions.Section);
        var known = !string.IsNullOrEmpty(configuration["services:logcollector:http:0"]) || section["Address"] is not null;
        if (!known || !section.GetValue(nameof(LogShippingOptions.Enabled), true))
        {
            return builder;
        }

        var services = builder.Services;
        services.AddOptions<LogShippingOptions>().BindConfiguration(LogShippingOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<LogShippingInterceptor>();
        services.Configure<GrpcServiceOptions>(grpc => grpc.Interceptors.Add<LogShippingInterceptor>());
        CollectorLogProcessor.AddHttpClient(services);
        services.ConfigureOpenTelemetryLoggerProvider(logging => logging.AddProcessor(CollectorLogProcessor.Create));

        // One line per call is for the collector and the dashboard, not for the console.
        builder.Logging.AddFilter<ConsoleLoggerProvider>(LogShippingInterceptor.Category, LogLevel.Warning);
        return builder;
    }
}
