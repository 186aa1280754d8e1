extern alias cachenode;
extern alias gateway;
extern alias logcollector;
extern alias protos;
extern alias ratelimiter;

using Grpc.Net.Client;
using Microservices.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NodeChannelFactory = gateway::Microservices.Gateway.Membership.NodeChannelFactory;
using ServerRateLimiterClient = protos::Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Client.Tests;

/// <summary>
/// The real services in process: a gateway over three cache nodes and a rate limiter, and a log collector, on one
/// fake clock. The limiter and the collector take the application key <see cref="AppKey"/>; the gateway takes the
/// tenant keys. <see cref="AddClients"/> points the package's clients at them.
/// </summary>
public sealed class ClientCluster : IDisposable
{
    public const string TenantKey = "alpha-key";
    public const string TightKey = "tight-key";
    public const string AppKey = "app-key";
    private const string ClusterKey = "cluster-key";

    private readonly List<GrpcServiceApp<cachenode::Program>> _nodes = [];

    public ClientCluster(Dictionary<string, string?>? limiterSettings = null)
    {
        var links = new Dictionary<string, HttpMessageHandler>();
        for (var i = 1; i <= 3; i++)
        {
            var node = new GrpcServiceApp<cachenode::Program>(new() { ["CacheNode:NodeName"] = $"node-{i}" }, time: Time);
            _nodes.Add(node);
            links[$"node-{i}"] = node.Server.CreateHandler();
        }

        var limiterConfig = new Dictionary<string, string?>
        {
            ["RateLimiter:Policies:tight:Capacity"] = "3",
            ["RateLimiter:Policies:tight:RefillPerSecond"] = "0.01",
            ["ClusterAuth:Key"] = ClusterKey,
            ["ClusterAuth:ApplicationKeys:0"] = AppKey,
        };
        foreach (var (key, value) in limiterSettings ?? [])
        {
            limiterConfig[key] = value;
        }

        Limiter = new GrpcServiceApp<ratelimiter::Program>(limiterConfig, time: Time);
        Collector = new GrpcServiceApp<logcollector::Program>(new()
        {
            ["ClusterAuth:Key"] = ClusterKey,
            ["ClusterAuth:ApplicationKeys:0"] = AppKey,
        });

        var config = new Dictionary<string, string?>
        {
            ["Security:ApiKeys:0:Key"] = TenantKey,
            ["Security:ApiKeys:0:Tenant"] = "alpha",
            ["Security:ApiKeys:1:Key"] = TightKey,
            ["Security:ApiKeys:1:Tenant"] = "tight",
            ["Security:ApiKeys:1:Policy"] = "tight",
            ["Security:AdminKeys:0"] = "admin-key",
            ["ClusterAuth:Key"] = ClusterKey,
            ["RateLimiting:Timeout"] = "00:00:05",
        };
        for (var i = 1; i <= 3; i++)
        {
            config[$"Gateway:Nodes:{i - 1}:Name"] = $"node-{i}";
            config[$"Gateway:Nodes:{i - 1}:Address"] = $"http://node-{i}";
        }

        var limiterHandler = Limiter.Server.CreateHandler();
        Gateway = new GrpcServiceApp<gateway::Program>(config, time: Time, services: services =>
        {
            services.AddSingleton<NodeChannelFactory>(new InProcessChannels(links));
            services.AddGrpcClient<ServerRateLimiterClient>().ConfigurePrimaryHttpMessageHandler(() => limiterHandler);
        });
    }

    /// <summary>The clock of every service (the collector keeps its own).</summary>
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>While true, the clients' calls to the limiter fail as if it were down.</summary>
    public bool LimiterDown { get; set; }

    public GrpcServiceApp<gateway::Program> Gateway { get; }

    public GrpcServiceApp<ratelimiter::Program> Limiter { get; }

    public GrpcServiceApp<logcollector::Program> Collector { get; }

    /// <summary>
    /// Registers the three clients of the package, as an application would, but reaching the in-process services,
    /// with <paramref name="tenantKey"/> for the gateway and <see cref="AppKey"/> for the others; the fake clock as
    /// the <see cref="TimeProvider"/>.
    /// </summary>
    public IServiceCollection AddClients(IServiceCollection services, string tenantKey = TenantKey)
    {
        services.AddSingleton<TimeProvider>(Time);
        var gateway = Gateway.Server;
        var limiter = Limiter.Server;
        var collector = Collector.Server;
        services.AddMicroservicesCache(o => (o.Address, o.ApiKey) = (gateway.BaseAddress, tenantKey))
            .ConfigurePrimaryHttpMessageHandler(gateway.CreateHandler);
        services.AddMicroservicesRateLimiter(o => (o.Address, o.ApiKey) = (limiter.BaseAddress, AppKey))
            .ConfigurePrimaryHttpMessageHandler(() => new Switch(this, limiter.CreateHandler()));
        services.AddMicroservicesLogCollector(o => (o.Address, o.ApiKey) = (collector.BaseAddress, AppKey))
            .ConfigurePrimaryHttpMessageHandler(collector.CreateHandler);
        return services;
    }

    /// <summary>A service provider with the clients (and an empty configuration, as a host has), and whatever <paramref name="more"/> adds.</summary>
    public ServiceProvider Clients(Action<IServiceCollection>? more = null, string tenantKey = TenantKey)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        AddClients(services, tenantKey);
        more?.Invoke(services);
        return services.BuildServiceProvider();
    }

    public void Dispose()
    {
        Gateway.Dispose();
        Limiter.Dispose();
        Collector.Dispose();
        foreach (var node in _nodes)
        {
            node.Dispose();
        }
    }

    private sealed class Switch(ClientCluster cluster, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            cluster.LimiterDown ? throw new HttpRequestException("connection refused (test)", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused)) : base.SendAsync(request, cancellationToken);
    }

    private sealed class InProcessChannels(Dictionary<string, HttpMessageHandler> links) : NodeChannelFactory
    {
        public override GrpcChannel Create(string name, Uri address) =>
            GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = links[address.Host], DisposeHttpClient = false });
    }
}
