using Microservices.Gateway.Caching;
using Microservices.Gateway.Grpc;
using Microservices.Gateway.Http;
using Microservices.Gateway.Membership;
using Microservices.Gateway.Origin;
using Microservices.Gateway.RateLimiting;
using Microservices.Gateway.Rebalancing;
using Microservices.Gateway.Replication;
using Microservices.Gateway.Security;
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
        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section).ValidateOnStart();
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidator>();
        services.AddSingleton<IValidateOptions<SecurityOptions>, SecurityOptionsValidator>();

        services.TryAddSingleton(TimeProvider.System);
        builder.AddOrigin();
        services.TryAddSingleton<NodeChannelFactory>();
        services.AddSingleton<TopologyStore>();
        services.AddSingleton<ClusterMembership>();
        services.AddSingleton<FailureDetector>();
        services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster");
        services.AddHostedService<NodeProber>();
        services.AddSingleton<HintLog>();
        services.AddSingleton<HintStore>();
        services.AddSingleton<HintReplayer>();
        services.AddHostedService(sp => sp.GetRequiredService<HintReplayer>());
        services.AddSingleton<HybridLogicalClock>();
        services.AddSingleton<NodeCalls>();
        services.AddSingleton<ReplicaSelector>();
        services.AddSingleton<ReplicaCoordinator>();
        services.AddSingleton<Rebalancer>();
        services.AddSingleton<ClusterAdmin>();
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
        services.AddOptions<OriginOptions>().BindConfiguration(OriginOptions.Section).ValidateOnStart();
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
            sp.GetRequiredService<IOptions<OriginOptions>>().Value.TombstoneRetention));
        services.AddSingleton<IOriginStore>(sp => sp.GetRequiredService<SqliteOriginStore>());
        services.AddSingleton(sp => new CacheAside(
            sp.GetRequiredService<IOriginStore>(), sp.GetRequiredService<ReplicaCoordinator>(),
            sp.GetRequiredService<IOptions<GatewayOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<OriginTelemetry>(), sp.GetRequiredService<ILogger<CacheAside>>()));
        services.AddHostedService<OriginStartup>();
    }
}
