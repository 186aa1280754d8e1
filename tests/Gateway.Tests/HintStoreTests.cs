using Microservices.Cache.V1;
using Microservices.Gateway.Replication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Tests;

public sealed class HintStoreTests
{
    private static HintStore Store(int maxHints, long maxBytes)
    {
        var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        return new HintStore(
            Options.Create(new GatewayOptions { MaxHints = maxHints, MaxHintBytes = maxBytes }),
            new GatewayTelemetry(metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
    }

    private static Entry Entry(int i) => new() { Key = $"k{i}", Value = Google.Protobuf.ByteString.CopyFrom(new byte[100]) };

    [Fact]
    public void HintsBeyondTheCountOrBytesAreDroppedAndCountedWithoutDrift()
    {
        var store = Store(maxHints: 3, maxBytes: 1_000_000);
        for (var i = 0; i < 10; i++)
        {
            store.Add("node-1", Entry(i));
        }

        Assert.Equal((3L, 7L), (store.Count, store.Dropped));
        Assert.Equal(["k0", "k1", "k2"], store.Take("node-1", 10).Select(e => e.Key));

        // Once drained, the full bound is available again: nothing leaked from the drops.
        for (var i = 0; i < 3; i++)
        {
            Assert.True(store.Add("node-2", Entry(i)));
        }

        var small = Store(maxHints: 100, maxBytes: 250);
        Assert.True(small.Add("n", Entry(0)));
        Assert.True(small.Add("n", Entry(1)));
        Assert.False(small.Add("n", Entry(2)));
        small.Forget("n");
        Assert.True(small.Add("n", Entry(3)));
        Assert.True(small.Add("n", Entry(4)));

        // A drop for the count must not give back bytes it never took.
        var one = Store(maxHints: 1, maxBytes: 150);
        Assert.True(one.Add("n", Entry(0)));
        Assert.False(one.Add("n", Entry(1)));
        one.Forget("n");
        var big = new Entry { Key = "big", Value = Google.Protobuf.ByteString.CopyFrom(new byte[200]) };
        Assert.False(one.Add("n", big));
    }
}
