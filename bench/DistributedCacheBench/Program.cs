using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

// Closed loop through IDistributedCache: `concurrency` workers, each sends its next call when its last one answered,
// for `seconds` after a 2 s warm-up; 1 KiB values over 1,000 keys (filled first, so every Get hits), absolute
// expiration 10 min. Prints one row per backend, operation and concurrency: calls per second, p50 and p99 latency.
var gateway = Arg("--gateway", "http://127.0.0.1:21300");
var apiKey = Arg("--api-key", "bench-key");
var redis = Arg("--redis", "127.0.0.1:21379");
var seconds = int.Parse(Arg("--seconds", "8"), CultureInfo.InvariantCulture);
var concurrencies = Arg("--concurrency", "1,16").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();

var backends = new (string Name, IDistributedCache Cache)[]
{
    ("gateway (ours, QUORUM of 3)", Build(services => services.AddMicroservicesDistributedCache(
        configureClient: o => (o.Address, o.ApiKey) = (new Uri(gateway), apiKey)))),
    ("redis (StackExchangeRedis)", Build(services => services.AddStackExchangeRedisCache(o => o.Configuration = redis))),
};

var value = new byte[1024];
Random.Shared.NextBytes(value);
var entry = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) };
const int Keys = 1000;

Console.WriteLine("| Backend | Operation | Concurrency | Calls/s | p50 (ms) | p99 (ms) |");
Console.WriteLine("|---|---|---:|---:|---:|---:|");
foreach (var (name, cache) in backends)
{
    // The first calls open connections and JIT the paths; on a busy machine they may miss the replicas' deadline.
    for (var attempt = 1; ; attempt++)
    {
        try
        {
            await cache.SetAsync("bench:0", value, entry);
            break;
        }
        catch (Exception ex) when (attempt < 10)
        {
            Console.Error.WriteLine($"warm-up {attempt}: {ex.Message}");
            await Task.Delay(1000);
        }
    }

    for (var k = 0; k < Keys; k++)
    {
        await cache.SetAsync($"bench:{k}", value, entry);
    }

    foreach (var concurrency in concurrencies)
    {
        await RunAsync(name, "Set", concurrency, key => cache.SetAsync(key, value, entry));
        await RunAsync(name, "Get", concurrency, async key =>
        {
            if (await cache.GetAsync(key) is null)
            {
                throw new InvalidOperationException($"{key} missing: every key was filled first");
            }
        });
    }
}

async Task RunAsync(string backend, string operation, int concurrency, Func<string, Task> call)
{
    await LoopAsync(concurrency, TimeSpan.FromSeconds(2), call);
    var (calls, latencies) = await LoopAsync(concurrency, TimeSpan.FromSeconds(seconds), call);
    latencies.Sort();
    double Ms(double q) => latencies[(int)Math.Min(latencies.Count - 1, q * latencies.Count)] * 1000.0 / Stopwatch.Frequency;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {backend} | {operation} | {concurrency} | {calls / (double)seconds:F0} | {Ms(0.50):F3} | {Ms(0.99):F3} |"));
}

static async Task<(long Calls, List<long> Latencies)> LoopAsync(int concurrency, TimeSpan duration, Func<string, Task> call)
{
    var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
    {
        var latencies = new List<long>(100_000);
        var i = w;
        while (Stopwatch.GetTimestamp() < end)
        {
            var start = Stopwatch.GetTimestamp();
            await call($"bench:{i++ % Keys}");
            latencies.Add(Stopwatch.GetTimestamp() - start);
        }

        return latencies;
    })).ToArray();
    var all = (await Task.WhenAll(workers)).SelectMany(l => l).ToList();
    return (all.Count, all);
}

static IDistributedCache Build(Action<IServiceCollection> add)
{
    var services = new ServiceCollection();
    services.AddLogging();
    services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
    add(services);
    return services.BuildServiceProvider().GetRequiredService<IDistributedCache>();
}

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
