using Microservices.TestSupport.History;

namespace Microservices.Gateway.Tests.History;

/// <summary>The checker itself, on hand-written histories of a register (values "v1", "v2", ...; null = absent).</summary>
public sealed class LinearizabilityCheckerTests
{
    [Fact]
    public void ASequentialHistoryIsLinearizable()
    {
        var history = new HandWritten().Read(null, 0, 1).Write("v1", 2, 3).Read("v1", 4, 5).Write("v2", 6, 7).Read("v2", 8, 9);
        Assert.Equal(Verdict.Linearizable, history.Check().Verdict);
    }

    [Fact]
    public void AReadConcurrentWithAWriteMaySeeEitherValue()
    {
        var before = new HandWritten().Write("v1", 0, 1).Write("v2", 2, 10).Read("v1", 3, 4).Read("v2", 5, 6);
        var after = new HandWritten().Write("v1", 0, 1).Write("v2", 2, 10).Read("v2", 3, 4);
        Assert.Equal(Verdict.Linearizable, before.Check().Verdict);
        Assert.Equal(Verdict.Linearizable, after.Check().Verdict);
    }

    [Fact]
    public void AStaleReadAfterACompletedWriteIsNotLinearizable()
    {
        var history = new HandWritten().Write("v1", 0, 1).Write("v2", 2, 3).Read("v1", 4, 5);
        var verdict = history.Check();
        Assert.Equal(Verdict.NotLinearizable, verdict.Verdict);
        Assert.Equal([0, 1, 2], verdict.Counterexample.Select(op => op.Id).Order());
    }

    [Fact]
    public void AnAbsentReadAfterACompletedWriteIsNotLinearizable()
    {
        Assert.Equal(Verdict.NotLinearizable, new HandWritten().Write("v1", 0, 1).Read(null, 2, 3).Check().Verdict);
    }

    [Fact]
    public void NewThenOldReadsDuringAWriteAreNotLinearizable()
    {
        var history = new HandWritten().Write("v1", 0, 1).Write("v2", 2, 20).Read("v2", 3, 4).Read("v1", 5, 6);
        var verdict = history.Check();
        Assert.Equal(Verdict.NotLinearizable, verdict.Verdict);
        Assert.Equal([0, 1, 2, 3], verdict.Counterexample.Select(op => op.Id).Order());
    }

    [Fact]
    public void OverlappingReadsMayDisagreeWhileTheyOverlap()
    {
        // The second read began before the first ended: v1 then v2 is an order, though v2 answered first.
        var history = new HandWritten().Write("v1", 0, 1).Write("v2", 2, 20).Read("v2", 3, 6).Read("v1", 5, 8);
        Assert.Equal(Verdict.Linearizable, history.Check().Verdict);
    }

    [Fact]
    public void AnIndeterminateWriteMayTakeEffectLongAfterItFailed()
    {
        var history = new HandWritten().Write("v1", 0, 1).Write("v2", 2, 3, Outcome.Indeterminate).Read("v1", 4, 5).Read("v2", 100, 101);
        Assert.Equal(Verdict.Linearizable, history.Check().Verdict);
    }

    [Fact]
    public void AnIndeterminateWriteMayNeverTakeEffect()
    {
        var history = new HandWritten().Write("v1", 0, 1).Write("v2", 2, 3, Outcome.Indeterminate).Read("v1", 4, 5).Read("v1", 100, 101);
        Assert.Equal(Verdict.Linearizable, history.Check().Verdict);
    }

    [Fact]
    public void AnIndeterminateWriteSeenAndThenUnseenIsNotLinearizable()
    {
        var history = new HandWritten().Write("v1", 0, 1).Write("v2", 2, 3, Outcome.Indeterminate).Read("v2", 4, 5).Read("v1", 6, 7);
        var verdict = history.Check();
        Assert.Equal(Verdict.NotLinearizable, verdict.Verdict);
        Assert.Equal(4, verdict.Counterexample.Count);
    }

    [Fact]
    public void AnIndeterminateWriteCannotBeSeenBeforeItWasInvoked()
    {
        var history = new HandWritten().Read("v1", 0, 1).Write("v1", 2, 3, Outcome.Indeterminate);
        Assert.Equal(Verdict.NotLinearizable, history.Check().Verdict);
    }

    [Fact]
    public void AFailedWriteNeverTakesEffect()
    {
        var history = new HandWritten().Write("v1", 0, 1).Write("v2", 2, 3, Outcome.Failed).Read("v2", 4, 5);
        Assert.Equal(Verdict.NotLinearizable, history.Check().Verdict);
    }

    [Fact]
    public void AReadThatFailedConstrainsNothing()
    {
        var history = new HandWritten().Write("v1", 0, 1).Read("v9", 2, 3, Outcome.Indeterminate).Read(null, 4, 5, Outcome.Failed);
        Assert.Equal(Verdict.Linearizable, history.Check().Verdict);
    }

    [Fact]
    public void TheCounterexampleLeavesOutOperationsThatDoNotMatter()
    {
        var history = new HandWritten();
        for (var i = 0; i < 20; i++)
        {
            history.Write($"v{i + 1}", i * 10, i * 10 + 5).Read($"v{i + 1}", i * 10 + 6, i * 10 + 8);
        }

        // v20 completed before this read began; v3 is long gone.
        history.Read("v3", 1000, 1001);
        var verdict = history.Check();
        Assert.Equal(Verdict.NotLinearizable, verdict.Verdict);
        Assert.Equal(["v3", "v4", "v3"], verdict.Counterexample.OrderBy(op => op.Invoked).Select(op => op.Value));
    }

    [Fact]
    public void KeysAreCheckedOneByOne()
    {
        var history = new HandWritten().Write("v1", 0, 1, key: "a").Write("v2", 2, 3, key: "b").Read("v1", 4, 5, key: "a").Read(null, 6, 7, key: "c")
            .Read("v1", 8, 9, key: "b");
        var report = LinearizabilityChecker.Check(history.Operations);
        Assert.Equal(3, report.Keys.Count);
        Assert.Equal("b", Assert.Single(report.Anomalies).Key);
        Assert.Contains("key 'b' is not linearizable", report.Describe(0), StringComparison.Ordinal);
    }

    [Fact]
    public void TheSearchSaysUnknownRatherThanRunPastItsStateLimit()
    {
        // Twenty concurrent writes and reads of each value: a huge space of orders, the last read impossible.
        var history = new HandWritten();
        for (var i = 1; i <= 20; i++)
        {
            history.Write($"v{i}", 0, 1000).Read($"v{i}", 1, 999);
        }

        history.Read("v99", 1001, 1002);
        var verdict = history.Check(maxStates: 1000);
        Assert.Equal(Verdict.Unknown, verdict.Verdict);
        Assert.True(verdict.States > 1000);
    }
}
