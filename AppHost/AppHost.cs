using Microservices.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// The whole cluster, wired by the hosting integration (hosting/Microservices.Hosting), on fixed development ports so
// the README's grpcurl and curl examples work verbatim: gateway 5100 (HTTP/1.1 5180), gateway-2 5105 (HTTP/1.1 5185),
// ratelimiter 5101, logcollector 5102, cache-node-1..3 5111-5113, and the spare cache-node-4 (5114), started from the
// dashboard. Both gateways serve the whole key space, each with its own writer id, and follow one cluster
// configuration kept in the nodes.
var gateway = builder.AddMicroservicesCluster("gateway",
    MicroservicesProjects.Of<Projects.RateLimiter, Projects.LogCollector, Projects.CacheNode, Projects.Gateway>(), nodes: 3,
    options =>
    {
        // FixedPorts=false lets Aspire choose every port (the system tests, so that checkouts on one machine do not collide).
        options.Port = builder.Configuration["FixedPorts"] == "false" ? null : 5100;
        options.Gateways = 2;
        options.SpareNode = true;
        options.DataFolder = DataFolder.Root(builder);
    });

// The sample application (samples/WebApi, port 5120 from its launch profile): a product catalog that uses the cluster
// through the client package, as an adopting team would. Its SQLite file lives beside the gateway's.
builder.AddProject<Projects.WebApi>("webapi")
    .WithMicroservicesReferences(gateway)
    .WithEnvironment("Catalog__DatabasePath", Path.Combine(DataFolder.Root(builder), "webapi", "products.db"))
    .WithHttpHealthCheck("/health");

builder.Build().Run();
