using System.Globalization;
using Google.Protobuf.WellKnownTypes;

namespace Microservices.ServiceDefaults;

/// <summary>
/// Conversions between .NET time values and protobuf's Duration and Timestamp, and the checks every received
/// Duration and Timestamp passes before it is converted (protobuf's own conversions throw on values outside their
/// range, which would reach the caller as UNKNOWN).
/// </summary>
public static class ProtoTime
{
    /// <summary>Seconds of 0001-01-01T00:00:00Z, the first valid Timestamp.</summary>
    public const long MinTimestampSeconds = -62_135_596_800;

    /// <summary>Seconds of 9999-12-31T23:59:59Z, the last second of a valid Timestamp.</summary>
    public const long MaxTimestampSeconds = 253_402_300_799;

    private const int MaxNanos = 999_999_999;

    private static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(Duration.MaxSeconds);

    /// <summary>A Duration, clamped to the largest one protobuf allows.</summary>
    public static Duration ToDuration(TimeSpan value) => Duration.FromTimeSpan(value > MaxDuration ? MaxDuration : value);

    /// <summary>
    /// Returns why <paramref name="value"/> is not a valid Duration, naming <paramref name="field"/>, or null: seconds
    /// within ±315,576,000,000 (10,000 years) and nanos within ±999,999,999 with the sign of seconds.
    /// </summary>
    public static string? CheckDuration(Duration value, string field)
    {
        var (seconds, nanos) = (value.Seconds, value.Nanos);
        var valid = seconds is >= Duration.MinSeconds and <= Duration.MaxSeconds
            && nanos is >= -MaxNanos and <= MaxNanos
            && (seconds == 0 || nanos == 0 || (seconds < 0) == (nanos < 0));
        return valid ? null : string.Create(CultureInfo.InvariantCulture,
            $"{field} is not a valid duration (seconds {seconds}, nanos {nanos}): seconds must be within ±{Duration.MaxSeconds} and nanos within ±{MaxNanos} with the sign of seconds");
    }

    /// <summary>
    /// Returns why <paramref name="value"/> is not a valid Timestamp, naming <paramref name="field"/>, or null: from
    /// 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z, nanos 0 to 999,999,999.
    /// </summary>
    public static string? CheckTimestamp(Timestamp value, string field)
    {
        var (seconds, nanos) = (value.Seconds, value.Nanos);
        return seconds is >= MinTimestampSeconds and <= MaxTimestampSeconds && nanos is >= 0 and <= MaxNanos
            ? null
            : string.Create(CultureInfo.InvariantCulture,
                $"{field} must be a valid time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z (seconds {MinTimestampSeconds} to {MaxTimestampSeconds}, nanos 0 to {MaxNanos}), got seconds {seconds}, nanos {nanos}");
    }
}
