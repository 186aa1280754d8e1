using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Tests;

/// <summary>The cut of an arc into sub-ranges that the gateway and the nodes share.</summary>
public sealed class RingSplitTests
{
    [Theory]
    [InlineData(0UL, 0UL, 16)]
    [InlineData(100UL, 100UL, 3)]
    [InlineData(10UL, 20UL, 16)]
    [InlineData(ulong.MaxValue - 5, 7UL, 4)]
    [InlineData(1000UL, 1003UL, 256)]
    public void EveryHashOfAnArcFallsInTheSubRangeWhoseBoundsHoldIt(ulong start, ulong end, int splits)
    {
        var length = RingSplit.Length(start, end);
        Assert.Equal(start, RingSplit.Bound(start, length, splits, 0));
        Assert.Equal(end, RingSplit.Bound(start, length, splits, splits));

        // Offsets clockwise from start, 1 to length: the first few, the last, and random ones between.
        var random = new Random(7);
        var offsets = Enumerable.Range(1, 20).Select(i => (UInt128)i)
            .Concat(Enumerable.Range(0, 500).Select(_ => 1 + ((UInt128)(ulong)random.NextInt64(long.MinValue, long.MaxValue) % length)))
            .Append(length)
            .Where(offset => offset <= length);
        foreach (var offset in offsets)
        {
            var hash = unchecked(start + (ulong)offset);
            var i = RingSplit.SubRangeOf(start, length, splits, hash);
            Assert.InRange(i, 0, splits - 1);
            Assert.InRange(offset, (length * (uint)i / (uint)splits) + 1, length * (uint)(i + 1) / (uint)splits);
        }
    }
}
