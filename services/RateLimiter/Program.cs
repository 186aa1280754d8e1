using Microservices.RateLimiter;
using Microservices.ServiceDefaults.ClusterAuth;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.RequireClusterKey(acceptApplicationKeys: true);
builder.AddRateLimiterServices();

var app = builder.Build();
app.MapRateLimiter();
app.MapDefaultEndpoints();
app.Run();

/// <summary>Entry point; public so in-process tests can host it.</summary>
public partial class Program;
