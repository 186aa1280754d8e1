using Aspire.Hosting;
using Aspire.Hosting.Testing;
using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Microservices.SystemTests;

/// <summary>Starts the whole AppHost once for the system tests, as real processes, and waits until it is healthy.</summary>
public class AppHostFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Resources that start with the AppHost (cache-node-4 starts only on demand).</summary>
    public static readonly string[] StartedResources = ["logcollector", "ratelimiter", "cache-node-1", "cache-node-2", "cache-node-3", "gateway", "gateway-2"];
    private readonly Dictionary<string, GrpcChannel> _channels = [];
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The AppHost has not started");

    /// <summary>This AppHost's own data folder (origin database, gateway state), not the developer's <c>.data/</c>.</summary>
    public string DataFolder { get; } = Path.Combine(Path.GetTempPath(), $"apphost-{Guid.NewGuid():N}");

    /// <summary>This AppHost's cluster key (Parameters:cluster-key), sent on every call through <see cref="Channel"/>.</summary>
    public string ClusterKey { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>The development application key the rate limiter and the log collector accept.</summary>
    public const string ApplicationKey = "dev-app-key";

    /// <summary>True to start the Aspire dashboard too (off in tests unless a test reads telemetry from it).</summary>
    protected virtual bool WithDashboard => false;

    /// <summary>How long one attempt to start the AppHost may take (about 20 s on a quiet 2-core machine).</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Starts the AppHost and waits until every started resource is healthy. An attempt that does not finish in
    /// <see cref="AttemptTimeout"/> is stopped and made once more from a clean data folder (the orchestrator has been
    /// seen to stall a start under CI load); a second stall fails with the state and health of every resource.
    /// </summary>
    public async Task InitializeAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartOnceAsync();
                return;
            }
            catch (TimeoutException) when (attempt < 2)
            {
                await Console.Error.WriteLineAsync($"{GetType().Name}: the AppHost did not start in {AttemptTimeout}; {ResourceStates()}; starting it once more");
                await StopAppAsync();
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"The AppHost did not start in {AttemptTimeout}, twice; {ResourceStates()}");
            }
        }
    }

    /// <summary>One attempt: builds and starts the AppHost, then waits for health; TimeoutException after <see cref="AttemptTimeout"/>.</summary>
    private async Task StartOnceAsync()
    {
        using var timeout = new CancellationTokenSource(AttemptTimeout);
        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
                [$"DataFolder={DataFolder}", $"Parameters:cluster-key={ClusterKey}", "FixedPorts=false"], (options, _) => options.DisableDashboard = !WithDashboard)
                .WaitAsync(timeout.Token);
            _app = await builder.BuildAsync(timeout.Token).WaitAsync(timeout.Token);
            await _app.StartAsync(timeout.Token).WaitAsync(timeout.Token);
            foreach (var resource in StartedResources)
            {
                await _app.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"no start in {AttemptTimeout}");
        }
    }

    /// <summary>Every resource's state and health, as the orchestrator reports them now (for a failure message).</summary>
    private string ResourceStates()
    {
        if (_app is null)
        {
            return "the AppHost was not built";
        }

        var states = StartedResources.Select(name => _app.ResourceNotifications.TryGetCurrentState(name, out var e)
            ? $"{name}: {e.Snapshot.State?.Text ?? "no state"}, {e.Snapshot.HealthStatus?.ToString() ?? "no health yet"}"
            : $"{name}: not known");
        return "resources: " + string.Join("; ", states);
    }

    /// <summary>One channel per resource, to its h2c endpoint; every call carries the cluster key.</summary>
    public GrpcChannel Channel(string resource)
    {
        lock (_channels)
        {
            if (!_channels.TryGetValue(resource, out var channel))
            {
                channel = GrpcChannel.ForAddress(App.GetEndpoint(resource, "http"), new GrpcChannelOptions
                {
                    HttpHandler = new ClusterKeyHandler(ClusterKey) { InnerHandler = new SocketsHttpHandler() },
                });
                _channels[resource] = channel;
            }

            return channel;
        }
    }

    /// <summary>A channel to a resource that sends no key, as a stranger on the network would; the caller disposes it.</summary>
    public GrpcChannel ChannelWithoutKey(string resource) => GrpcChannel.ForAddress(App.GetEndpoint(resource, "http"));

    /// <summary>A client of gateway <paramref name="gateway"/> (the resource name) that sends <paramref name="apiKey"/>.</summary>
    public T Gateway<T>(Func<Grpc.Core.CallInvoker, T> create, string apiKey = "dev-key", string gateway = "gateway") =>
        create(Grpc.Core.Interceptors.CallInvokerExtensions.Intercept(Channel(gateway).CreateCallInvoker(), metadata =>
        {
            metadata.Add("x-api-key", apiKey);
            return metadata;
        }));

    /// <summary>Runs a dashboard command of a resource; returns its message, failing the test when it fails.</summary>
    public async Task<string> ExecuteCommandAsync(string resource, string command)
    {
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        var result = await commands.ExecuteCommandAsync(resource, command).WaitAsync(StartTimeout);
        Assert.True(result.Success, result.Message);
        return result.Message ?? string.Empty;
    }

    /// <summary>
    /// Kills a resource's process tree (SIGKILL, as a crash would) and waits until the orchestrator sees it gone.
    /// Aspire's stop command is not used: under the test host a project runs as `dotnet run`, which does not pass
    /// the stop signal on in time.
    /// </summary>
    public async Task KillAsync(string resource)
    {
        Assert.True(App.ResourceNotifications.TryGetCurrentState(resource, out var state), $"no resource {resource}");
        var pid = state.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value;
        using (var process = Process.GetProcessById(Convert.ToInt32(pid, CultureInfo.InvariantCulture)))
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(StartTimeout);
        }

        await App.ResourceNotifications.WaitForResourceAsync(resource, [KnownResourceStates.Exited, KnownResourceStates.Finished, KnownResourceStates.FailedToStart])
            .WaitAsync(StartTimeout);
    }

    /// <summary>Starts a resource again through Aspire's start command, and waits until it is healthy.</summary>
    public async Task StartAsync(string resource)
    {
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        var result = await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand).WaitAsync(StartTimeout);
        Assert.True(result.Success, result.Message);
        await App.ResourceNotifications.WaitForResourceHealthyAsync(resource).WaitAsync(StartTimeout);
    }

    public async Task DisposeAsync()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }

        await StopAppAsync();
    }

    /// <summary>Stops the AppHost and every process it started, and deletes its data folder.</summary>
    private async Task StopAppAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().AsTask().WaitAsync(StartTimeout);
            _app = null;
        }

        if (Directory.Exists(DataFolder))
        {
            Directory.Delete(DataFolder, recursive: true);
        }
    }
}

/// <summary>Sends the cluster key in x-cluster-key, as the services do.</summary>
internal sealed class ClusterKeyHandler(string key) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Add("x-cluster-key", key);
        return base.SendAsync(request, cancellationToken);
    }
}

[CollectionDefinition(Name)]
public sealed class AppHostTests : ICollectionFixture<AppHostFixture>
{
    public const string Name = "AppHost";
}

/// <summary>The AppHost with its dashboard, for tests that read telemetry through the dashboard's HTTP API.</summary>
public sealed class DashboardAppHostFixture : AppHostFixture
{
    /// <inheritdoc />
    protected override bool WithDashboard => true;

    /// <summary>The dashboard's frontend address (its "http" endpoint; ports are random under test).</summary>
    public Uri DashboardUrl
    {
        get
        {
            Assert.True(App.ResourceNotifications.TryGetCurrentState("aspire-dashboard", out var state), "no dashboard resource");
            var urls = state.Snapshot.Urls;
            var frontend = urls.FirstOrDefault(u => u.Name == "http") ?? throw new InvalidOperationException(
                "dashboard URLs: " + string.Join(", ", urls.Select(u => $"{u.Name}={u.Url}")));
            return new Uri(frontend.Url);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardAppHostTests : ICollectionFixture<DashboardAppHostFixture>
{
    public const string Name = "AppHost with the dashboard";
}

/// <summary>A second, separate AppHost for tests that stop processes.</summary>
public sealed class FailureAppHostFixture : AppHostFixture;

[CollectionDefinition(Name)]
public sealed class FailureAppHostTests : ICollectionFixture<FailureAppHostFixture>
{
    public const string Name = "AppHost with failures";
}

/// <summary>A third AppHost, for killing and restarting a node under load.</summary>
public sealed class ResilienceAppHostFixture : AppHostFixture;

[CollectionDefinition(Name)]
public sealed class ResilienceAppHostTests : ICollectionFixture<ResilienceAppHostFixture>
{
    public const string Name = "AppHost with a restarted node";
}

/// <summary>A fourth AppHost, for the dashboard's commands that change the ring and for restarts after them.</summary>
public sealed class OperatorAppHostFixture : AppHostFixture;

[CollectionDefinition(Name)]
public sealed class OperatorAppHostTests : ICollectionFixture<OperatorAppHostFixture>
{
    public const string Name = "AppHost driven by the operator";
}
