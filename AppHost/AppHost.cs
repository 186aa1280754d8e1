using Microservices.AppHost;

var builder = DistributedApplication.CreateBuilder(args);
var dataFolder = DataFolder.Root(builder);

// Development keys; override with Parameters:gateway-api-key / Parameters:gateway-admin-key (user secrets, env).
var apiKey = builder.AddParameter("gateway-api-key", "dev-key", secret: true);
var adminKey = builder.AddParameter("gateway-admin-key", "dev-admin-key", secret: true);

// The cluster credential: the internal services (nodes, rate limiter, log collector) refuse any call without it
// (x-cluster-key), and every service sends it on its own calls. A new one each run unless Parameters:cluster-key is set.
var clusterKey = builder.AddParameter("cluster-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true);

// The key of applications that call the rate limiter or ship logs themselves (x-api-key): not the cluster's.
var applicationKey = builder.AddParameter("application-key", "dev-app-key", secret: true);

// Log ingest (its own RPCs and OTLP), sliding-window analytics and alerts. Every other service exports its request
// logs here by OTLP (a reference turns it on); none waits for it, since the exporter queues and retries while it is
// away. Webhook and SMTP settings are parameters (OperatorParameters).
var logcollector = builder.AddGrpcService<Projects.LogCollector>("logcollector", DevPorts.LogCollector, clusterKey)
    .WithApplicationKey(applicationKey)
    .WithAlertSinkParameters(builder);

// Token buckets for the gateway's per-tenant limits, and for any client that calls it directly.
var ratelimiter = builder.AddGrpcService<Projects.RateLimiter>("ratelimiter", DevPorts.RateLimiter, clusterKey)
    .WithApplicationKey(applicationKey)
    .WithReference(logcollector);

// Three cache nodes form the ring; each knows its name (the resource name) for stats and telemetry.
var nodes = Enumerable.Range(1, 3)
    .Select(n => builder.AddCacheNode($"cache-node-{n}", DevPorts.CacheNode(n), clusterKey).WithReference(logcollector))
    .ToArray();

// The spare node for the scale-out demo: declared, but started only on demand (dashboard or a test).
var spare = builder.AddCacheNode("cache-node-4", DevPorts.CacheNode(4), clusterKey).WithReference(logcollector).WithExplicitStart();

// The public entry point. It finds the rate limiter by service discovery and is given the ring's nodes; each start
// waits for them to be healthy, but not for one that is stopped (it starts with what it has).
var gateway = builder.AddGrpcService<Projects.Gateway>("gateway", DevPorts.Gateway, clusterKey)
    .WithExternalHttpEndpoints()
    .WithReference(ratelimiter).WaitForHealthyUnlessStopped(ratelimiter)
    .WithReference(logcollector)
    .WithEnvironment("Origin__Path", DataFolder.OriginDatabase(dataFolder))
    // Membership changes and hints survive a gateway restart within this run; a new run starts from the configured nodes.
    .WithEnvironment("Gateway__DataPath", DataFolder.Gateway(dataFolder))
    .WithEnvironment("Gateway__ClusterEpoch", DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture))
    .WithEnvironment("Security__ApiKeys__0__Key", apiKey)
    .WithEnvironment("Security__ApiKeys__0__Tenant", "dev")
    .WithEnvironment("Security__AdminKeys__0", adminKey)
    .WithExtraTenants(builder);
gateway.WithRingNodes(nodes);

// Dashboard commands: fail a node, let the spare join, show the ring in the gateway's log.
foreach (var node in nodes)
{
    node.WithFailNodeCommand(gateway, adminKey);
}

spare.WithJoinClusterCommand(gateway, adminKey);
gateway.WithShowTopologyCommand(adminKey);

builder.Build().Run();
