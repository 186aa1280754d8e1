using Microservices.Samples.WebApi.Products;
using Microservices.Samples.WebApi.Telemetry;

var builder = WebApplication.CreateBuilder(args);
builder.AddDashboardTelemetry();

// The suite, through the client package. The AppHost's references name the services (http://gateway, ...).
builder.AddMicroservicesCacheClient("gateway");                  // the gateway's Cache: health check, client spans
builder.AddMicroservicesRateLimiterClient("ratelimiter");
builder.Services.AddMicroservicesDistributedCache();             // IDistributedCache over the gateway ...
builder.Services.AddHybridCache();                               // ... as HybridCache's L2
builder.Services.AddMicroservicesRateLimiting(http => http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
builder.AddMicroservicesLogExport();                             // ILogger -> OTLP -> the log collector

builder.Services.AddOptions<CatalogOptions>().BindConfiguration(CatalogOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<ProductStore>();
builder.Services.AddHostedService<CatalogStartup>();

var app = builder.Build();
app.UseRequestLog();
app.UseRateLimiter();                                            // 429 + Retry-After past the policy, shared by every instance
app.MapProducts();
app.MapHealthChecks("/health").DisableRateLimiting();
app.Run();
