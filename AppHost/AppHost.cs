using Microservices.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// Token buckets for the gateway's per-tenant limits, and for any client that calls it directly.
builder.AddGrpcService<Projects.RateLimiter>("ratelimiter", DevPorts.RateLimiter);

// Three cache nodes form the ring; each knows its name (the resource name) for stats and telemetry.
for (var n = 1; n <= 3; n++)
{
    builder.AddCacheNode($"cache-node-{n}", DevPorts.CacheNode(n));
}

// The spare node for the scale-out demo: declared, but started only on demand (dashboard or a test).
builder.AddCacheNode("cache-node-4", DevPorts.CacheNode(4)).WithExplicitStart();

builder.Build().Run();
