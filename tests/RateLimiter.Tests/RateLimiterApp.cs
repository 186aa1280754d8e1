using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Microservices.RateLimiter.Tests;

/// <summary>The RateLimiter service hosted in process with a fake clock, and a gRPC client over the test server.</summary>
public sealed class RateLimiterApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private GrpcChannel? _channel;

    public RateLimiterApp(Dictionary<string, string?>? settings = null) => _settings = settings ?? [];

    public FakeTimeProvider Time { get; } = new();

    public RateLimit.V1.RateLimiter.RateLimiterClient Client
    {
        get
        {
            _channel ??= GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() });
            return new RateLimit.V1.RateLimiter.RateLimiterClient(_channel);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Time));
    }

    protected override void Dispose(bool disposing)
    {
        _channel?.Dispose();
        base.Dispose(disposing);
    }
}
