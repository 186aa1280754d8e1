using Microservices.Gateway.Caching;
using Microservices.Gateway.Grpc;
using Microservices.Gateway.Http;
using Microservices.Gateway.Membership;
using Microservices.Gateway.Origin;
using Microservices.Gateway.RateLimiting;
using Microservices.Gateway.Rebalancing;
using Microservices.Gateway.Replication;
using Microservices.Gateway.Security;
using Microservices.Gateway.WriteBack;
using Microservices.ServiceDefaults.ClusterAuth;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Gateway;

/// <summary>Registers the gateway's services.</summary>
public static class GatewayServiceExtensions
{
    /// <summary>Options (validated at start), membership, replication, security and the rate limiter client.</summary>
    public static IHostApplicationBuilder AddGatewayServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, ConfiguredNodesValidator>();
        services.AddSingleton<IValidateOptions<GatewayOptions>, AntiEntropyOptionsValidator>();
        services.AddSingleton<IValidateOptions<GatewayOptions>, ClusterConfigOptionsValidator>();
        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section).ValidateOnStart();
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidator>();
        services.AddSingleton<IValidateOptions<SecurityOptions>, SecurityOptionsValidator>();

        services.TryAddSingleton(TimeProvider.System);
        builder.AddOrigin();
        services.TryAddSingleton<NodeChannelFactory>();
        services.AddSingleton<TopologyStore>();
        services.AddSingleton<ClusterMembership>();
        services.AddSingleton<ClusterConfigClient>();
        services.AddHostedService<ClusterConfigWatcher>();
        services.AddSingleton<FailureDetector>();
        services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster");
        services.AddHostedService<NodeProber>();
        services.AddSingleton<HintLog>();
        services.AddSingleton<HintStore>();
        services.AddSingleton<HintReplayer>();
        services.AddHostedService(sp => sp.GetRequiredService<HintReplayer>());
        services.AddSingleton<HybridLogicalClock>();
        services.AddHostedService<ClockOffsetMonitor>();
        services.AddHealthChecks().AddCheck<ClockHealthCheck>("clock");
        services.AddSingleton<NodeCalls>();
        services.AddSingleton<ReplicaSelector>();
        services.AddSingleton<ReplicaCoordinator>();
        services.AddSingleton<Rebalancer>();
        services.AddSingleton<ClusterAdmin>();
        services.AddHostedService<ChangeTakeover>();
        services.AddSingleton<AntiEntropyTelemetry>();
        services.AddSingleton<AntiEntropy>();
        services.AddHostedService(sp => sp.GetRequiredService<AntiEntropy>());
        services.AddSingleton<CacheService>();
        services.AddSingleton(sp => new RequestMapping(sp.GetRequiredService<IOptions<GatewayOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<PolicyLimits>();
        services.AddSingleton<RateLimitTelemetry>();
        services.AddSingleton<TenantRateLimiter>();
        services.AddHostedService<PolicyReader>();
        services.AddSingleton<GatewayTelemetry>();
        services.AddSingleton<GatewayInterceptor>();

        services.AddGrpcClient<RateLimiterClient>((sp, client) =>
            client.Address = sp.GetRequiredService<IOptions<RateLimitOptions>>().Value.Address).AddClusterKey();
        services.AddHttpJson();
        services.Configure<global::Grpc.AspNetCore.Server.GrpcServiceOptions>(grpc => grpc.Interceptors.Add<GatewayInterceptor>());
        return builder;
    }

    /// <summary>Maps the Cache and Cluster services.</summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        app.MapGrpcService<CacheGrpcService>();
        app.MapGrpcService<ClusterGrpcService>();
        return app;
    }

    // The origin database, when Origin:Path is set: pool, store, migrations at start, cache-aside.
    private static void AddOrigin(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<OriginOptions>().BindConfiguration(OriginOptions.Section).ValidateOnStart()
            .PostConfigure<IOptions<GatewayOptions>, IHostEnvironment>((origin, gateway, environment) =>
            {
                // The write-back log's folder: its own setting, else under the gateway's data folder.
                var writeBack = origin.WriteBack;
                if (string.IsNullOrWhiteSpace(writeBack.Path) && gateway.Value.DataPath.Length > 0)
                {
                    writeBack.Path = System.IO.Path.Combine(gateway.Value.DataPath, "writeback");
                }

                if (!string.IsNullOrWhiteSpace(writeBack.Path))
                {
                    writeBack.Path = System.IO.Path.GetFullPath(writeBack.Path, environment.ContentRootPath);
                }
            });
        services.AddSingleton<IValidateOptions<OriginOptions>, OriginOptionsValidator>();
        services.AddSingleton<OriginTelemetry>();
        services.AddSingleton<OriginAccess>();
        var path = builder.Configuration[$"{OriginOptions.Section}:{nameof(OriginOptions.Path)}"];
        if (string.IsNullOrWhiteSpace(path))
        {
            return;
        }

        var fullPath = System.IO.Path.GetFullPath(path, builder.Environment.ContentRootPath);
        services.AddSingleton(sp =>
        {
            var telemetry = sp.GetRequiredService<OriginTelemetry>();
            var logger = sp.GetRequiredService<ILogger<SqliteOriginStore>>();
            var pool = new ConnectionPool<SqliteConnection>(
                new SqliteConnectionFactory(fullPath), sp.GetRequiredService<IOptions<OriginOptions>>().Value.Pool,
                sp.GetRequiredService<TimeProvider>(), telemetry.RecordWait,
                ex => OriginLog.BackgroundFailure(logger, ex));
            telemetry.ObservePool(pool.GetStats);
            return pool;
        });
        services.AddSingleton(sp => new SqliteOriginStore(
            sp.GetRequiredService<ConnectionPool<SqliteConnection>>(), fullPath, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<OriginOptions>>().Value.TombstoneRetention, sp.GetRequiredService<OriginTelemetry>()));
        services.AddSingleton<IOriginStore>(sp => sp.GetRequiredService<SqliteOriginStore>());
        services.AddSingleton(sp => new CacheAside(
            sp.GetRequiredService<IOriginStore>(), sp.GetRequiredService<ReplicaCoordinator>(),
            sp.GetRequiredService<IOptions<GatewayOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<OriginTelemetry>(), sp.GetRequiredService<ILogger<CacheAside>>(),
            sp.GetRequiredService<OriginAccess>().WritesBack ? sp.GetRequiredService<WriteBackLog>() : null));
        services.AddHostedService<OriginStartup>();

        // Write-back: the log, and its flusher (which does nothing under another policy), after the migrations.
        services.AddSingleton<WriteBackTelemetry>();
        services.AddSingleton(sp => new WriteBackLog(
            sp.GetRequiredService<IOptions<OriginOptions>>().Value.WriteBack, sp.GetRequiredService<IOptions<OriginOptions>>().Value.WriteBack.Path,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<WriteBackTelemetry>(), sp.GetRequiredService<ILogger<WriteBackLog>>()));
        services.AddHostedService<WriteBackFlusher>();
        services.AddHealthChecks().AddCheck<WriteBackHealthCheck>("writeback");
    }
}
