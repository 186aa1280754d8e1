extern alias cachenode;
extern alias ratelimiter;

using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microservices.Gateway.Membership;
using Microservices.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Gateway.Tests;

/// <summary>
/// A gateway in process over three real cache nodes and a real rate limiter, also in process. Each node's and the
/// limiter's connection can be cut, to act out a node that stops answering.
/// </summary>
public sealed class GatewayCluster : IDisposable
{
    public const string AlphaKey = "alpha-key";
    public const string BetaKey = "beta-key";
    public const string TightKey = "tight-key";
    public const string AdminKey = "admin-key";
    public const string BulkKey = "bulk-key";

    private readonly Dictionary<string, GrpcServiceApp<cachenode::Program>> _nodes = [];
    private readonly GrpcServiceApp<ratelimiter::Program> _limiter;
    private readonly GrpcServiceApp<Program> _gateway;

    /// <summary>
    /// <paramref name="nodes"/> nodes on the ring from the start, and <paramref name="spares"/> more running but not
    /// on it (named after them), for AddNode. <paramref name="nodeSettings"/> configure every node.
    /// </summary>
    public GatewayCluster(
        int nodes = 3, Dictionary<string, string?>? settings = null, int spares = 0, Action<IServiceCollection>? services = null,
        Dictionary<string, string?>? nodeSettings = null)
    {
        for (var i = 1; i <= nodes + spares; i++)
        {
            var name = $"node-{i}";
            _nodes[name] = new GrpcServiceApp<cachenode::Program>(new(nodeSettings ?? []) { ["CacheNode:NodeName"] = name });
            Links[name] = new SwitchableHandler(_nodes[name].Server.CreateHandler());
        }

        _limiter = new GrpcServiceApp<ratelimiter::Program>(new()
        {
            ["RateLimiter:Policies:tight:Capacity"] = "3",
            ["RateLimiter:Policies:tight:RefillPerSecond"] = "0.01",
            ["RateLimiter:Policies:bulk:Capacity"] = "1000000000",
            ["RateLimiter:Policies:bulk:RefillPerSecond"] = "1000000000",
        });
        LimiterLink = new SwitchableHandler(_limiter.Server.CreateHandler());

        var config = new Dictionary<string, string?>
        {
            ["Security:ApiKeys:0:Key"] = AlphaKey,
            ["Security:ApiKeys:0:Tenant"] = "alpha",
            ["Security:ApiKeys:1:Key"] = BetaKey,
            ["Security:ApiKeys:1:Tenant"] = "beta",
            ["Security:ApiKeys:2:Key"] = TightKey,
            ["Security:ApiKeys:2:Tenant"] = "tight",
            ["Security:ApiKeys:2:Policy"] = "tight",
            ["Security:ApiKeys:3:Key"] = BulkKey,
            ["Security:ApiKeys:3:Tenant"] = "bulk",
            ["Security:ApiKeys:3:Policy"] = "bulk",
            ["Security:AdminKeys:0"] = AdminKey,
            ["RateLimiting:Timeout"] = "00:00:05",
            ["Gateway:MaxValueBytes"] = "4096",
        };
        for (var i = 1; i <= nodes; i++)
        {
            config[$"Gateway:Nodes:{i - 1}:Name"] = $"node-{i}";
            config[$"Gateway:Nodes:{i - 1}:Address"] = $"http://node-{i}";
        }

        foreach (var (key, value) in settings ?? [])
        {
            config[key] = value;
        }

        _gateway = new GrpcServiceApp<Program>(config, services: collection =>
        {
            collection.AddSingleton<NodeChannelFactory>(new InProcessChannels(Links));
            collection.AddGrpcClient<RateLimiterClient>().ConfigurePrimaryHttpMessageHandler(() => LimiterLink);
            services?.Invoke(collection);
        });
    }

    /// <summary>The connection to each node by name; set <c>Down</c> to cut it.</summary>
    public Dictionary<string, SwitchableHandler> Links { get; } = [];

    /// <summary>The connection to the rate limiter.</summary>
    public SwitchableHandler LimiterLink { get; }

    public V1.Cache.CacheClient Cache(string apiKey) => new(_gateway.Channel.Intercept(m =>
    {
        m.Add("x-api-key", apiKey);
        return m;
    }));

    public V1.Cluster.ClusterClient Cluster(string apiKey = AdminKey) => new(_gateway.Channel.Intercept(m =>
    {
        m.Add("x-api-key", apiKey);
        return m;
    }));

    public Cache.V1.CacheNode.CacheNodeClient Node(string name) => new(_nodes[name].Channel);

    /// <summary>The channel to the gateway, for calls made without a generated client.</summary>
    public GrpcChannel GatewayChannel => _gateway.Channel;

    /// <summary>The gateway's clock.</summary>
    public Microsoft.Extensions.Time.Testing.FakeTimeProvider Time => _gateway.Time;

    /// <summary>The gateway's services (starts it on first use).</summary>
    public IServiceProvider GatewayServices
    {
        get
        {
            _ = _gateway.Channel;
            return _gateway.Services;
        }
    }

    public void Dispose()
    {
        _gateway.Dispose();
        _limiter.Dispose();
        foreach (var node in _nodes.Values)
        {
            node.Dispose();
        }
    }

    /// <summary>A link that fails every call while <see cref="Down"/> is set, as a stopped node would.</summary>
    public sealed class SwitchableHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private volatile bool _down;
        private int _calls;

        /// <summary>Calls sent over the link, failed ones included.</summary>
        public int Calls => Volatile.Read(ref _calls);

        public bool Down
        {
            get => _down;
            set => _down = value;
        }

        /// <summary>Added to every call while set, as a slow or overloaded node would (before failing, when down).</summary>
        public TimeSpan Delay { get; set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, cancellationToken);
            }

            if (_down)
            {
                throw new HttpRequestException("connection refused (test)");
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class InProcessChannels(Dictionary<string, SwitchableHandler> links) : NodeChannelFactory
    {
        public override GrpcChannel Create(string name, Uri address) =>
            GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = links[name], DisposeHttpClient = false });
    }
}
