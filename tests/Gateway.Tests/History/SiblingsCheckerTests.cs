using Microservices.TestSupport.History;

namespace Microservices.Gateway.Tests.History;

/// <summary>The check of the siblings policy on hand-written histories of one key (times in plain ticks).</summary>
public sealed class SiblingsCheckerTests
{
    private static readonly Dictionary<string, long> Blind = [];

    private static CausalWrite Write(int id, string value, string writer, long invoked, long completed, long? timestamp, Dictionary<string, long>? context = null) =>
        new(id, 0, "k", value, writer, context ?? Blind, timestamp is null ? Outcome.Indeterminate : Outcome.Ok, invoked, completed, timestamp);

    private static SiblingsRead Read(int id, long invoked, long completed, params string[] values) => new(id, 1, "k", values, invoked, completed);

    [Fact]
    public void ConcurrentWritesReturnedAsSiblingsPass()
    {
        CausalWrite[] writes = [Write(0, "a", "gateway-1", 0, 2, 100), Write(1, "b", "gateway-2", 1, 3, 90)];
        Assert.Empty(SiblingsChecker.FindLost(writes, [Read(2, 4, 5, "a", "b")]));
    }

    [Fact]
    public void AWriteReplacedByOneWhoseContextOrGatewayHadSeenItPasses()
    {
        CausalWrite[] writes =
        [
            Write(0, "a", "gateway-1", 0, 2, 100),
            Write(1, "b", "gateway-2", 3, 4, 110, new() { ["gateway-1"] = 100 }),
            Write(2, "c", "gateway-2", 5, 6, 120),
        ];

        // "c" does not name "a", but it replaced "b", which had seen it: "a" was lost by a write that had seen it.
        Assert.Empty(SiblingsChecker.FindLost(writes, [Read(3, 7, 8, "c")]));
    }

    [Fact]
    public void AWriteMissingWithoutAWriteThatSawItIsReportedWithWhatTheReadReturned()
    {
        CausalWrite[] writes =
        [
            Write(0, "a", "gateway-1", 0, 2, 100),
            Write(1, "b", "gateway-2", 3, 4, 110, new() { ["gateway-1"] = 99 }),
            Write(2, "c", "gateway-1", 9, 10, 130, new() { ["gateway-2"] = 110 }),
        ];

        // The second read is fine: "c" had seen "b", and came after "a" through the same gateway.
        var lost = Assert.Single(SiblingsChecker.FindLost(writes, [Read(3, 5, 6, "b"), Read(4, 11, 12, "c")]));
        Assert.Equal(("a", 3), (lost.Write.Value, lost.Read.Id));
        Assert.Equal(["b"], lost.Returned.Select(w => w.Value));
    }

    [Fact]
    public void AnIndeterminateWriteThroughTheSameGatewayMayHaveReplacedOnlyWritesStampedBeforeItEnded()
    {
        CausalWrite[] writes = [Write(0, "a", "gateway-1", 5, 6, 100), Write(1, "x", "gateway-1", 1, 4, null), Write(2, "y", "gateway-1", 3, 7, null)];
        Assert.Empty(SiblingsChecker.FindLost(writes[..1].Append(writes[2]), [Read(3, 8, 9, "y")]));
        Assert.Single(SiblingsChecker.FindLost(writes[..2], [Read(3, 8, 9, "x")]));
    }
}
