using Microservices.Client;
using Microservices.Client.Caching;
using Microservices.Client.Grpc;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using CacheClient = Microservices.Gateway.V1.Cache.CacheClient;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="MicroservicesDistributedCache"/> as the application's <see cref="IDistributedCache"/>.</summary>
public static class MicroservicesDistributedCacheServiceCollectionExtensions
{
    /// <summary>
    /// <see cref="IDistributedCache"/> over the gateway (also the L2 that <c>AddHybridCache()</c> picks up), with
    /// options from <c>Microservices:DistributedCache</c> and then <paramref name="configure"/>. Registers the Cache
    /// client too (<see cref="MicroservicesClientServiceCollectionExtensions.AddMicroservicesCache"/>, section
    /// <c>Microservices:Cache</c>, then <paramref name="configureClient"/>) unless it is registered already.
    /// </summary>
    public static IServiceCollection AddMicroservicesDistributedCache(
        this IServiceCollection services, Action<MicroservicesDistributedCacheOptions>? configure = null,
        Action<MicroservicesClientOptions>? configureClient = null)
    {
        if (!services.Any(d => d.ServiceType == typeof(CacheClient)))
        {
            services.AddMicroservicesCache(configureClient);
        }
        else if (configureClient is not null)
        {
            services.Configure(MicroservicesClients.Cache, configureClient);
        }

        ClientRegistration.AddSettings(services, MicroservicesDistributedCacheOptions.Section, configure);

        services.TryAddSingleton(TimeProvider.System);
        services.Replace(ServiceDescriptor.Singleton<IDistributedCache>(sp => new MicroservicesDistributedCache(
            sp.GetRequiredService<CacheClient>(), sp.GetRequiredService<IOptions<MicroservicesDistributedCacheOptions>>(),
            sp.GetRequiredService<TimeProvider>())));
        return services;
    }
}
