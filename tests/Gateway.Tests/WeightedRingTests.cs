using Microservices.Gateway.Routing;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Tests;

/// <summary>Node weights on the ring: shares of keys in proportion, and a weight change that moves only what changes owner.</summary>
public sealed class WeightedRingTests
{
    private static readonly ulong[] Keys = Enumerable.Range(0, 1_000_000).Select(i => KeyHash.Of($"user:{i}")).ToArray();

    [Fact]
    public void NodesOfWeightsOneOneAndTwoOwnAQuarterAQuarterAndAHalfOfTheKeys()
    {
        var ring = HashRing.Create([("cache-node-1", 1), ("cache-node-2", 1), ("cache-node-3", 2)], 160);

        var shares = Keys.GroupBy(ring.Owner).ToDictionary(g => g.Key, g => g.Count() / (double)Keys.Length);

        Assert.InRange(shares["cache-node-1"], 0.23, 0.27);
        Assert.InRange(shares["cache-node-2"], 0.23, 0.27);
        Assert.InRange(shares["cache-node-3"], 0.48, 0.52);
        Assert.Equal(640, ring.Positions.Length);
    }

    [Fact]
    public void RaisingAWeightMovesKeysOnlyOntoThatNode()
    {
        var before = HashRing.Create(Enumerable.Range(1, 4).Select(i => $"cache-node-{i}"), 160);
        var after = before.WithWeight("cache-node-2", 2);

        int moved = 0, ownedBefore = 0, ownedAfter = 0;
        foreach (var hash in Keys)
        {
            var owner = after.Owner(hash);
            ownedBefore += before.Owner(hash) == "cache-node-2" ? 1 : 0;
            ownedAfter += owner == "cache-node-2" ? 1 : 0;
            if (owner != before.Owner(hash))
            {
                Assert.Equal("cache-node-2", owner);
                moved++;
            }
        }

        // From about a quarter of the keys to about two fifths: what moves is exactly what it gains.
        Assert.Equal(ownedAfter - ownedBefore, moved);
        Assert.InRange(moved / (double)Keys.Length, 0.10, 0.20);
        Assert.Equal(2, after.WeightOf("cache-node-2"));
        Assert.Equal(1, after.WeightOf("cache-node-1"));
    }

    [Fact]
    public void LoweringAWeightMovesOnlyThatNodesKeys()
    {
        var before = HashRing.Create([("a", 3), ("b", 1), ("c", 1)], 160);
        var after = before.WithWeight("a", 1);

        foreach (var hash in Keys.Take(200_000))
        {
            var owner = before.Owner(hash);
            if (owner != "a")
            {
                Assert.Equal(owner, after.Owner(hash));
            }
        }
    }

    [Fact]
    public void RingsOfWeightOneAreTheRingsWithoutWeights()
    {
        var plain = HashRing.Create(["a", "b", "c"], 64);
        var weighted = HashRing.Create([("c", 1), ("a", 1), ("b", 1)], 64);

        Assert.True(plain.Positions.SequenceEqual(weighted.Positions));
    }
}
