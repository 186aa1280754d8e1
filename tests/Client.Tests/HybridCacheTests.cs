using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;

namespace Microservices.Client.Tests;

/// <summary>.NET's HybridCache with the gateway as its L2 (IDistributedCache).</summary>
public sealed class HybridCacheTests : IDisposable
{
    private readonly ClientCluster _cluster = new();

    [Fact]
    public async Task ManyConcurrentReadsOfAMissingKeyRunTheFactoryOnce()
    {
        using var services = Hybrid();
        var cache = services.GetRequiredService<HybridCache>();
        var calls = 0;
        var gate = new TaskCompletionSource();

        var reads = Enumerable.Range(0, 50).Select(_ => cache.GetOrCreateAsync("product:42", async cancel =>
        {
            Interlocked.Increment(ref calls);
            await gate.Task.WaitAsync(cancel);
            return "widget";
        }).AsTask()).ToArray();
        gate.SetResult();
        var values = await Task.WhenAll(reads).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, calls);
        Assert.All(values, value => Assert.Equal("widget", value));
    }

    [Fact]
    public async Task AnotherInstanceReadsTheValueFromTheGatewayInsteadOfRunningItsFactory()
    {
        using var first = Hybrid();
        using var second = Hybrid();

        var written = await first.GetRequiredService<HybridCache>().GetOrCreateAsync("order:7", _ => ValueTask.FromResult("shipped"));

        // HybridCache writes its L2 in the background after the factory's value is handed out.
        var l2 = first.GetRequiredService<IDistributedCache>();
        for (var i = 0; i < 100 && await l2.GetAsync("order:7") is null; i++)
        {
            await Task.Delay(50);
        }

        var read = await second.GetRequiredService<HybridCache>().GetOrCreateAsync<string>(
            "order:7", _ => throw new InvalidOperationException("the factory must not run: the value is in L2"));

        Assert.Equal(("shipped", "shipped"), (written, read));
    }

    [Fact]
    public async Task RemoveTakesTheValueOutOfTheGatewayForEveryInstance()
    {
        using var first = Hybrid();
        using var second = Hybrid();
        await first.GetRequiredService<HybridCache>().SetAsync("session:1", "alice");

        await first.GetRequiredService<HybridCache>().RemoveAsync("session:1");
        var read = await second.GetRequiredService<HybridCache>().GetOrCreateAsync("session:1", _ => ValueTask.FromResult("fresh"));

        Assert.Equal("fresh", read);
    }

    private ServiceProvider Hybrid() => _cluster.Clients(services =>
    {
        services.AddMicroservicesDistributedCache();
        services.AddHybridCache();
    });

    public void Dispose() => _cluster.Dispose();
}
