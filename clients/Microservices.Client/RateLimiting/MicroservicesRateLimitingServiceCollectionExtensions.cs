using System.Globalization;
using System.Threading.RateLimiting;
using Microservices.Client.Grpc;
using Microservices.Client.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers rate limiting backed by the RateLimiter service.</summary>
public static class MicroservicesRateLimitingServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="MicroservicesRateLimiterFactory"/> (options from <c>Microservices:RateLimiting</c>, then
    /// <paramref name="configure"/>) and the RateLimiter client (section <c>Microservices:RateLimiter</c>) unless it
    /// is registered already. Use the factory for a <c>RateLimiter</c> per key anywhere.
    /// </summary>
    public static IServiceCollection AddMicroservicesRateLimiterFactory(
        this IServiceCollection services, Action<MicroservicesRateLimitingOptions>? configure = null)
    {
        if (!services.Any(d => d.ServiceType == typeof(RateLimiterClient)))
        {
            services.AddMicroservicesRateLimiter();
        }

        ClientRegistration.AddSettings(services, MicroservicesRateLimitingOptions.Section, configure);

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new MicroservicesRateLimiterFactory(
            sp.GetRequiredService<RateLimiterClient>(), sp.GetRequiredService<IOptions<MicroservicesRateLimitingOptions>>(),
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>
    /// ASP.NET Core rate limiting for <c>app.UseRateLimiter()</c>, backed by the RateLimiter service: the global
    /// limiter is a <see cref="PartitionedRateLimiter{HttpContext}"/> that limits each request by the key
    /// <paramref name="partitionKey"/> gives it (for example the user name or the client IP), so every instance of the
    /// application shares each key's one limit. A refused request gets 429 Too Many Requests with a
    /// <c>Retry-After</c> header (whole seconds, rounded up). Also registers what
    /// <see cref="AddMicroservicesRateLimiterFactory"/> does.
    /// </summary>
    public static IServiceCollection AddMicroservicesRateLimiting(
        this IServiceCollection services, Func<HttpContext, string> partitionKey, Action<MicroservicesRateLimitingOptions>? configure = null)
    {
        services.AddMicroservicesRateLimiterFactory(configure);
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<MicroservicesRateLimiterFactory>((options, factory) =>
        {
            options.GlobalLimiter = factory.CreatePartitioned(partitionKey);
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter =
                        Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }

                return ValueTask.CompletedTask;
            };
        });
        return services;
    }
}
