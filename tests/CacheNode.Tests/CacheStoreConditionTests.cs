using Microservices.CacheNode.Store;
using Microsoft.Extensions.Time.Testing;
using static Microservices.CacheNode.Tests.StoreFixtures;

namespace Microservices.CacheNode.Tests;

/// <summary>Conditional writes at the store: the precondition is checked against the entry the write replaces.</summary>
public sealed class CacheStoreConditionTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(20_000));
    private readonly CacheStore _store;

    public CacheStoreConditionTests() => _store = new CacheStore(_time, 1 << 20, TimeSpan.FromMinutes(10));

    private static WriteCondition Seen(params (string Writer, ulong Counter)[] seen) =>
        new([.. seen.Select(s => new VersionCounter(s.Writer, s.Counter))], Absent: false);

    private static readonly WriteCondition Absent = new([], Absent: true);

    [Fact]
    public void AWriteWhoseContextCoversTheStoredVersionReplacesIt()
    {
        _store.Put(Value("k", "v1", 100));

        Assert.Equal(WriteOutcome.Applied, _store.Put(Value("k", "v2", 200) with { Condition = Seen(("gw-a", 100)) }).Outcome);
        Assert.Equal("v2", _store.Read("k"));
    }

    [Fact]
    public void AWriteWhoseContextHasNotSeenTheStoredVersionIsRefusedAndChangesNothing()
    {
        _store.Put(Value("k", "v1", 100));
        _store.Put(Value("k", "v2", 150, writer: "gw-b"));

        var result = _store.Put(Value("k", "v3", 200) with { Condition = Seen(("gw-a", 100)) });

        Assert.Equal(WriteOutcome.ConditionFailed, result.Outcome);
        Assert.False(result.Applied);
        Assert.Equal("150@gw-b", result.Current!.ToString());
        Assert.Equal("v2", _store.Read("k"));
    }

    [Fact]
    public void AReplicaStillHoldingAVersionOlderThanTheNewestSeenTakesTheWrite()
    {
        // The context saw gw-b's write at 150, which replaced gw-a's at 100 by last-writer-wins without naming it;
        // this replica missed that write.
        _store.Put(Value("k", "v1", 100));

        Assert.Equal(WriteOutcome.Applied, _store.Put(Value("k", "v3", 200) with { Condition = Seen(("gw-b", 150)) }).Outcome);
    }

    [Fact]
    public void PutIfAbsentIsRefusedOverALiveValueAndTakenOverADeleteOrAnExpiredValue()
    {
        _store.Put(Value("live", "v", 100));
        _store.Put(EntryWrite.Delete("deleted", V(100)));
        _store.Put(Value("expired", "v", 100, expiresAtMs: _store.NowMs + 1000));
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(WriteOutcome.ConditionFailed, _store.Put(Value("live", "new", 200) with { Condition = Absent }).Outcome);
        Assert.Equal(WriteOutcome.Applied, _store.Put(Value("deleted", "new", 200) with { Condition = Absent }).Outcome);
        Assert.Equal(WriteOutcome.Applied, _store.Put(Value("expired", "new", 200) with { Condition = Absent }).Outcome);
        Assert.Equal(WriteOutcome.Applied, _store.Put(Value("never", "new", 200) with { Condition = Absent }).Outcome);
        Assert.Equal("v", _store.Read("live"));
    }

    [Fact]
    public void ARetriedConditionalWriteIsAlreadyAppliedThoughItsConditionNoLongerHolds()
    {
        var write = Value("k", "v", 100) with { Condition = Absent };
        _store.Put(write);

        Assert.Equal(WriteOutcome.AlreadyApplied, _store.Put(write).Outcome);
    }

    [Fact]
    public void OfTwoConcurrentPutIfAbsentWritesExactlyOneIsApplied()
    {
        for (var i = 0; i < 200; i++)
        {
            var key = $"k{i}";
            var outcomes = new WriteOutcome[2];
            Parallel.For(0, 2, w => outcomes[w] = _store.Put(Value(key, $"w{w}", 100 + w, writer: $"gw-{w}") with { Condition = Absent }).Outcome);

            Assert.Single(outcomes, WriteOutcome.Applied);
            Assert.Single(outcomes, WriteOutcome.ConditionFailed);
        }
    }
}
