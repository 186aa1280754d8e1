using Microservices.TestSupport.History;

namespace Microservices.Gateway.Tests.History;

/// <summary>The check of the last-writer-wins policy on hand-written histories of one key (times in plain ticks).</summary>
public sealed class LastWriterWinsTests
{
    private static readonly Dictionary<string, long> Blind = [];

    private static CausalWrite Write(int id, string value, string writer, long invoked, long completed, long? timestamp) =>
        new(id, 0, "k", value, writer, Blind, timestamp is null ? Outcome.Indeterminate : Outcome.Ok, invoked, completed, timestamp);

    private static SiblingsRead Read(int id, long invoked, long completed, params string[] values) => new(id, 1, "k", values, invoked, completed);

    [Fact]
    public void AWriteOverwrittenByANewerBlindWriteThroughTheOtherGatewayIsCountedNotLost()
    {
        CausalWrite[] writes = [Write(0, "a", "gateway-1", 0, 2, 100), Write(1, "b", "gateway-2", 3, 4, 110)];
        var (overwritten, lost) = LastWriterWins.Check(writes, [Read(2, 5, 6, "b"), Read(3, 7, 8, "b")]);
        Assert.Empty(lost);
        Assert.Equal("a", Assert.Single(overwritten).Write.Value);
    }

    [Fact]
    public void AWriteMissingWhileOnlyOlderWritesOfTheOtherGatewayExistIsLost()
    {
        // "b" was stamped before "a" (its gateway's clock behind): it cannot win over "a" by last writer wins.
        CausalWrite[] writes = [Write(0, "a", "gateway-1", 0, 2, 100), Write(1, "b", "gateway-2", 1, 4, 90)];
        var (overwritten, lost) = LastWriterWins.Check(writes, [Read(2, 5, 6, "b")]);
        Assert.Empty(overwritten);
        Assert.Equal(("a", 2), (Assert.Single(lost).Write.Value, Assert.Single(lost).Read.Id));
    }

    [Fact]
    public void EqualTimestampsOrderByWriterAndAnIndeterminateWriteMayBeNewer()
    {
        CausalWrite[] tie = [Write(0, "a", "gateway-2", 0, 2, 100), Write(1, "b", "gateway-1", 1, 3, 100)];
        Assert.Single(LastWriterWins.Check(tie, [Read(2, 4, 5, "b")]).Lost);

        CausalWrite[] unknown = [Write(0, "a", "gateway-1", 0, 2, 100), Write(1, "x", "gateway-2", 1, 3, null)];
        Assert.Empty(LastWriterWins.Check(unknown, [Read(2, 4, 5, "x")]).Lost);
    }
}
