using Microservices.Gateway.V1;
using Microservices.TestSupport.History;
using Xunit.Abstractions;

namespace Microservices.Gateway.Tests.History;

/// <summary>
/// Concurrent writes to shared keys through two gateways (the second stopped halfway), under node faults, checked
/// per key by <see cref="SiblingsChecker"/>: with the siblings policy every acknowledged write is returned by every
/// later QUORUM read or replaced by a write that had seen it; with last-writer-wins the same workload loses writes to
/// concurrent blind ones, and the check says so (so it can fail). A failure prints the seed (replay with
/// HISTORY_SEED), the faults and the first counterexamples.
/// </summary>
public sealed class SiblingsHistoryTests(ITestOutputHelper output)
{
    private static readonly FaultKind[] AllFaults = [FaultKind.Pause, FaultKind.Cut, FaultKind.Delay];

    [Fact]
    public async Task UnderSiblingsEveryAcknowledgedConcurrentWriteIsReturnedByLaterQuorumReadsUntilAWriteThatSawItReplacesIt()
    {
        var run = await SiblingsHistoryRun.RecordAsync(ConflictPolicy.Siblings, AllFaults);
        var lost = SiblingsChecker.FindLost(run.Writes, run.Reads);
        var summary = $"siblings; {run.Describe()}\n{SiblingsChecker.Describe(lost, run.Origin)}";
        output.WriteLine(summary);
        Assert.True(lost.Count == 0, summary);
        Assert.True(run.Writes.Count(w => w.Outcome == Outcome.Ok) > 100 && run.Reads.Count > 100, summary);
        Assert.True(run.Reads.Any(r => r.Values.Count > 1), summary);
    }

    [Fact]
    public async Task UnderLastWriterWinsTheSameWorkloadIsCaughtLosingConcurrentWrites()
    {
        var run = await SiblingsHistoryRun.RecordAsync(ConflictPolicy.LastWriterWins, AllFaults);
        var lost = SiblingsChecker.FindLost(run.Writes, run.Reads);
        var summary = $"last-writer-wins; {run.Describe()}\n{SiblingsChecker.Describe(lost, run.Origin)}";
        output.WriteLine(summary);
        Assert.True(lost.Count > 0, summary);
    }
}
