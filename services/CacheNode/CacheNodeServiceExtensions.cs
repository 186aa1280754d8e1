using Microservices.CacheNode.Grpc;
using Microservices.CacheNode.Store;
using Microservices.CacheNode.Telemetry;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Microservices.CacheNode;

/// <summary>Registers the cache node's services.</summary>
public static class CacheNodeServiceExtensions
{
    /// <summary>Adds options (validated at start), the store, its sweeper and telemetry.</summary>
    public static IHostApplicationBuilder AddCacheNodeServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CacheStoreOptions>()
            .BindConfiguration(CacheStoreOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<CacheStoreOptions>>().Value;
            return new CacheStore(sp.GetRequiredService<TimeProvider>(), options.MaxBytes, options.TombstoneGracePeriod);
        });
        builder.Services.AddSingleton<CacheNodeTelemetry>();
        builder.Services.AddSingleton<NodeInstance>();
        builder.Services.AddSingleton<Cluster.ClusterConfigRegister>();
        builder.Services.AddHostedService<StoreSweeper>();
        return builder;
    }

    /// <summary>Maps the CacheNode gRPC service, and creates the meter so its instruments exist from the start.</summary>
    public static WebApplication MapCacheNode(this WebApplication app)
    {
        app.Services.GetRequiredService<CacheNodeTelemetry>();

        // Every answer names this run of the node, so a gateway can tell it restarted (empty) even when it came back
        // before its failures made it DOWN.
        var instance = app.Services.GetRequiredService<NodeInstance>().Id;
        app.Use((context, next) =>
        {
            context.Response.Headers[NodeInstanceHeader.Name] = instance;
            return next(context);
        });
        app.MapGrpcService<CacheNodeGrpcService>();
        return app;
    }
}
