using System.Globalization;
using Microservices.Hosting;

namespace Aspire.Hosting;

/// <summary>Adds the Microservices cluster to an Aspire AppHost.</summary>
public static class MicroservicesClusterExtensions
{
    /// <summary>
    /// Adds the whole cluster as project resources: <c>logcollector</c>, <c>ratelimiter</c>, <c>cache-node-1</c> to
    /// <c>cache-node-<paramref name="nodes"/></c>, and the gateway named <paramref name="name"/>, which is returned:
    /// reference it from an application (<c>WithReference(gateway)</c>) and call it at <c>http://&lt;name&gt;</c>.
    /// More gateways (<see cref="MicroservicesClusterOptions.Gateways"/>) are named <c>&lt;name&gt;-2</c> and on.
    /// Every service has a gRPC (h2c) endpoint <c>http</c> and an HTTP/1.1 endpoint <c>http1</c> (curl, HTTP/JSON on
    /// the gateway, /health and /alive), a health check through grpc.health.v1, and the cluster key. The gateway starts
    /// once the rate limiter and its nodes are healthy, except one that is stopped. Dashboard commands: "Fail node" on
    /// each node, "Show topology" on the gateway, "Join cluster" on the spare.
    /// Parameters (secrets): <c>&lt;name&gt;-api-key</c> (a tenant key, default <c>dev-key</c>),
    /// <c>&lt;name&gt;-admin-key</c> (default <c>dev-admin-key</c>), <c>cluster-key</c> (generated for each run unless
    /// set) and <c>application-key</c> (for applications that call the rate limiter or ship logs, default
    /// <c>dev-app-key</c>); alert sinks (<c>alert-webhook-url</c>, <c>alert-smtp-*</c>) and extra tenants
    /// (<c>&lt;name&gt;-tenants</c>), see OperatorParameters. The other resources' names are fixed, so an AppHost holds one cluster.
    /// </summary>
    /// <param name="builder">The AppHost's builder.</param>
    /// <param name="name">The gateway's resource name, also its service-discovery name.</param>
    /// <param name="projects">Where the four services' projects are.</param>
    /// <param name="nodes">Cache nodes on the ring from the start, at least 1.</param>
    /// <param name="configure">Ports, a spare node, the data folder, the development tenant.</param>
    public static IResourceBuilder<ProjectResource> AddMicroservicesCluster(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, MicroservicesProjects projects, int nodes = 3,
        Action<MicroservicesClusterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(projects);
        ArgumentOutOfRangeException.ThrowIfLessThan(nodes, 1);
        var options = new MicroservicesClusterOptions();
        configure?.Invoke(options);
        if (options.Gateways is < 1 or > ClusterPorts.MaxGateways)
        {
            throw new ArgumentOutOfRangeException(nameof(configure), options.Gateways, $"Gateways must be 1 to {ClusterPorts.MaxGateways}");
        }

        var ports = new ClusterPorts(options.Port);
        if (options.Port is not null && nodes + (options.SpareNode ? 1 : 0) > ClusterPorts.MaxNodes)
        {
            throw new ArgumentOutOfRangeException(nameof(nodes), nodes, $"with fixed ports a cluster has at most {ClusterPorts.MaxNodes} nodes, the spare included");
        }

        var dataFolder = Path.GetFullPath(options.DataFolder ?? Path.Combine(builder.AppHostDirectory, ".data", name));

        var apiKey = builder.AddParameter($"{name}-api-key", "dev-key", secret: true);
        var adminKey = builder.AddParameter($"{name}-admin-key", "dev-admin-key", secret: true);

        // The cluster credential: the internal services (nodes, rate limiter, log collector) refuse any call without it
        // (x-cluster-key), and every service sends it on its own calls. A new one each run unless Parameters:cluster-key is set.
        var clusterKey = builder.AddParameter("cluster-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true);

        // The key of applications that call the rate limiter or ship logs themselves (x-api-key): not the cluster's.
        var applicationKey = builder.AddParameter("application-key", "dev-app-key", secret: true);

        // Log ingest (its own RPCs and OTLP), sliding-window analytics and alerts. Every other service exports its request
        // logs here by OTLP (a reference turns it on); none waits for it, since the exporter queues and retries while it is
        // away. Webhook and SMTP settings are parameters (OperatorParameters).
        var logcollector = builder.AddGrpcService("logcollector", projects.LogCollector, ports.LogCollector, clusterKey)
            .WithApplicationKey(applicationKey)
            .WithAlertSinkParameters(builder);

        // Token buckets for the gateway's per-tenant limits, and for any client that calls it directly.
        var ratelimiter = builder.AddGrpcService("ratelimiter", projects.RateLimiter, ports.RateLimiter, clusterKey)
            .WithApplicationKey(applicationKey)
            .WithReference(logcollector);

        // The ring's nodes; each knows its name (the resource name) for stats and telemetry.
        var ring = Enumerable.Range(1, nodes)
            .Select(n => builder.AddCacheNode($"cache-node-{n}", projects.CacheNode, ports.CacheNode(n), clusterKey).WithReference(logcollector))
            .ToArray();

        // The spare node for the scale-out demo: declared, but started only on demand (dashboard or a test).
        var spare = options.SpareNode
            ? builder.AddCacheNode($"cache-node-{nodes + 1}", projects.CacheNode, ports.CacheNode(nodes + 1), clusterKey)
                .WithReference(logcollector).WithExplicitStart()
            : null;

        // The public entry points. Each finds the rate limiter by service discovery and is given the ring's nodes; each
        // start waits for them to be healthy, but not for one that is stopped (it starts with what it has). Several
        // gateways share the keys and the origin database; each has its own writer id and state folder.
        var clusterEpoch = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        var gateways = Enumerable.Range(1, options.Gateways).Select(k =>
        {
            var gatewayName = k == 1 ? name : $"{name}-{k}";
            var gateway = builder.AddGrpcService(gatewayName, projects.Gateway, ports.GatewayNumber(k), clusterKey)
                .WithExternalHttpEndpoints()
                .WithReference(ratelimiter).WaitForHealthyUnlessStopped(ratelimiter)
                .WithReference(logcollector)
                .WithEnvironment("Gateway__GatewayId", gatewayName)
                .WithEnvironment("Origin__Path", Path.Combine(dataFolder, "origin.db"))
                // Membership changes and hints survive a gateway restart within this run; a new run starts from the configured nodes.
                .WithEnvironment("Gateway__DataPath", Path.Combine(dataFolder, k == 1 ? "gateway" : gatewayName))
                .WithEnvironment("Gateway__ClusterEpoch", clusterEpoch)
                .WithEnvironment("Security__ApiKeys__0__Key", apiKey)
                .WithEnvironment("Security__ApiKeys__0__Tenant", options.Tenant)
                .WithEnvironment("Security__AdminKeys__0", adminKey)
                .WithExtraTenants(builder, name);
            gateway.WithRingNodes(ring);
            return gateway;
        }).ToArray();
        var gateway = gateways[0];

        // Dashboard commands: fail a node, show the ring in the gateway's log, and let the spare join.
        foreach (var node in ring)
        {
            node.WithFailNodeCommand(gateway, adminKey);
        }

        spare?.WithJoinClusterCommand(gateway, adminKey);
        foreach (var each in gateways)
        {
            each.WithShowTopologyCommand(adminKey);
        }

        return gateway;
    }
}
