using Google.Protobuf.WellKnownTypes;
using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Tests;

/// <summary>The checked Timestamp and Duration conversions every service uses (ServiceDefaults), at their edges.</summary>
public sealed class ProtoTimeTests
{
    [Theory]
    [InlineData(253402300799, 999_999_999, 253402300799999)]
    [InlineData(-62135596800, 0, -62135596800000)]
    [InlineData(-1, 500_000_000, -500)]
    [InlineData(0, 1_999_999, 1)]
    public void ValidTimestampsConvertToUnixMillisecondsRoundedDown(long seconds, int nanos, long expected)
    {
        Assert.Null(ProtoTime.TryToUnixMilliseconds(new Timestamp { Seconds = seconds, Nanos = nanos }, "at", out var ms));
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData(253402300800, 0)]
    [InlineData(-62135596801, 0)]
    [InlineData(0, -1)]
    [InlineData(0, 1_000_000_000)]
    public void TimestampsOutsideTheRangeAreRefusedNamingTheField(long seconds, int nanos)
    {
        var error = ProtoTime.TryToUnixMilliseconds(new Timestamp { Seconds = seconds, Nanos = nanos }, "entry.expires_at", out _);
        Assert.StartsWith("entry.expires_at must be a timestamp from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(long.MinValue, -62135596800, 0)]
    [InlineData(-1, -1, 999_000_000)]
    [InlineData(1_234, 1, 234_000_000)]
    [InlineData(long.MaxValue, 253402300799, 999_000_000)]
    public void MillisecondsBecomeAValidTimestampClampedToItsRange(long ms, long seconds, int nanos) =>
        Assert.Equal(new Timestamp { Seconds = seconds, Nanos = nanos }, ProtoTime.FromUnixMilliseconds(ms));

    [Theory]
    [InlineData(1, -1)]
    [InlineData(-1, 1)]
    [InlineData(315576000001, 0)]
    [InlineData(0, 1_000_000_000)]
    [InlineData(0, -1_000_000_000)]
    public void DurationsThatAreNotNormalizedAreRefusedNamingTheField(long seconds, int nanos)
    {
        var error = ProtoTime.TryToTimeSpan(new Duration { Seconds = seconds, Nanos = nanos }, "items[2].ttl", out _);
        Assert.StartsWith("items[2].ttl must be a normalized duration", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 500_000_000, 15_000_000)]
    [InlineData(-1, -500_000_000, -15_000_000)]
    [InlineData(0, -100, -1)]
    [InlineData(315576000000, 0, 3_155_760_000_000_000_000)]
    public void NormalizedDurationsConvertToTimeSpans(long seconds, int nanos, long ticks)
    {
        Assert.Null(ProtoTime.TryToTimeSpan(new Duration { Seconds = seconds, Nanos = nanos }, "ttl", out var span));
        Assert.Equal(TimeSpan.FromTicks(ticks), span);
    }
}
