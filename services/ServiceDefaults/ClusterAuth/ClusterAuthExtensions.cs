using Grpc.AspNetCore.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microservices.ServiceDefaults.ClusterAuth;

/// <summary>The two sides of the cluster key: the check in the internal services, the header on calls to them.</summary>
public static class ClusterAuthExtensions
{
    /// <summary>
    /// Makes this an internal service: every RPC but health and reflection needs the cluster key, or an application key
    /// when <paramref name="acceptApplicationKeys"/> (the rate limiter and the log collector take them, the nodes do not).
    /// The keys are validated at start (<see cref="ClusterAuthOptions"/>). Call after <c>AddServiceDefaults()</c>, so the
    /// request log interceptor sees the calls this check refuses.
    /// </summary>
    public static IHostApplicationBuilder RequireClusterKey(this IHostApplicationBuilder builder, bool acceptApplicationKeys)
    {
        var services = builder.Services;
        services.AddSingleton<IValidateOptions<ClusterAuthOptions>>(new ClusterAuthOptionsValidator(builder.Environment, acceptApplicationKeys));
        services.AddOptions<ClusterAuthOptions>().ValidateOnStart();
        services.AddSingleton(sp => new ClusterKeyInterceptor(sp.GetRequiredService<IOptions<ClusterAuthOptions>>(), acceptApplicationKeys));
        services.Configure<GrpcServiceOptions>(grpc => grpc.Interceptors.Add<ClusterKeyInterceptor>());
        services.AddHostedService(sp => new ClusterAuthStartup(
            sp.GetRequiredService<IOptions<ClusterAuthOptions>>(), acceptApplicationKeys,
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<ClusterAuthStartup>>()));
        return builder;
    }

    /// <summary>Sends the configured cluster key (<c>ClusterAuth:Key</c>) on every call of this client.</summary>
    public static IHttpClientBuilder AddClusterKey(this IHttpClientBuilder client) =>
        client.AddHttpMessageHandler(sp => new ClusterKeyHandler(sp.GetRequiredService<IOptions<ClusterAuthOptions>>().Value.Key));
}
