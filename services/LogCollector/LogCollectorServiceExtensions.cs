using Microservices.LogCollector.Alerting;
using Microservices.LogCollector.Alerting.Sinks;
using Microservices.LogCollector.Grpc;
using Microservices.LogCollector.Ingest;
using Microservices.LogCollector.Otlp;
using Microservices.LogCollector.Telemetry;
using Microservices.LogCollector.Windows;
using Microsoft.Extensions.Options;

namespace Microservices.LogCollector;

/// <summary>Registers the log collector's services.</summary>
public static class LogCollectorServiceExtensions
{
    /// <summary>Adds options (validated at start), the windows, ingest, the alert manager and its sinks.</summary>
    public static IHostApplicationBuilder AddLogCollectorServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<LogCollectorOptions>().BindConfiguration(LogCollectorOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LogCollectorOptions>, LogCollectorOptionsValidator>();
        services.AddOptions<AlertingOptions>().BindConfiguration(AlertingOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AlertingOptions>, AlertingOptionsValidator>();
        services.TryAddTimeProvider();

        services.AddSingleton<WindowRegistry>();
        services.AddSingleton<LogCollectorTelemetry>();
        services.AddSingleton<LogIngestor>();
        services.AddSingleton<AlertManager>();

        services.AddSingleton<INotificationSink, LogSink>();
        services.AddHttpClient<WebhookSink>();
        services.AddSingleton<INotificationSink>(sp => sp.GetRequiredService<WebhookSink>());
        services.AddSingleton<INotificationSink, EmailSink>();
        services.AddSingleton<NotificationDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationDispatcher>());
        services.AddHostedService<AlertEvaluator>();
        return builder;
    }

    /// <summary>Maps the LogCollector gRPC service and OTLP/gRPC logs ingest (LogsService/Export).</summary>
    public static WebApplication MapLogCollector(this WebApplication app)
    {
        app.MapGrpcService<LogCollectorGrpcService>();
        app.MapGrpcService<OtlpLogsGrpcService>();
        return app;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(descriptor => descriptor.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}
