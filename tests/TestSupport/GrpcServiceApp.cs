using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Microservices.TestSupport;

/// <summary>
/// A service hosted in process with a fake clock and configuration overrides, and one gRPC channel over the
/// test server's handler.
/// </summary>
public sealed class GrpcServiceApp<TEntryPoint> : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;
    private GrpcChannel? _channel;

    /// <summary>
    /// A service with <paramref name="settings"/>, on its own fake clock from <paramref name="start"/> (default now),
    /// or on <paramref name="time"/> when given, so several services can share one clock.
    /// </summary>
    public GrpcServiceApp(
        Dictionary<string, string?>? settings = null, DateTimeOffset? start = null, Action<IServiceCollection>? services = null,
        FakeTimeProvider? time = null)
    {
        _settings = settings ?? [];
        _services = services;
        Time = time ?? new FakeTimeProvider(start ?? DateTimeOffset.UtcNow);
    }

    /// <summary>The service's clock.</summary>
    public FakeTimeProvider Time { get; }

    /// <summary>A channel to the service; starts it on first use.</summary>
    public GrpcChannel Channel =>
        _channel ??= GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() });

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Time);
            _services?.Invoke(services);
        });
    }

    protected override void Dispose(bool disposing)
    {
        _channel?.Dispose();
        base.Dispose(disposing);
    }
}
