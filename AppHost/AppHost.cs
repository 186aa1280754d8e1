using Microservices.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// Token buckets for the gateway's per-tenant limits, and for any client that calls it directly.
builder.AddGrpcService<Projects.RateLimiter>("ratelimiter", DevPorts.RateLimiter);

builder.Build().Run();
