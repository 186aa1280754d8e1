using Grpc.Net.ClientFactory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microservices.Client.Grpc;

/// <summary>
/// The one way every client of the package is registered: <c>AddGrpcClient</c> with the address, a deadline per
/// call, retries of the safe methods, the API key as call credentials, and service discovery.
/// </summary>
internal static class ClientRegistration
{
    /// <summary>
    /// Registers <typeparamref name="TClient"/> with its options named <paramref name="name"/>, bound from
    /// <c>Microservices:&lt;name&gt;</c> and then <paramref name="configure"/>.
    /// </summary>
    public static IHttpClientBuilder Add<TClient>(
        IServiceCollection services, string name, (string Service, string[] Methods) retried, Action<MicroservicesClientOptions>? configure)
        where TClient : class
    {
        var options = services.AddOptions<MicroservicesClientOptions>(name)
            .Configure(o => o.Address = MicroservicesClients.DefaultAddressOf(name))
            .BindConfiguration(MicroservicesClients.SectionOf(name))
            .ValidateDataAnnotations();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddServiceDiscovery();
        return services
            .AddGrpcClient<TClient>((sp, client) => client.Address = OptionsOf(sp, name).Address)
            .ConfigureChannel((sp, channel) =>
            {
                channel.ServiceConfig = RetryPolicies.For(retried, OptionsOf(sp, name).MaxAttempts);

                // The key goes as call credentials also over h2c, as every service of the suite is reached in Aspire.
                channel.UnsafeUseInsecureChannelCallCredentials = true;
            })
            .AddInterceptor(InterceptorScope.Client, sp => new DeadlineInterceptor(OptionsOf(sp, name).Timeout))
            .AddCallCredentials((_, metadata, sp) =>
            {
                if (OptionsOf(sp, name).ApiKey is { Length: > 0 } key)
                {
                    metadata.Add("x-api-key", key);
                }

                return Task.CompletedTask;
            })
            .AddServiceDiscovery();
    }

    /// <summary>
    /// Options of a feature over a client (distributed cache, rate limiting): bound from <paramref name="section"/>,
    /// validated by their data annotations, then <paramref name="configure"/>.
    /// </summary>
    public static void AddSettings<TOptions>(IServiceCollection services, string section, Action<TOptions>? configure)
        where TOptions : class
    {
        var options = services.AddOptions<TOptions>().BindConfiguration(section).ValidateDataAnnotations();
        if (configure is not null)
        {
            options.Configure(configure);
        }
    }

    public static MicroservicesClientOptions OptionsOf(IServiceProvider services, string name) =>
        services.GetRequiredService<IOptionsMonitor<MicroservicesClientOptions>>().Get(name);
}
