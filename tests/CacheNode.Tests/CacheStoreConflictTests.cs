using System.Text;
using Microservices.CacheNode.Store;
using Microsoft.Extensions.Time.Testing;

namespace Microservices.CacheNode.Tests;

/// <summary>How a write relates to the stored state by version vectors, and the two conflict policies.</summary>
public sealed class CacheStoreConflictTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(20_000));
    private readonly CacheStore _store;

    public CacheStoreConflictTests() => _store = new CacheStore(_time, 1 << 20, TimeSpan.FromMinutes(10));

    // A write by `writer` at `timestamp` that has seen `past` (writer, timestamp) pairs.
    private static EntryWrite Write(string value, long timestamp, string writer, bool siblings = false, params (string Writer, long Timestamp)[] past) =>
        new("k", Encoding.UTF8.GetBytes(value), EntryKind.Text,
            new EntryVersion(timestamp, writer, [.. past.Select(p => new VersionCounter(p.Writer, (ulong)p.Timestamp)), new VersionCounter(writer, (ulong)timestamp)]),
            long.MaxValue, Tombstone: false)
        { KeepSiblings = siblings };

    private string[] Values() => _store.Get("k") is { } entry
        ? [Encoding.UTF8.GetString(entry.Value), .. entry.Siblings.Select(s => Encoding.UTF8.GetString(s.Value))]
        : [];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AWriteThatDescendsTheStoredOneFromAnotherWriterReplacesItWithoutAConflict(bool siblings)
    {
        _store.Put(Write("a", 100, "g1", siblings));

        var result = _store.Put(Write("b", 200, "g2", siblings, ("g1", 100)));

        Assert.Equal(WriteOutcome.Applied, result.Outcome);
        Assert.Equal(ConflictOutcome.None, result.Conflict);
        Assert.Equal(["b"], Values());
        Assert.Equal((0L, 0L, 0L, 0L), _store.Conflicts);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AWriteTheStoredOneDescendsIsOlderAndIgnored(bool siblings)
    {
        _store.Put(Write("b", 200, "g2", siblings, ("g1", 100)));

        var result = _store.Put(Write("a", 100, "g1", siblings));

        Assert.Equal(WriteOutcome.Stale, result.Outcome);
        Assert.Equal(ConflictOutcome.None, result.Conflict);
        Assert.Equal(["b"], Values());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheSameWriteAgainCountsAsAppliedAndChangesNothing(bool siblings)
    {
        _store.Put(Write("a", 100, "g1", siblings));
        _store.Put(Write("b", 90, "g2", siblings));
        var bytes = _store.Stats().Bytes;

        Assert.Equal(WriteOutcome.AlreadyApplied, _store.Put(Write("a", 100, "g1", siblings)).Outcome);
        Assert.Equal(bytes, _store.Stats().Bytes);
        Assert.Equal(siblings ? ["a", "b"] : ["a"], Values());
    }

    [Fact]
    public void UnderLastWriterWinsTheNewerConcurrentWriteWinsIsCountedAndItsVectorCoversTheLoser()
    {
        _store.Put(Write("a", 100, "g1"));

        var won = _store.Put(Write("b", 200, "g2"));

        Assert.Equal(WriteOutcome.Applied, won.Outcome);
        Assert.Equal(ConflictOutcome.Won, won.Conflict);
        Assert.Equal("100@g1", won.ConcurrentWith!.ToString());
        Assert.True(won.Current!.Covers(new EntryVersion(100, "g1", [])));
        Assert.Equal(["b"], Values());

        // The loser replayed (a hint, a repair) is now older: not counted again.
        Assert.Equal(ConflictOutcome.None, _store.Put(Write("a", 100, "g1")).Conflict);
        Assert.Equal((1L, 0L, 0L, 0L), _store.Conflicts);
    }

    [Fact]
    public void UnderLastWriterWinsAnOlderConcurrentWriteLosesIsCountedAndTheWinnerThenCoversIt()
    {
        _store.Put(Write("b", 200, "g2"));

        var lost = _store.Put(Write("a", 100, "g1"));

        Assert.Equal(WriteOutcome.Stale, lost.Outcome);
        Assert.Equal(ConflictOutcome.Lost, lost.Conflict);
        Assert.Equal("200@g2", lost.ConcurrentWith!.ToString());
        Assert.Equal(["b"], Values());
        Assert.True(_store.Get("k")!.Version.Covers(new EntryVersion(100, "g1", [])));
        Assert.Equal(ConflictOutcome.None, _store.Put(Write("a", 100, "g1")).Conflict);
        Assert.Equal((0L, 1L, 0L, 0L), _store.Conflicts);
    }

    [Fact]
    public void UnderSiblingsConcurrentValuesAreKeptUntilAWriteThatCoversThemReplacesThem()
    {
        _store.Put(Write("a", 100, "g1", siblings: true));

        var kept = _store.Put(Write("b", 200, "g2", siblings: true));
        _store.Put(Write("c", 150, "g3", siblings: true));

        Assert.Equal(WriteOutcome.Applied, kept.Outcome);
        Assert.Equal(ConflictOutcome.Sibling, kept.Conflict);
        Assert.Equal(["b", "c", "a"], Values());

        // A write that read a and b (not c) replaces those two and is kept beside c.
        var partial = _store.Put(Write("d", 300, "g1", siblings: true, ("g1", 100), ("g2", 200)));
        Assert.Equal(ConflictOutcome.Sibling, partial.Conflict);
        Assert.Equal(["d", "c"], Values());

        var resolved = _store.Put(Write("e", 400, "g2", siblings: true, ("g1", 300), ("g3", 150)));
        Assert.Equal(ConflictOutcome.None, resolved.Conflict);
        Assert.Equal(["e"], Values());
        Assert.Equal((0L, 0L, 3L, 0L), _store.Conflicts);
    }

    [Fact]
    public void AnEntryMovedWithSiblingsMergesWithTheStoredOnesKeepingEachValueOnce()
    {
        _store.Put(Write("a", 100, "g1", siblings: true));
        _store.Put(Write("b", 200, "g2", siblings: true));
        var moved = Write("a", 100, "g1", siblings: true) with
        {
            Siblings = [new EntrySibling("c"u8.ToArray(), EntryKind.Text, new EntryVersion(50, "g3", []))],
        };

        Assert.Equal(WriteOutcome.AlreadyApplied, _store.Put(moved).Outcome);
        Assert.Equal(["b", "a", "c"], Values());
        Assert.Equal(WriteOutcome.AlreadyApplied, _store.Put(moved).Outcome);
        Assert.Equal(["b", "a", "c"], Values());
    }

    [Fact]
    public void AtMostEightSiblingsAreKeptTheOldestDroppedAndCounted()
    {
        for (var i = 1; i <= CacheStore.MaxSiblings + 2; i++)
        {
            _store.Put(Write($"v{i}", 100 + i, $"g{i}", siblings: true));
        }

        Assert.Equal(CacheStore.MaxSiblings, Values().Length);
        Assert.DoesNotContain("v1", Values());
        Assert.DoesNotContain("v2", Values());
        Assert.Equal("v10", Values()[0]);
        Assert.Equal(2L, _store.Conflicts.SiblingsDropped);
    }

    [Fact]
    public void SiblingsAreCountedAgainstTheMemoryLimitAndReleasedWhenResolved()
    {
        _store.Put(Write(new string('a', 1000), 100, "g1", siblings: true));
        var one = _store.Stats().Bytes;

        _store.Put(Write(new string('b', 1000), 200, "g2", siblings: true));
        Assert.True(_store.Stats().Bytes > one + 1000);
        Assert.Equal(_store.Recount().Bytes, _store.Stats().Bytes);

        _store.Put(Write("c", 300, "g1", siblings: true, ("g2", 200)));
        Assert.True(_store.Stats().Bytes < one);
        Assert.Equal(_store.Recount().Bytes, _store.Stats().Bytes);
    }

    [Fact]
    public void ADeleteIsNeverASiblingTheNewerOfTheConcurrentWritesWins()
    {
        _store.Put(Write("a", 100, "g1", siblings: true));
        _store.Put(Write("b", 200, "g2", siblings: true));

        var delete = _store.Put(EntryWrite.Delete("k", new EntryVersion(300, "g3", [])));

        Assert.Equal(WriteOutcome.Applied, delete.Outcome);
        Assert.Equal(ConflictOutcome.Won, delete.Conflict);
        Assert.Null(_store.Get("k"));
        Assert.Equal(WriteOutcome.Stale, _store.Put(Write("a", 100, "g1", siblings: true)).Outcome);
    }

    [Fact]
    public void AnExpiredValueWithSiblingsLeavesAMarkerThatCoversEveryOneOfThem()
    {
        _store.Put(Write("a", 100, "g1", siblings: true) with { ExpiresAtMs = _store.NowMs + 1000 });
        _store.Put(Write("b", 200, "g2", siblings: true) with { ExpiresAtMs = _store.NowMs + 1000 });
        _time.Advance(TimeSpan.FromSeconds(2));
        _store.Sweep(100);

        var marker = _store.Get("k", includeTombstone: true)!;
        Assert.True(marker.Tombstone);
        Assert.Empty(marker.Siblings);
        Assert.Equal(WriteOutcome.Stale, _store.Put(Write("a", 100, "g1", siblings: true)).Outcome);
        Assert.Equal(WriteOutcome.AlreadyApplied, _store.Put(Write("b", 200, "g2", siblings: true)).Outcome);
        Assert.Null(_store.Get("k"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AWriteWhoseVectorLostAPrunedWriterIsTakenAsConcurrentButNoWriteIsLost(bool siblings)
    {
        // g00 wrote first; then 16 newer writers, so a context holding all 17 is pruned to 16 and drops g00, the oldest.
        _store.Put(Write("old", 100, "g00", siblings));
        var seen = Enumerable.Range(1, 16).Select(i => ($"g{i:00}", 100L + i)).Prepend(("g00", 100L)).ToArray();
        var full = new EntryVersion(500, "g99", [.. seen.Select(s => new VersionCounter(s.Item1, (ulong)s.Item2))]);
        var pruned = new EntryVersion(500, "g99", []).Join(full);
        Assert.Equal(EntryVersion.MaxVectorEntries, pruned.Vector.Count);
        Assert.False(pruned.Covers(new EntryVersion(100, "g00", [])));

        var result = _store.Put(new EntryWrite("k", "new"u8.ToArray(), EntryKind.Text, pruned, long.MaxValue, Tombstone: false) { KeepSiblings = siblings });

        // What pruning costs: a spurious conflict. Under last-writer-wins the newer write still wins (as it would
        // have), counted; under siblings the write it replaced comes back as a sibling. Neither loses a write.
        Assert.Equal(WriteOutcome.Applied, result.Outcome);
        Assert.Equal(siblings ? ConflictOutcome.Sibling : ConflictOutcome.Won, result.Conflict);
        Assert.Equal(siblings ? ["new", "old"] : ["new"], Values());
    }
}
