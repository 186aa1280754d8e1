using Microservices.CacheNode;
using Microservices.ServiceDefaults.ClusterAuth;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.RequireClusterKey(acceptApplicationKeys: false);
builder.AddCacheNodeServices();

var app = builder.Build();
app.MapCacheNode();
app.MapDefaultEndpoints();
app.Run();

/// <summary>Entry point; public so in-process tests can host it.</summary>
public partial class Program;
