using Microservices.Gateway.Replication;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Microservices.Gateway.Tests;

public sealed class ReplicationRulesTests
{
    [Theory]
    [InlineData(ConsistencyLevel.One, 3, 1)]
    [InlineData(ConsistencyLevel.Quorum, 3, 2)]
    [InlineData(ConsistencyLevel.All, 3, 3)]
    [InlineData(ConsistencyLevel.Quorum, 5, 3)]
    [InlineData(ConsistencyLevel.Quorum, 2, 2)]
    [InlineData(ConsistencyLevel.All, 2, 2)]
    [InlineData(ConsistencyLevel.Quorum, 1, 1)]
    [InlineData(ConsistencyLevel.All, 1, 1)]
    [InlineData(ConsistencyLevel.All, 0, 1)]
    public void ReplicasNeededFollowTheConsistencyLevel(ConsistencyLevel level, int replicas, int expected) =>
        Assert.Equal(expected, Consistency.Required(level, replicas));

    [Fact]
    public void QuorumsOverlapAndNoLevelIsWeakerThanTheOneBelowIt()
    {
        for (var n = 1; n <= 9; n++)
        {
            var (one, quorum, all) = (Consistency.Required(ConsistencyLevel.One, n), Consistency.Required(ConsistencyLevel.Quorum, n),
                Consistency.Required(ConsistencyLevel.All, n));
            Assert.True(quorum + quorum > n, $"N = {n}");
            Assert.True(one <= quorum && quorum <= all && all <= n, $"N = {n}");
        }
    }

    [Fact]
    public void ClockIsStrictlyIncreasingWhenWallTimeStandsStillOrGoesBack()
    {
        var time = new SettableClock { Now = DateTimeOffset.UnixEpoch.AddYears(56) };
        var clock = Clock(time);
        var first = clock.Next();
        var second = clock.Next();
        time.Now = time.Now.AddSeconds(-5);
        var third = clock.Next();

        Assert.True(second > first);
        Assert.True(third > second);
        Assert.Equal(time.Now.AddSeconds(5).ToUnixTimeMilliseconds(), HybridTime.WallMilliseconds(third));
    }

    [Fact]
    public void ClockFollowsWallTimeAndObservedTimestamps()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
        var clock = Clock(time);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds(), HybridTime.WallMilliseconds(clock.Next()));

        var remote = clock.Next() + 1_000_000;
        clock.Observe(remote);
        Assert.True(clock.Next() > remote);
    }

    [Fact]
    public void ClockIsNotPulledByATimestampFurtherAheadThanTheMaximumOffset()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
        var clock = Clock(time);
        var year2100 = HybridTime.FromWallMilliseconds(new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds());

        Assert.False(clock.Observe(year2100));
        Assert.False(clock.Observe(HybridTime.FromWallMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds() + 501)));
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds(), HybridTime.WallMilliseconds(clock.Next()));
    }

    [Fact]
    public void ClockTakesATimestampUpToTheMaximumOffsetAhead()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
        var clock = Clock(time);
        var ahead = HybridTime.FromWallMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds() + 500) + 7;

        Assert.True(clock.Observe(ahead));
        Assert.Equal(ahead + 1, clock.Next());
    }

    [Fact]
    public void ObservingTheLargestTimestampNeitherOverflowsNorMovesTheClock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
        var clock = Clock(time);
        var before = clock.Next();

        clock.Observe(long.MaxValue);
        var next = clock.Next();

        Assert.True(next > before);
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds(), HybridTime.WallMilliseconds(next));
    }

    [Fact]
    public async Task ClockNeverRepeatsAcrossThreads()
    {
        var clock = Clock(TimeProvider.System);
        var stamps = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 50_000).Select(_ => clock.Next()).ToArray())));
        var all = stamps.SelectMany(s => s).ToArray();
        Assert.Equal(all.Length, all.Distinct().Count());
    }

    [Fact]
    public void NewerVersionWinsByTimestampThenWriter()
    {
        var older = new Cache.V1.Entry { Key = "k", Version = new Cache.V1.Version { Timestamp = 5, Writer = "gw-b" } };
        var newer = new Cache.V1.Entry { Key = "k", Version = new Cache.V1.Version { Timestamp = 6, Writer = "gw-a" } };
        var tie = new Cache.V1.Entry { Key = "k", Version = new Cache.V1.Version { Timestamp = 6, Writer = "gw-b" } };

        Assert.Same(newer, Versions.Newer(older, newer));
        Assert.Same(newer, Versions.Newer(newer, older));
        Assert.Same(tie, Versions.Newer(newer, tie));
        Assert.Same(older, Versions.Newer(null, older));
    }

    // A clock with the default maximum offset of 500 ms.
    private static HybridLogicalClock Clock(TimeProvider time) => new(time, Options.Create(new GatewayOptions()));

    // A wall clock that can be stepped back, as NTP may do; FakeTimeProvider only moves forward.
    private sealed class SettableClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
