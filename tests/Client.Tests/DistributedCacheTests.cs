using Microservices.Client.Caching;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace Microservices.Client.Tests;

/// <summary>IDistributedCache over the real gateway: values, expirations, sliding by Touch, removal, cancellation.</summary>
public sealed class DistributedCacheTests : IDisposable
{
    private readonly ClientCluster _cluster = new();
    private readonly ServiceProvider _services;
    private readonly IDistributedCache _cache;

    public DistributedCacheTests()
    {
        _services = _cluster.Clients(services => services.AddMicroservicesDistributedCache());
        _cache = _services.GetRequiredService<IDistributedCache>();
    }

    [Fact]
    public void TheGatewaysCacheIsTheApplicationsDistributedCache() =>
        Assert.IsType<MicroservicesDistributedCache>(_cache);

    [Fact]
    public async Task BinaryValuesComeBackByteForByte()
    {
        byte[] value = [0xD1, 0x01, 0, 0, 0xFF, 0x80, 0x00, 0x7F, .. new byte[5000]];
        await _cache.SetAsync("blob", value, new DistributedCacheEntryOptions());

        Assert.Equal(value, await _cache.GetAsync("blob"));
        Assert.Null(await _cache.GetAsync("missing"));
    }

    [Fact]
    public void TheSynchronousMethodsWorkToo()
    {
        _cache.Set("sync", [1, 2, 3], new DistributedCacheEntryOptions());
        Assert.Equal([1, 2, 3], _cache.Get("sync"));
        _cache.Remove("sync");
        Assert.Null(_cache.Get("sync"));
    }

    [Fact]
    public async Task AnEntryExpiresAtItsAbsoluteExpiration()
    {
        await _cache.SetAsync("k", [1], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(10) });
        _cluster.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.NotNull(await _cache.GetAsync("k"));

        _cluster.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(await _cache.GetAsync("k"));
    }

    [Fact]
    public async Task AnAbsoluteExpirationInThePastIsRefused()
    {
        var past = new DistributedCacheEntryOptions { AbsoluteExpiration = _cluster.Time.GetUtcNow().AddSeconds(-1) };
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _cache.SetAsync("k", [1], past));
    }

    [Fact]
    public async Task ASlidingEntryThatIsNotReadExpires()
    {
        await _cache.SetAsync("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(10) });
        _cluster.Time.Advance(TimeSpan.FromSeconds(11));

        Assert.Null(await _cache.GetAsync("k"));
    }

    [Fact]
    public async Task EachGetOfASlidingEntryExtendsIt()
    {
        await _cache.SetAsync("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(10) });
        for (var i = 0; i < 5; i++)
        {
            _cluster.Time.Advance(TimeSpan.FromSeconds(8));
            Assert.NotNull(await _cache.GetAsync("k"));
        }

        _cluster.Time.Advance(TimeSpan.FromSeconds(11));
        Assert.Null(await _cache.GetAsync("k"));
    }

    [Fact]
    public async Task RefreshExtendsASlidingEntry()
    {
        await _cache.SetAsync("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(10) });
        _cluster.Time.Advance(TimeSpan.FromSeconds(8));
        await _cache.RefreshAsync("k");
        _cluster.Time.Advance(TimeSpan.FromSeconds(8));

        Assert.NotNull(await _cache.GetAsync("k"));
    }

    [Fact]
    public async Task SlidingNeverExtendsAnEntryPastItsAbsoluteExpiration()
    {
        await _cache.SetAsync("k", [1], new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromSeconds(10),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(15),
        });
        _cluster.Time.Advance(TimeSpan.FromSeconds(8));
        Assert.NotNull(await _cache.GetAsync("k"));

        _cluster.Time.Advance(TimeSpan.FromSeconds(8));
        Assert.Null(await _cache.GetAsync("k"));
    }

    [Fact]
    public async Task ASetAfterASlidingEntryWasReadIsNotUndoneByTheNextRead()
    {
        await _cache.SetAsync("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(10) });
        _cluster.Time.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal([1], await _cache.GetAsync("k"));
        await _cache.SetAsync("k", [2], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(5) });

        Assert.Equal([2], await _cache.GetAsync("k"));
        _cluster.Time.Advance(TimeSpan.FromSeconds(6));
        Assert.Null(await _cache.GetAsync("k"));
    }

    [Fact]
    public async Task RemoveDeletesTheEntry()
    {
        await _cache.SetAsync("k", [1], new DistributedCacheEntryOptions());
        await _cache.RemoveAsync("k");

        Assert.Null(await _cache.GetAsync("k"));
    }

    [Fact]
    public async Task ACancelledCallThrowsOperationCanceled()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _cache.GetAsync("k", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _cache.SetAsync("k", [1], new DistributedCacheEntryOptions(), cancelled.Token));
    }

    public void Dispose()
    {
        _services.Dispose();
        _cluster.Dispose();
    }
}
