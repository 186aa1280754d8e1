using System.Globalization;

namespace Microservices.ServiceDefaults;

/// <summary>
/// The format of version timestamps, shared by the gateways that issue them and the cache nodes that check them:
/// unix milliseconds in the high 48 bits and a logical counter in the low 16 (a hybrid logical clock). Clocks in
/// the cluster are assumed to stay within <see cref="DefaultMaxClockOffset"/> of each other (configurable, as
/// CockroachDB's and YugabyteDB's maximum clock offset): a gateway never lets a timestamp further ahead of its own
/// clock pull its clock forward, and a node refuses a version further ahead of its own clock.
/// </summary>
public static class HybridTime
{
    /// <summary>Bits of the logical counter.</summary>
    public const int CounterBits = 16;

    /// <summary>How far ahead of a clock a timestamp may be, unless configured otherwise: 500 ms.</summary>
    public static readonly TimeSpan DefaultMaxClockOffset = TimeSpan.FromMilliseconds(500);

    /// <summary>The wall-clock part of a timestamp, in unix milliseconds.</summary>
    public static long WallMilliseconds(long timestamp) => timestamp >> CounterBits;

    /// <summary>The first timestamp of unix millisecond <paramref name="unixMilliseconds"/> (counter 0).</summary>
    public static long FromWallMilliseconds(long unixMilliseconds) => unixMilliseconds << CounterBits;

    /// <summary>True when <paramref name="timestamp"/> is at most <paramref name="maxOffset"/> ahead of <paramref name="nowMs"/>.</summary>
    public static bool IsWithinOffset(long timestamp, long nowMs, TimeSpan maxOffset) =>
        WallMilliseconds(timestamp) - nowMs <= (long)maxOffset.TotalMilliseconds;

    /// <summary>
    /// Returns why <paramref name="timestamp"/> is too far ahead of <paramref name="nowMs"/>, naming
    /// <paramref name="field"/> and the limit (<paramref name="setting"/> is the configuration key), or null.
    /// </summary>
    public static string? CheckOffset(long timestamp, long nowMs, TimeSpan maxOffset, string field, string setting) =>
        IsWithinOffset(timestamp, nowMs, maxOffset)
            ? null
            : string.Create(CultureInfo.InvariantCulture,
                $"{field} is {WallMilliseconds(timestamp) - nowMs} ms ahead of this node's clock, more than the maximum clock offset of {(long)maxOffset.TotalMilliseconds} ms ({setting})");
}
