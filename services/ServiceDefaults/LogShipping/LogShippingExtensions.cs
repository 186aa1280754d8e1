using Grpc.AspNetCore.Server;
using Microservices.ServiceDefaults.ClusterAuth;
using Microservices.Logs.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microservices.ServiceDefaults.LogShipping;

/// <summary>Registers log shipping when the service knows a log collector.</summary>
public static class LogShippingExtensions
{
    /// <summary>
    /// Adds the call interceptor, the warning/error logger, the queue and the shipper, when a <c>logcollector</c>
    /// reference (<c>services:logcollector:http:0</c>) or <c>LogShipping:Address</c> is configured and
    /// <c>LogShipping:Enabled</c> is not false. The log collector itself has no such reference.
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
        services.AddSingleton(new ShippedServiceName(configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName));
        services.AddSingleton<LogOutbox>();
        services.AddSingleton<LogShippingInterceptor>();
        services.Configure<GrpcServiceOptions>(grpc => grpc.Interceptors.Add<LogShippingInterceptor>());
        services.AddGrpcClient<LogCollector.LogCollectorClient>((sp, client) =>
            client.Address = sp.GetRequiredService<IOptions<LogShippingOptions>>().Value.Address).AddClusterKey();
        services.AddHostedService<LogShipper>();
        builder.Logging.Services.AddSingleton<ILoggerProvider, ShippingLoggerProvider>();
        return builder;
    }
}
