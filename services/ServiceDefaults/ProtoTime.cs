using System.Globalization;
using Google.Protobuf.WellKnownTypes;

namespace Microservices.ServiceDefaults;

/// <summary>
/// Conversions between .NET time values and protobuf's Duration and Timestamp. Every Duration or Timestamp that
/// arrives in a request (or a reply from another service) is converted through the checked <c>TryTo...</c>
/// methods, which name the field and the limit instead of throwing: protobuf's own conversions throw on values a
/// peer can send (a Duration with nanos of the other sign, a Timestamp after year 9999).
/// </summary>
public static class ProtoTime
{
    /// <summary>The first second a Timestamp may hold: 0001-01-01T00:00:00Z.</summary>
    public const long MinTimestampSeconds = -62_135_596_800;

    /// <summary>The last second a Timestamp may hold: 9999-12-31T23:59:59Z.</summary>
    public const long MaxTimestampSeconds = 253_402_300_799;

    private const int MaxNanos = 999_999_999;
    private static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(Duration.MaxSeconds);

    /// <summary>A Duration, clamped to the largest one protobuf allows.</summary>
    public static Duration ToDuration(TimeSpan value) => Duration.FromTimeSpan(value > MaxDuration ? MaxDuration : value);

    /// <summary>
    /// Returns why <paramref name="value"/> is not a normalized Duration, naming <paramref name="field"/>, or null
    /// with <paramref name="result"/> set. Normalized: seconds within +-315,576,000,000, nanos within
    /// +-999,999,999, and both of the same sign (or zero).
    /// </summary>
    public static string? TryToTimeSpan(Duration value, string field, out TimeSpan result)
    {
        result = default;
        var (seconds, nanos) = (value.Seconds, value.Nanos);
        var normalized = seconds is >= -Duration.MaxSeconds and <= Duration.MaxSeconds
            && nanos is >= -MaxNanos and <= MaxNanos
            && (seconds == 0 || nanos == 0 || (seconds < 0) == (nanos < 0));
        if (!normalized)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"{field} must be a normalized duration (seconds within +-{Duration.MaxSeconds}, nanos within +-{MaxNanos} and of the same sign as seconds), got seconds {seconds}, nanos {nanos}");
        }

        result = TimeSpan.FromTicks((seconds * TimeSpan.TicksPerSecond) + (nanos / 100));
        return null;
    }

    /// <summary>
    /// Returns why <paramref name="value"/> is not a valid Timestamp, naming <paramref name="field"/>, or null
    /// with <paramref name="unixMilliseconds"/> set (rounded down to the millisecond). Valid: seconds from
    /// <see cref="MinTimestampSeconds"/> (0001-01-01) to <see cref="MaxTimestampSeconds"/> (9999-12-31T23:59:59Z),
    /// nanos from 0 to 999,999,999.
    /// </summary>
    public static string? TryToUnixMilliseconds(Timestamp value, string field, out long unixMilliseconds)
    {
        unixMilliseconds = 0;
        if (value.Seconds is < MinTimestampSeconds or > MaxTimestampSeconds || value.Nanos is < 0 or > MaxNanos)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"{field} must be a timestamp from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z (seconds {MinTimestampSeconds} to {MaxTimestampSeconds}, nanos 0 to {MaxNanos}), got seconds {value.Seconds}, nanos {value.Nanos}");
        }

        unixMilliseconds = (value.Seconds * 1000) + (value.Nanos / 1_000_000);
        return null;
    }

    /// <summary>
    /// The Timestamp of <paramref name="unixMilliseconds"/>. Never throws: a value outside the Timestamp range is
    /// clamped to its first or last millisecond.
    /// </summary>
    public static Timestamp FromUnixMilliseconds(long unixMilliseconds)
    {
        var clamped = Math.Clamp(unixMilliseconds, MinTimestampSeconds * 1000, (MaxTimestampSeconds * 1000) + 999);
        var seconds = Math.DivRem(clamped, 1000, out var milliseconds);
        if (milliseconds < 0)
        {
            seconds--;
            milliseconds += 1000;
        }

        return new Timestamp { Seconds = seconds, Nanos = (int)milliseconds * 1_000_000 };
    }
}
