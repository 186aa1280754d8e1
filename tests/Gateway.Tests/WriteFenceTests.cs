using Microservices.Gateway.Caching;

namespace Microservices.Gateway.Tests;

public sealed class WriteFenceTests
{
    private readonly WriteFence _fence = new();

    [Fact]
    public void ALoadWithNoWriteAroundItMayCache()
    {
        var other = Enumerable.Range(0, 100).Select(i => $"t/other-{i}").First(key => StripeOf(key) != StripeOf("t/k"));
        var observation = _fence.Observe("t/k");
        _fence.Begin([other]).Dispose();
        Assert.True(_fence.StillQuiet(observation));
        Assert.True(_fence.StillQuiet(_fence.Observe("t/k")));
    }

    [Fact]
    public void AWriteUnderWayWhenTheGetBeganStopsTheLoadFromCaching()
    {
        var writing = _fence.Begin(["t/k"]);
        var observation = _fence.Observe("t/k");
        writing.Dispose();
        Assert.False(_fence.StillQuiet(observation));
    }

    [Fact]
    public void AWriteThatBeganDuringTheLoadStopsItFromCaching()
    {
        var observation = _fence.Observe("t/k");
        using (_fence.Begin(["t/a", "t/k"]))
        {
        }

        Assert.False(_fence.StillQuiet(observation));
    }

    [Fact]
    public void DisposingAWriteTwiceEndsItOnce()
    {
        var first = _fence.Begin(["t/k"]);
        var second = _fence.Begin(["t/k"]);
        first.Dispose();
        first.Dispose();
        Assert.False(_fence.Observe("t/k").Quiet);

        second.Dispose();
        Assert.True(_fence.Observe("t/k").Quiet);
    }

    private int StripeOf(string key) => _fence.Observe(key).Stripe;
}
