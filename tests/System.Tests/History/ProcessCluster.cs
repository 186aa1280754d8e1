using System.Globalization;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microservices.Gateway.V1;

namespace Microservices.SystemTests.History;

/// <summary>
/// A rate limiter, <c>nodes</c> cache nodes and <c>gateways</c> gateways, each a child process on a port the system
/// picked, wired to each other by configuration (not by the AppHost), under a cluster key made for the run. As the
/// AppHost does, every gateway serves the whole key space with its own writer id (gateway-1, gateway-2, ...) and its
/// own state folder (hints, topology) under a temporary folder of the run. Disposing kills every process it started,
/// in every path, and removes that folder.
/// </summary>
internal sealed class ProcessCluster : IDisposable
{
    public const string ApiKey = "history-key";
    public const string AdminKey = "history-admin-key";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly List<ServiceProcess> _all = [];
    private readonly Dictionary<ServiceProcess, GrpcChannel> _channels = [];
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("history-cluster-");

    public ProcessCluster(int nodes, int gateways = 1)
    {
        var clusterKey = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var common = new Dictionary<string, string> { ["ClusterAuth__Key"] = clusterKey };

        Limiter = Add("RateLimiter", new(common)
        {
            ["RateLimiter__Policies__history__Capacity"] = "1000000000",
            ["RateLimiter__Policies__history__RefillPerSecond"] = "1000000000",
        });
        for (var i = 1; i <= nodes; i++)
        {
            Nodes[$"node-{i}"] = Add("CacheNode", new(common) { ["CacheNode__NodeName"] = $"node-{i}" });
        }

        var gateway = new Dictionary<string, string>(common)
        {
            ["RateLimiting__Address"] = Limiter.Address.ToString(),
            ["Security__ApiKeys__0__Key"] = ApiKey,
            ["Security__ApiKeys__0__Tenant"] = "history",
            ["Security__ApiKeys__0__Policy"] = "history",
            ["Security__AdminKeys__0"] = AdminKey,
            ["Gateway__ReplicaTimeout"] = "00:00:00.500",
            ["Gateway__ClusterEpoch"] = _data.Name,
        };
        foreach (var (name, node) in Nodes)
        {
            var index = (int.Parse(name["node-".Length..], CultureInfo.InvariantCulture) - 1).ToString(CultureInfo.InvariantCulture);
            gateway[$"Gateway__Nodes__{index}__Name"] = name;
            gateway[$"Gateway__Nodes__{index}__Address"] = node.Address.ToString();
        }

        for (var k = 1; k <= gateways; k++)
        {
            var id = GatewayId(k);
            Gateways.Add(Add("Gateway", new(gateway)
            {
                ["Gateway__GatewayId"] = id,
                ["Gateway__DataPath"] = Path.Combine(_data.FullName, id),
            }));
        }
    }

    public ServiceProcess Limiter { get; }

    public Dictionary<string, ServiceProcess> Nodes { get; } = [];

    /// <summary>The gateways; the k-th (from 1) is <c>Gateways[k - 1]</c>, writer id <see cref="GatewayId"/>(k).</summary>
    public List<ServiceProcess> Gateways { get; } = [];

    /// <summary>The writer id of gateway <paramref name="gateway"/> (from 1): "gateway-1", "gateway-2", ...</summary>
    public static string GatewayId(int gateway) => $"gateway-{gateway.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>A cache client of gateway <paramref name="gateway"/> (from 1).</summary>
    public Gateway.V1.Cache.CacheClient Cache(int gateway = 1) => new(ChannelOf(gateway).Intercept(m =>
    {
        m.Add("x-api-key", ApiKey);
        return m;
    }));

    /// <summary>An admin client of gateway <paramref name="gateway"/> (from 1).</summary>
    public Gateway.V1.Cluster.ClusterClient Cluster(int gateway = 1) => new(ChannelOf(gateway).Intercept(m =>
    {
        m.Add("x-api-key", AdminKey);
        return m;
    }));

    /// <summary>Starts every process, and waits until each answers its health check.</summary>
    public async Task StartAsync()
    {
        foreach (var process in _all)
        {
            process.Start();
        }

        foreach (var process in _all)
        {
            await WaitServingAsync(process);
        }
    }

    /// <summary>Waits until <paramref name="process"/> answers SERVING (the health service needs no key).</summary>
    public static async Task WaitServingAsync(ServiceProcess process)
    {
        using var channel = GrpcChannel.ForAddress(process.Address);
        var health = new Health.HealthClient(channel);
        var until = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (RpcException) when (DateTime.UtcNow < until)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < until, $"{process.Name} on port {process.Port} did not start:\n{process.RecentOutput}");
            await Task.Delay(200);
        }
    }

    /// <summary>Waits until every running gateway reports <paramref name="node"/> in <paramref name="state"/>.</summary>
    public async Task WaitForStateAsync(string node, NodeState state, TimeSpan timeout)
    {
        for (var k = 1; k <= Gateways.Count; k++)
        {
            if (Gateways[k - 1].Pid is not null)
            {
                await WaitForStateAsync(k, node, state, timeout);
            }
        }
    }

    /// <summary>Waits until gateway <paramref name="gateway"/> (from 1) reports <paramref name="node"/> in <paramref name="state"/>.</summary>
    public async Task WaitForStateAsync(int gateway, string node, NodeState state, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            string now;
            try
            {
                var topology = await Cluster(gateway).GetTopologyAsync(new GetTopologyRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                var seen = topology.Topology.Nodes.Single(n => n.Name == node).State;
                if (seen == state)
                {
                    return;
                }

                now = seen.ToString();
            }
            catch (RpcException ex) when (DateTime.UtcNow < until)
            {
                now = $"unknown ({ex.StatusCode})"; // a loaded machine: ask again
            }

            Assert.True(DateTime.UtcNow < until, $"{GatewayId(gateway)} sees {node} {now}, not {state}, after {timeout.TotalSeconds} s");
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }

        foreach (var process in _all)
        {
            process.Dispose();
        }

        try
        {
            _data.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Left in the temporary folder: nothing depends on it.
        }
    }

    private GrpcChannel ChannelOf(int gateway)
    {
        var process = Gateways[gateway - 1];
        lock (_channels)
        {
            return _channels.TryGetValue(process, out var channel) ? channel : _channels[process] = GrpcChannel.ForAddress(process.Address);
        }
    }

    private ServiceProcess Add(string service, Dictionary<string, string> environment)
    {
        var process = new ServiceProcess(service, ServiceProcess.FreePort(), environment);
        _all.Add(process);
        return process;
    }
}
