extern alias cachenode;
extern alias ratelimiter;

using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microservices.Gateway.Membership;
using Microservices.ServiceDefaults;
using Microservices.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Gateway.Tests;

/// <summary>
/// A gateway in process over three real cache nodes and a real rate limiter, also in process. Each node's and the
/// limiter's connection can be cut, to act out a node that stops answering. The gateway and the nodes share one
/// fake clock (<see cref="Time"/>), as machines whose clocks agree: versions and expiries are compared across them.
/// With <c>gateways: 2</c> a second gateway (writer id gateway-2) runs beside the first over the same nodes, through
/// links of its own (<see cref="SecondLinks"/>); the methods that take a <c>gateway</c> number reach it.
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
    private readonly GrpcServiceApp<Program>? _second;
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly Dictionary<string, string?> _nodeSettings;
    private readonly Dictionary<string, string?> _gatewaySettings;
    private readonly Func<Dictionary<string, SwitchableHandler>, Action<IServiceCollection>> _gatewayServices;
    private readonly List<GrpcServiceApp<Program>> _otherGateways = [];
    private readonly Dictionary<string, GrpcChannel> _addedChannels = [];
    private GrpcChannel? _client;
    private GrpcChannel? _secondClient;
    private SwitchableHandler? _secondClientLink;

    /// <summary>
    /// <paramref name="nodes"/> nodes on the ring from the start, and <paramref name="spares"/> more running but not
    /// on it (named after them), for AddNode. <paramref name="nodeSettings"/> configure every node.
    /// <paramref name="nodeMessageBytes"/> is the largest message the gateway sends a node or takes from one.
    /// </summary>
    public GatewayCluster(
        int nodes = 3, Dictionary<string, string?>? settings = null, int spares = 0, Action<IServiceCollection>? services = null,
        Dictionary<string, string?>? nodeSettings = null, int nodeMessageBytes = GrpcLimits.MaxMessageBytes, int gateways = 1)
    {
        _nodeSettings = nodeSettings ?? [];
        for (var i = 1; i <= nodes + spares; i++)
        {
            var name = $"node-{i}";
            _nodes[name] = StartNode(name);
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

            // Off unless a test turns them on: their calls to the nodes would count in the tests that count calls.
            ["Gateway:AntiEntropy:Enabled"] = "false",
            ["Gateway:ClockCheckInterval"] = "00:00:00",

            // The clock is fake: a change would wait for it to be advanced. Tests of two gateways reload by hand.
            ["Gateway:ClusterConfig:SettleDelay"] = "00:00:00",
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

        _gatewaySettings = config;
        _gatewayServices = links => collection =>
        {
            collection.AddSingleton<NodeChannelFactory>(new InProcessChannels(links, nodeMessageBytes));
            collection.AddGrpcClient<RateLimiterClient>().ConfigurePrimaryHttpMessageHandler(() => LimiterLink);
            services?.Invoke(collection);
        };
        _gateway = StartGateway(null, Links);

        if (gateways == 2)
        {
            foreach (var name in _nodes.Keys)
            {
                SecondLinks[name] = new SwitchableHandler(_nodes[name].Server.CreateHandler());
            }

            _second = StartGateway("gateway-2", SecondLinks);
        }
    }

    /// <summary>
    /// Starts another gateway over the same nodes, rate limiter, settings and clock, with writer id
    /// <paramref name="gatewayId"/> (Gateway:GatewayId), as a second gateway process of the cluster: its own
    /// hybrid logical clock, failure detector and hints. Returns its Cache client for an API key.
    /// </summary>
    public Func<string, V1.Cache.CacheClient> AddGateway(string gatewayId)
    {
        var gateway = StartGateway(gatewayId, Links);
        _otherGateways.Add(gateway);
        var channel = GrpcChannel.ForAddress(gateway.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = gateway.Server.CreateHandler() });
        _addedChannels[gatewayId] = channel;
        return apiKey => new V1.Cache.CacheClient(channel.Intercept(m =>
        {
            m.Add("x-api-key", apiKey);
            return m;
        }));
    }

    /// <summary>An admin client of a gateway started with <see cref="AddGateway"/>.</summary>
    public V1.Cluster.ClusterClient ClusterOf(string gatewayId) => new(_addedChannels[gatewayId].Intercept(m =>
    {
        m.Add("x-api-key", AdminKey);
        return m;
    }));

    // A gateway over the nodes through `links`, with the cluster's settings and clock; `gatewayId` null keeps the default.
    private GrpcServiceApp<Program> StartGateway(string? gatewayId, Dictionary<string, SwitchableHandler> links) => new(
        gatewayId is null ? _gatewaySettings : new(_gatewaySettings) { ["Gateway:GatewayId"] = gatewayId },
        time: _time, services: _gatewayServices(links));

    /// <summary>The second gateway's connection to each node by name (empty with one gateway).</summary>
    public Dictionary<string, SwitchableHandler> SecondLinks { get; } = [];

    /// <summary>A cache client of gateway 1 or 2.</summary>
    public V1.Cache.CacheClient Cache(string apiKey, int gateway) => gateway == 1 ? Cache(apiKey) : new(SecondClient.Intercept(m =>
    {
        m.Add("x-api-key", apiKey);
        return m;
    }));

    /// <summary>An admin client of gateway 1 or 2.</summary>
    public V1.Cluster.ClusterClient Cluster(int gateway) => gateway == 1 ? Cluster() : new(SecondClient.Intercept(m =>
    {
        m.Add("x-api-key", AdminKey);
        return m;
    }));

    /// <summary>The services of gateway 1 or 2 (starts it on first use).</summary>
    public IServiceProvider ServicesOf(int gateway) => gateway == 1 ? GatewayServices : Second.Services;

    /// <summary>
    /// Stops the second gateway as a killed process would look to the rest: its clients' calls fail from now on
    /// (UNAVAILABLE), and its calls to the nodes fail too, those in flight included.
    /// </summary>
    public void StopSecond()
    {
        _ = SecondClient;
        _secondClientLink!.Down = true;
        foreach (var link in SecondLinks.Values)
        {
            link.Down = true;
            link.Redirect(new Unreachable());
        }
    }

    private GrpcServiceApp<Program> Second => _second ?? throw new InvalidOperationException("the cluster runs one gateway");

    // Clients of the second gateway go through a link, so StopSecond can cut them off.
    private GrpcChannel SecondClient => _secondClient ??= GrpcChannel.ForAddress(Second.Server.BaseAddress, new GrpcChannelOptions
    {
        HttpHandler = _secondClientLink = new SwitchableHandler(Second.Server.CreateHandler()),
        MaxReceiveMessageSize = GrpcLimits.MaxMessageBytes,
        MaxSendMessageSize = GrpcLimits.MaxMessageBytes,
    });

    /// <summary>The connection to each node by name; set <c>Down</c> to cut it.</summary>
    public Dictionary<string, SwitchableHandler> Links { get; } = [];

    /// <summary>Makes <paramref name="alias"/> a second address (http://alias) of the running node <paramref name="node"/>.</summary>
    public void AddAlias(string alias, string node) => Links[alias] = new SwitchableHandler(_nodes[node].Server.CreateHandler());

    /// <summary>
    /// Kills <paramref name="node"/> and starts it again, empty, under the same name and link (as a node process
    /// restarted: its memory is gone). The link's <c>Down</c> and other settings are left as they are.
    /// </summary>
    public void RestartEmpty(string node)
    {
        var old = _nodes[node];
        _nodes[node] = StartNode(node);
        Links[node].Redirect(_nodes[node].Server.CreateHandler());
        if (SecondLinks.TryGetValue(node, out var second))
        {
            second.Redirect(_nodes[node].Server.CreateHandler());
        }

        old.Dispose();
    }

    /// <summary>Makes the rate limiter (a gRPC service, but not a cache node) reachable at http://<paramref name="host"/>.</summary>
    public void AddLimiterAddress(string host) => Links[host] = new SwitchableHandler(_limiter.Server.CreateHandler());

    /// <summary>The connection to the rate limiter.</summary>
    public SwitchableHandler LimiterLink { get; }

    public V1.Cache.CacheClient Cache(string apiKey) => new(Client.Intercept(m =>
    {
        m.Add("x-api-key", apiKey);
        return m;
    }));

    public V1.Cluster.ClusterClient Cluster(string apiKey = AdminKey) => new(Client.Intercept(m =>
    {
        m.Add("x-api-key", apiKey);
        return m;
    }));

    public Cache.V1.CacheNode.CacheNodeClient Node(string name) => new(_nodes[name].Channel);

    /// <summary>The clock of the gateway and the nodes.</summary>
    public Microsoft.Extensions.Time.Testing.FakeTimeProvider Time => _time;

    /// <summary>A node's clock (the one clock of the cluster, unless the node was given its own).</summary>
    public Microsoft.Extensions.Time.Testing.FakeTimeProvider NodeTime(string name) => _nodes[name].Time;

    /// <summary>A node's state as the gateway's topology shows it.</summary>
    public async Task<V1.NodeState> StateOfAsync(string node)
    {
        var topology = await Cluster().GetTopologyAsync(new V1.GetTopologyRequest());
        return topology.Topology.Nodes.Single(n => n.Name == node).State;
    }

    /// <summary>Advances the gateway's clock in steps, so its timers run, until <paramref name="condition"/> holds.</summary>
    public async Task AdvanceUntilAsync(Func<Task<bool>> condition, TimeSpan step, int maxSteps = 100)
    {
        for (var i = 0; i < maxSteps && !await condition(); i++)
        {
            Time.Advance(step);
            await Task.Delay(20);
        }

        Xunit.Assert.True(await condition());
    }

    /// <summary>An HTTP/1.1 client of the gateway, for its HTTP/JSON routes; <paramref name="apiKey"/> in x-api-key when given.</summary>
    public HttpClient Http(string? apiKey = null)
    {
        var client = _gateway.CreateClient();
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        }

        return client;
    }

    /// <summary>The channel to the gateway, for calls made without a generated client.</summary>
    public GrpcChannel GatewayChannel => _gateway.Channel;


    /// <summary>The gateway's services (starts it on first use).</summary>
    public IServiceProvider GatewayServices
    {
        get
        {
            _ = _gateway.Channel;
            return _gateway.Services;
        }
    }

    // A client with the message limits of the product's own clients, so a test may send what the gateway accepts.
    private GrpcChannel Client => _client ??= GrpcChannel.ForAddress(_gateway.Server.BaseAddress, new GrpcChannelOptions
    {
        HttpHandler = _gateway.Server.CreateHandler(),
        MaxReceiveMessageSize = GrpcLimits.MaxMessageBytes,
        MaxSendMessageSize = GrpcLimits.MaxMessageBytes,
    });

    private GrpcServiceApp<cachenode::Program> StartNode(string name) =>
        new(new(_nodeSettings) { ["CacheNode:NodeName"] = name }, time: _time);

    public void Dispose()
    {
        _client?.Dispose();
        _secondClient?.Dispose();
        _gateway.Dispose();
        foreach (var channel in _addedChannels.Values)
        {
            channel.Dispose();
        }

        foreach (var gateway in _otherGateways)
        {
            gateway.Dispose();
        }

        _second?.Dispose();
        _limiter.Dispose();
        foreach (var node in _nodes.Values)
        {
            node.Dispose();
        }
    }

    /// <summary>
    /// A link that fails every call while <see cref="Down"/> is set, as a stopped node would (a cut: fail fast);
    /// holds them while paused (<see cref="Pause"/>), as a node stopped with SIGSTOP; and delays them
    /// (<see cref="Delay"/>, <see cref="Jitter"/>), as a slow node or a congested link.
    /// </summary>
    public sealed class SwitchableHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private volatile bool _down;
        private TaskCompletionSource? _paused;
        private volatile HttpMessageInvoker? _redirected;
        private int _calls;
        private int _scans;

        /// <summary>Calls sent over the link, failed ones included, but for the gateways' configuration polls.</summary>
        public int Calls => Volatile.Read(ref _calls);

        /// <summary>Scan calls sent over the link (the copies of data movement), failed ones included.</summary>
        public int Scans => Volatile.Read(ref _scans);

        public bool Down
        {
            get => _down;
            set => _down = value;
        }

        /// <summary>Added to every call while set, as a slow or overloaded node would (before failing, when down).</summary>
        public TimeSpan Delay { get; set; }

        /// <summary>
        /// While set, calls wait until it completes (or they are cancelled), as a node whose requests hang; Scan
        /// passes, so the node can still hand its arcs off.
        /// </summary>
        public TaskCompletionSource? Hold { get; set; }

        /// <summary>
        /// While set, Scan calls (the copies of data movement) wait until it completes (or they are cancelled), as a
        /// copy that is slow; the other calls pass.
        /// </summary>
        public TaskCompletionSource? ScanHold { get; set; }

        /// <summary>From now on, calls go to <paramref name="handler"/> (a node started again) instead of the first node.</summary>
        public void Redirect(HttpMessageHandler handler) => _redirected = new HttpMessageInvoker(handler);

        /// <summary>Methods (as "MultiPut") the link fails while the others pass, as a node refusing one kind of call.</summary>
        public string[] RefusedMethods { get; set; } = [];

        /// <summary>
        /// While set, each call is delayed by a random time up to it (on top of <see cref="Delay"/>), so calls sent
        /// later can arrive first.
        /// </summary>
        public TimeSpan Jitter { get; set; }

        /// <summary>
        /// Holds every call (Scan too) until <see cref="Resume"/>, as a node stopped with SIGSTOP: a caller that gives
        /// up (its deadline) sees its call fail, but the request is still delivered when the link resumes, as the
        /// stopped process reads it from its socket then; the answer goes nowhere.
        /// </summary>
        public void Pause() => Interlocked.CompareExchange(ref _paused, new(TaskCreationOptions.RunContinuationsAsynchronously), null);

        /// <summary>Delivers the calls held since <see cref="Pause"/>, and lets new ones through.</summary>
        public void Resume() => Interlocked.Exchange(ref _paused, null)?.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // The gateways' configuration polls (each poll interval, to every node) are not what a test counts.
            if (!request.RequestUri!.AbsolutePath.EndsWith("/GetClusterConfig", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _calls);
            }

            if (request.RequestUri!.AbsolutePath.EndsWith("/Scan", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _scans);
            }
            if (Volatile.Read(ref _paused) is { } paused)
            {
                var held = await CopyAsync(request);
                return await DeliverLateAsync(paused.Task, held).WaitAsync(cancellationToken);
            }

            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, cancellationToken);
            }

            if (Jitter > TimeSpan.Zero)
            {
                await Task.Delay(TimeSpan.FromTicks(Random.Shared.NextInt64(Jitter.Ticks)), cancellationToken);
            }

            if (Hold is { } hold && !request.RequestUri!.AbsolutePath.EndsWith("/Scan", StringComparison.Ordinal))
            {
                await hold.Task.WaitAsync(cancellationToken);
            }

            if (ScanHold is { } scanHold && request.RequestUri!.AbsolutePath.EndsWith("/Scan", StringComparison.Ordinal))
            {
                await scanHold.Task.WaitAsync(cancellationToken);
            }

            if (_down || RefusedMethods.Any(method => request.RequestUri!.AbsolutePath.EndsWith($"/{method}", StringComparison.Ordinal)))
            {
                throw new HttpRequestException("connection refused (test)");
            }

            return await ForwardAsync(request, cancellationToken);
        }

        private async Task<HttpResponseMessage> ForwardAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            _redirected is { } redirected
                ? await redirected.SendAsync(request, cancellationToken)
                : await base.SendAsync(request, cancellationToken);

        // Waits for the link to resume, then sends the request unless the link is cut by then; not cancelled with
        // its caller, who may have given up on it.
        private async Task<HttpResponseMessage> DeliverLateAsync(Task resumed, HttpRequestMessage request)
        {
            await resumed;
            if (_down)
            {
                throw new HttpRequestException("connection refused (test)");
            }

            return await ForwardAsync(request, CancellationToken.None);
        }

        // The request with its body read, so it can still be sent after its caller has disposed of the original.
        private static async Task<HttpRequestMessage> CopyAsync(HttpRequestMessage request)
        {
            var copy = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version, VersionPolicy = request.VersionPolicy };
            foreach (var (name, values) in request.Headers)
            {
                copy.Headers.TryAddWithoutValidation(name, values);
            }

            if (request.Content is { } content)
            {
                copy.Content = new ByteArrayContent(await content.ReadAsByteArrayAsync());
                foreach (var (name, values) in content.Headers.Where(h => h.Key != "Content-Length"))
                {
                    copy.Content.Headers.TryAddWithoutValidation(name, values);
                }
            }

            return copy;
        }
    }

    // Reaches the node whose link is named by the address's host, with message limits as its real ones (by default);
    // an address that names no link is a port nobody listens on.
    private sealed class InProcessChannels(Dictionary<string, SwitchableHandler> links, int messageBytes) : NodeChannelFactory
    {
        public override GrpcChannel Create(string name, Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = links.TryGetValue(address.Host, out var link) ? link : new Unreachable(),
            DisposeHttpClient = false,
            MaxReceiveMessageSize = messageBytes,
            MaxSendMessageSize = messageBytes,
        });
    }

    private sealed class Unreachable : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("connection refused (test: nothing listens there)");
    }
}
