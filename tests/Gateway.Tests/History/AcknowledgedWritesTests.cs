using Microservices.TestSupport.History;

namespace Microservices.Gateway.Tests.History;

/// <summary>The check of ALL writes with ONE reads: no read is older than the last write acknowledged before it began.</summary>
public sealed class AcknowledgedWritesTests
{
    [Fact]
    public void ReadsAtLeastAsNewAsTheLastAcknowledgedWritePass()
    {
        var history = new HandWritten().Read(null, 0, 1).Write("v1", 2, 3).Read("v1", 4, 5).Write("v2", 6, 20).Read("v1", 7, 8)
            .Write("v3", 21, 22, Outcome.Indeterminate).Read("v3", 23, 24).Read("v2", 25, 26);
        Assert.Empty(AcknowledgedWrites.FindMissed(history.Operations));
    }

    [Fact]
    public void AReadOlderThanAnAcknowledgedWriteIsReported()
    {
        var history = new HandWritten().Write("v1", 0, 1).Write("v2", 2, 3).Read("v1", 4, 5).Read(null, 6, 7).Read("v2", 8, 9);
        var missed = AcknowledgedWrites.FindMissed(history.Operations);
        Assert.Equal([("v1", "v2"), (null, "v2")], missed.Select(m => (m.Read.Value, m.Missed.Value)));
    }
}
