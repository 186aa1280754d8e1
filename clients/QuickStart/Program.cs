using Microsoft.Extensions.Caching.Distributed;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddMicroservicesDistributedCache();   // IDistributedCache over the gateway
builder.Services.AddMicroservicesRateLimiting(http => http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
builder.AddMicroservicesLogExport();                   // ILogger -> OTLP -> LogCollector

var app = builder.Build();
app.UseRateLimiter();
app.MapGet("/quotes/{id}", async (string id, IDistributedCache cache, ILogger<Program> log) =>
{
    if (await cache.GetStringAsync(id) is { } cached) return cached;
    var quote = $"quote {id}, priced at {DateTimeOffset.UtcNow:O}";
    await cache.SetStringAsync(id, quote, new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(5) });
    log.LogInformation("Priced quote {Id}", id);
    return quote;
});
app.Run();
