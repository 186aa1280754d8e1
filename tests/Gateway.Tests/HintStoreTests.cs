using Microservices.Cache.V1;
using Microservices.Gateway.Replication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Tests;

public sealed class HintStoreTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"hints-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static HintStore Store(int maxHints, long maxBytes, HintLog? log = null)
    {
        var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        return new HintStore(
            Options.Create(new GatewayOptions { MaxHints = maxHints, MaxHintBytes = maxBytes }),
            new GatewayTelemetry(metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), log);
    }

    private HintLog Log(string epoch) => new(
        Options.Create(new GatewayOptions { DataPath = _folder, ClusterEpoch = epoch }),
        new HostingEnvironment { ContentRootPath = Path.GetTempPath() }, NullLogger<HintLog>.Instance);

    // A gateway's hints, as the next gateway of the epoch loads them.
    private List<string> Restart(string epoch, string node, int maxHints = 100)
    {
        using var log = Log(epoch);
        return [.. Store(maxHints, 1_000_000, log).Take(node, int.MaxValue).Select(e => e.Key)];
    }

    [Fact]
    public void HintsOutliveTheGatewayAndWhatWasDeliveredIsNotReplayedAgain()
    {
        using (var log = Log("run-1"))
        {
            var store = Store(100, 1_000_000, log);
            for (var i = 0; i < 5; i++)
            {
                store.Add("node-1", Entry(i));
                store.Add("node 2/ü", Entry(10 + i)); // any name: the file is named by its hash
            }
        }

        Assert.Equal(["k0", "k1", "k2", "k3", "k4"], Restart("run-1", "node-1"));
        Assert.Equal(["k10", "k11", "k12", "k13", "k14"], Restart("run-1", "node 2/ü"));

        using (var log = Log("run-1"))
        {
            var store = Store(100, 1_000_000, log);
            Assert.Equal(3, store.Take("node-1", 3).Count); // delivered
            store.Persist("node-1");
            store.Forget("node 2/ü"); // left the ring
        }

        Assert.Equal(["k3", "k4"], Restart("run-1", "node-1"));
        Assert.Empty(Restart("run-1", "node 2/ü"));
    }

    [Fact]
    public void AnotherEpochStartsWithoutHintsAndACutRecordEndsTheFile()
    {
        using (var log = Log("run-1"))
        {
            var store = Store(100, 1_000_000, log);
            for (var i = 0; i < 3; i++)
            {
                store.Add("node-1", Entry(i));
            }
        }

        // A crash in the middle of an append leaves part of a record.
        var file = Directory.GetFiles(Path.Combine(_folder, "hints")).Single();
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..^20]);
        Assert.Equal(["k0", "k1"], Restart("run-1", "node-1"));

        // The cap applies to loaded hints too; what does not fit is gone from the file as well.
        Assert.Equal(["k0"], Restart("run-1", "node-1", maxHints: 1));
        Assert.Equal(["k0"], Restart("run-1", "node-1"));

        Assert.Empty(Restart("run-2", "node-1"));
        Assert.Empty(Directory.GetFiles(Path.Combine(_folder, "hints")));
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

    [Fact]
    public void APageOfHintsStopsAtTheByteBoundButAlwaysHoldsOne()
    {
        var store = Store(maxHints: 100, maxBytes: 10_000_000);
        var big = new Entry { Key = "big", Value = Google.Protobuf.ByteString.CopyFrom(new byte[5000]) };
        store.Add("n", big);
        for (var i = 0; i < 5; i++)
        {
            store.Add("n", Entry(i));
        }

        // The first hint alone is over the bound: it goes alone. Then as many as fit: three of about 106 bytes.
        Assert.Equal(["big"], store.Take("n", 100, maxBytes: 350).Select(e => e.Key));
        Assert.Equal(["k0", "k1", "k2"], store.Take("n", 100, maxBytes: 350).Select(e => e.Key));
        Assert.Equal(["k3"], store.Take("n", 1, maxBytes: 350).Select(e => e.Key));
        Assert.Equal(1, store.Count);
    }
}
