using Microservices.Gateway.Routing;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Tests;

public sealed class HashRingTests
{
    private static readonly string[] TenNodes = Enumerable.Range(1, 10).Select(i => $"cache-node-{i}").ToArray();
    private static readonly ulong[] MillionKeys = Enumerable.Range(0, 1_000_000).Select(i => KeyHash.Of($"user:{i}")).ToArray();

    [Fact]
    public void TenNodesShareAMillionKeysWithinAQuarterOfTheMean()
    {
        var ring = HashRing.Create(TenNodes, 160);
        var counts = MillionKeys.GroupBy(ring.Owner).Select(g => g.Count()).ToArray();

        Assert.Equal(10, counts.Length);
        var ratio = counts.Max() / (counts.Sum() / 10.0);
        Assert.True(ratio <= 1.25, $"max/mean = {ratio:F3}");
    }

    [Fact]
    public void AddingAnEleventhNodeMovesAboutOneEleventhOfKeysAndOnlyOntoIt()
    {
        var before = HashRing.Create(TenNodes, 160);
        var after = before.Add("cache-node-11");

        var moved = 0;
        foreach (var hash in MillionKeys)
        {
            var owner = after.Owner(hash);
            if (owner != before.Owner(hash))
            {
                Assert.Equal("cache-node-11", owner);
                moved++;
            }
        }

        Assert.InRange(moved / 1_000_000.0, (1 / 11.0) - 0.01, (1 / 11.0) + 0.01);
    }

    [Fact]
    public void RemovingANodeMovesOnlyItsKeys()
    {
        var before = HashRing.Create(TenNodes, 160);
        var after = before.Remove("cache-node-4");

        foreach (var hash in MillionKeys.Take(200_000))
        {
            var owner = before.Owner(hash);
            if (owner != "cache-node-4")
            {
                Assert.Equal(owner, after.Owner(hash));
            }
        }
    }

    [Fact]
    public void PreferenceListHoldsDistinctNodesOwnerFirst()
    {
        var ring = HashRing.Create(["a", "b", "c", "d"], 160);
        for (var i = 0; i < 1000; i++)
        {
            var hash = KeyHash.Of($"k{i}");
            var list = ring.PreferenceNames(hash, 3);
            Assert.Equal(3, list.Length);
            Assert.Equal(3, list.Distinct().Count());
            Assert.Equal(ring.Owner(hash), list[0]);
        }

        Assert.Equal(2, HashRing.Create(["a", "b"], 160).PreferenceNames(42, 3).Length);
    }

    [Fact]
    public void RingsOfTheSameNodesAgreeWhateverTheOrderTheyWereGiven()
    {
        var one = HashRing.Create(["a", "b", "c"], 64);
        var two = HashRing.Create(["c", "a", "b"], 64);
        Assert.True(one.Positions.SequenceEqual(two.Positions));
        Assert.All(MillionKeys.Take(1000), h => Assert.Equal(one.Owner(h), two.Owner(h)));
    }

    [Fact]
    public void OwnershipFractionsSumToOne()
    {
        var ownership = HashRing.Create(TenNodes, 160).Ownership();
        Assert.Equal(1.0, ownership.Values.Sum(), 6);
        Assert.All(ownership.Values, share => Assert.InRange(share, 0.05, 0.15));
    }

    [Fact]
    public void KeyHashIsXxHash3OfTheUtf8Bytes()
    {
        var expected = System.IO.Hashing.XxHash3.HashToUInt64("user:1001"u8);
        Assert.Equal(expected, KeyHash.Of("user:1001"));
    }
}
