using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Grpc.Net.Client;

namespace Microservices.SystemTests;

/// <summary>Starts the whole AppHost once for the system tests, as real processes, and waits until it is healthy.</summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Resources that start with the AppHost (cache-node-4 starts only on demand).</summary>
    public static readonly string[] StartedResources = ["ratelimiter", "cache-node-1", "cache-node-2", "cache-node-3"];
    private readonly Dictionary<string, GrpcChannel> _channels = [];
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The AppHost has not started");

    public async Task InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>().WaitAsync(StartTimeout);
        _app = await builder.BuildAsync().WaitAsync(StartTimeout);
        await _app.StartAsync().WaitAsync(StartTimeout);
        foreach (var resource in StartedResources)
        {
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(resource).WaitAsync(StartTimeout);
        }
    }

    /// <summary>One channel per resource, to its h2c endpoint.</summary>
    public GrpcChannel Channel(string resource)
    {
        lock (_channels)
        {
            if (!_channels.TryGetValue(resource, out var channel))
            {
                channel = GrpcChannel.ForAddress(App.GetEndpoint(resource, "http"));
                _channels[resource] = channel;
            }

            return channel;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }

        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AppHostTests : ICollectionFixture<AppHostFixture>
{
    public const string Name = "AppHost";
}
