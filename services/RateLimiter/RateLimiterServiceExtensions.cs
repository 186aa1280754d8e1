using Microservices.RateLimiter.Buckets;
using Microservices.RateLimiter.Grpc;
using Microservices.RateLimiter.Policies;
using Microservices.RateLimiter.Telemetry;
using Microsoft.Extensions.Options;

namespace Microservices.RateLimiter;

/// <summary>Registers the rate limiter's services.</summary>
public static class RateLimiterServiceExtensions
{
    /// <summary>Adds options (validated at start), the limiter, its sweeper and telemetry.</summary>
    public static IHostApplicationBuilder AddRateLimiterServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimiterOptions>()
            .BindConfiguration(RateLimiterOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RateLimiterOptions>, RateLimiterOptionsValidator>();
        // The limiter reads the clock on every decision; the coarse clock is most of the saving (see bench/README.md).
        builder.Services.AddSingleton<TimeProvider>(CoarseTimeProvider.System);
        builder.Services.AddSingleton(sp => new TokenBucketLimiter(
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<RateLimiterOptions>>().Value.MaxBuckets));
        builder.Services.AddSingleton<PolicyCatalog>();
        builder.Services.AddSingleton<LimitResolver>();
        builder.Services.AddSingleton<RateLimiterTelemetry>();
        builder.Services.AddHostedService<BucketSweeper>();
        return builder;
    }

    /// <summary>Maps the RateLimiter gRPC service.</summary>
    public static WebApplication MapRateLimiter(this WebApplication app)
    {
        app.MapGrpcService<RateLimiterGrpcService>();
        return app;
    }
}
